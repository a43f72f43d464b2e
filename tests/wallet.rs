//! The wallet view's own behaviour in real Chromium: keyboard tabs and a failed load.
//! (Paging and tab counts against the real proxy are in e2e/tests/wallet_list.rs.)
#![cfg(target_arch = "wasm32")]

mod support;

use coupon_widget::components::wallet::Wallet;
use coupon_widget::Options;
use leptos::prelude::*;
use support::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A wallet whose proxy cannot be reached (nothing listens on port 9).
fn unreachable_wallet() -> web_sys::HtmlElement {
    let host = host();
    let options = Options { api_base: "http://127.0.0.1:9/api/v1".into(), ..Options::default() };
    leptos::mount::mount_to(host.clone(), move || view! { <Wallet options=options/> }).forget();
    host
}

async fn wait_for(host: &web_sys::Element, css: &str) -> web_sys::Element {
    for _ in 0..300 {
        if let Some(e) = host.query_selector(css).unwrap() {
            return e;
        }
        tick().await;
    }
    panic!("{css} never appeared");
}

#[wasm_bindgen_test]
async fn a_network_failure_is_readable_offers_retry_and_tells_the_host() {
    let host = unreachable_wallet();
    let errors = record_events(&host, "cw:error");
    let alert = wait_for(&host, ".cw-error[role=alert]").await;
    assert!(alert.text_content().unwrap().contains("网络异常"));
    assert_eq!(text(&alert, "button"), "重试");
    assert_eq!(errors.borrow()[0]["code"], "NETWORK");
    assert_eq!(errors.borrow()[0]["retryable"], true);
}

#[wasm_bindgen_test]
async fn arrow_keys_move_between_tabs() {
    let host = unreachable_wallet();
    // The wallet draws its tabs with its first answers (here, failures).
    let available = wait_for(&host, "[role=tab][data-tab=available]").await;
    assert_eq!(available.get_attribute("aria-selected").as_deref(), Some("true"));
    assert_eq!(available.get_attribute("tabindex").as_deref(), Some("0"));
    available.clone().dyn_into::<web_sys::HtmlElement>().unwrap().focus().unwrap();
    let press = |key: &str| {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(key);
        init.set_bubbles(true);
        active_element()
            .unwrap()
            .dispatch_event(
                &web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init)
                    .unwrap(),
            )
            .unwrap();
    };
    press("ArrowRight");
    tick().await;
    let used = find(&host, "[role=tab][data-tab=used]");
    assert_eq!(used.get_attribute("aria-selected").as_deref(), Some("true"));
    assert_eq!(active_element().as_ref(), Some(&used));
    press("End");
    tick().await;
    assert_eq!(active_element().unwrap().get_attribute("data-tab").as_deref(), Some("expired"));
    press("ArrowRight");
    tick().await;
    assert_eq!(
        active_element().unwrap().get_attribute("data-tab").as_deref(),
        Some("available"),
        "wraps around"
    );
    assert_eq!(active_element().unwrap().get_attribute("aria-selected").as_deref(), Some("true"));
}

/// A host as the loader leaves it: the proxy's drawing of the first screen inside.
fn host_with_drawing() -> web_sys::HtmlElement {
    let host = host();
    let drawing = support::document().create_element("div").unwrap();
    drawing.set_class_name("cw-prerendered");
    drawing.set_attribute("inert", "").unwrap();
    drawing.set_inner_html(r#"<section class="cw-wallet">drawn by the proxy</section>"#);
    host.append_child(&drawing).unwrap();
    host
}

#[wasm_bindgen_test]
async fn the_proxys_drawing_stays_until_the_wallet_draws_even_a_failure() {
    let host = host_with_drawing();
    let options =
        js_sys::JSON::parse(r#"{"view":"wallet","apiBase":"http://127.0.0.1:9/api/v1"}"#).unwrap();
    let _handle = coupon_widget::mount(host.clone(), options).map_err(JsValue::from).unwrap();
    assert!(
        host.query_selector(".cw-prerendered").unwrap().is_some(),
        "the drawing stays while the wallet waits for its answers"
    );
    wait_for(&host, ".cw-error[role=alert]").await;
    assert!(
        host.query_selector(".cw-prerendered").unwrap().is_none(),
        "the failure is not hidden behind the drawing"
    );
}

#[wasm_bindgen_test]
async fn a_wallet_unmounted_before_it_draws_takes_the_proxys_drawing_with_it() {
    let host = host_with_drawing();
    let options =
        js_sys::JSON::parse(r#"{"view":"wallet","apiBase":"http://127.0.0.1:9/api/v1"}"#).unwrap();
    let mut handle = coupon_widget::mount(host.clone(), options).map_err(JsValue::from).unwrap();
    handle.unmount();
    tick().await;
    assert_eq!(host.child_element_count(), 0, "neither the widget nor the drawing is left");
}
