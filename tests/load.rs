//! Loading from the proxy (`components::load`) in the browser: the newest load wins, and an
//! answer that comes back after its view is gone is dropped quietly.
#![cfg(target_arch = "wasm32")]

mod support;

use coupon_widget::components::load::Load;
use leptos::prelude::*;
use support::sleep;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Leptos sets up its task executor when it mounts something; mount nothing once.
fn start_executor() {
    let el: web_sys::HtmlElement = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .create_element("div")
        .unwrap()
        .unchecked_into();
    leptos::mount::mount_to(el, || ()).forget();
}

#[wasm_bindgen_test]
async fn the_newest_load_wins_even_when_an_older_answer_comes_last() {
    start_executor();
    let owner = Owner::new();
    let load = owner.with(Load::<u32>::new);
    load.start(async {
        sleep(60).await;
        1 // e.g. the tab the user has just left
    });
    load.start(async {
        sleep(10).await;
        2
    });
    assert!(load.pending.get_untracked());
    assert_eq!(load.value.get_untracked(), None);
    sleep(30).await;
    assert_eq!(load.value.get_untracked(), Some(2));
    assert!(!load.pending.get_untracked());
    sleep(60).await;
    assert_eq!(
        load.value.get_untracked(),
        Some(2),
        "the older answer arrived last and was dropped"
    );
}

#[wasm_bindgen_test]
async fn an_answer_after_the_view_is_gone_is_dropped_without_a_panic() {
    start_executor();
    let owner = Owner::new();
    let load = owner.with(Load::<u32>::new);
    load.start(async {
        sleep(20).await;
        7
    });
    drop(owner);
    sleep(60).await;
    assert_eq!(load.value.try_get_untracked(), None, "disposed with its view");
    load.start(async { 8 }); // a late tap on a view being torn down: ignored
    sleep(10).await;
}
