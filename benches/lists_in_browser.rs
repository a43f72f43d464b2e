//! The widget's lists timed in headless Chromium: the first screen of the wallet's list and
//! of the picker's sheet for 50, 1,000 and 10,000 coupons (budget: 1,000 in under 50 ms of
//! main-thread work), and the work of each scroll step through 10,000 cards (budget: one
//! frame). Not a test: `scripts/bench.sh` runs it and reads the `BENCH` lines it prints.
#![cfg(target_arch = "wasm32")]

#[path = "../tests/support/mod.rs"]
mod support;

use coupon_rules::wallet::Tab;
use coupon_rules::{sample, Coupon, Lang, Order};
use coupon_widget::components::picker::CouponPicker;
use coupon_widget::components::wallet::CouponList;
use leptos::prelude::*;
use std::cell::Cell;
use std::rc::Rc;
use support::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const RUNS: usize = 7;

fn now_ms() -> f64 {
    web_sys::window().unwrap().performance().unwrap().now()
}

/// Lets queued work (effects, re-renders) run: one task turn, which runs every microtask first.
async fn yield_task() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Forces style and layout, as the browser must before it paints.
fn layout(el: &web_sys::Element) -> f64 {
    el.get_bounding_client_rect().height()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn percentile(v: &[f64], p: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// From mounting to the first screen drawn and laid out, including the measuring pass that
/// follows; the clock runs through the task turn in between, so idle time counts as work.
async fn wallet_first_screen(coupons: &[Coupon], now: coupon_rules::BeijingTime) -> (f64, u32) {
    let host = host();
    web_sys::window().unwrap().scroll_to_with_x_and_y(0.0, 0.0);
    let list = RwSignal::new(coupons.to_vec());
    let started = now_ms();
    let handle = leptos::mount::mount_to(
        host.clone(),
        move || view! { <CouponList coupons=list.into() tab=Tab::Available now=now lang=Lang::ZhCn/> },
    );
    layout(&host);
    yield_task().await;
    layout(&host);
    let took = now_ms() - started;
    let drawn = host.query_selector_all(".cw-window__row").unwrap().length();
    drop(handle);
    host.remove();
    (took, drawn)
}

/// From mounting the picker (which ranks every coupon) to its sheet open and laid out.
async fn picker_first_screen(coupons: &[Coupon]) -> (f64, u32) {
    let host = host();
    let order = RwSignal::new(Order { ..sample::order() });
    let coupons = coupons.to_vec();
    let started = now_ms();
    let handle = leptos::mount::mount_to(
        host.clone(),
        move || view! { <CouponPicker coupons=coupons order=order/> },
    );
    find(&host, ".cw-cell").dyn_into::<web_sys::HtmlElement>().unwrap().click();
    layout(&host);
    yield_task().await;
    layout(&find(&host, ".cw-sheet__panel"));
    let took = now_ms() - started;
    let drawn = host.query_selector_all(".cw-window__row").unwrap().length();
    drop(handle);
    host.remove();
    (took, drawn)
}

#[wasm_bindgen_test]
async fn first_screen_of_50_1000_10000() {
    let window = web_sys::window().unwrap();
    let (w, h) = (
        window.inner_width().unwrap().as_f64().unwrap(),
        window.inner_height().unwrap().as_f64().unwrap(),
    );
    let now = coupon_rules::BeijingTime::parse_rfc3339("2026-11-24T12:00:00+08:00").unwrap();
    for n in [50, 1_000, 10_000] {
        let coupons = sample::mixed_coupons(n, now);
        let (mut wallet, mut picker, mut drawn) = (Vec::new(), Vec::new(), (0, 0));
        for _ in 0..RUNS {
            let (t, d) = wallet_first_screen(&coupons, now).await;
            wallet.push(t);
            drawn.0 = d;
            let (t, d) = picker_first_screen(&coupons).await;
            picker.push(t);
            drawn.1 = d;
        }
        console_log!(
            "BENCH list-first-screen n={n} wallet_ms={:.1} picker_ms={:.1} wallet_drawn={} picker_drawn={} viewport={w}x{h} runs={RUNS}",
            median(wallet),
            median(picker),
            drawn.0,
            drawn.1
        );
    }
}

/// Each scroll step's work: a capture listener registered before the list's stamps the start,
/// one registered after it (so it runs once the list has redrawn) forces layout and stamps
/// the end.
#[wasm_bindgen_test]
async fn scrolling_through_10000() {
    let window = web_sys::window().unwrap();
    let now = coupon_rules::BeijingTime::parse_rfc3339("2026-11-24T12:00:00+08:00").unwrap();
    let started = Rc::new(Cell::new(f64::NAN));
    let steps = Rc::new(std::cell::RefCell::new(Vec::<f64>::new()));
    let options = web_sys::AddEventListenerOptions::new();
    options.set_capture(true);
    let stamp = started.clone();
    let before = Closure::<dyn FnMut()>::new(move || stamp.set(now_ms()));
    window
        .add_event_listener_with_callback_and_add_event_listener_options(
            "scroll",
            before.as_ref().unchecked_ref(),
            &options,
        )
        .unwrap();

    let host = host();
    window.scroll_to_with_x_and_y(0.0, 0.0);
    let list = RwSignal::new(sample::mixed_coupons(10_000, now));
    let _handle = leptos::mount::mount_to(
        host.clone(),
        move || view! { <CouponList coupons=list.into() tab=Tab::Available now=now lang=Lang::ZhCn/> },
    );
    frames(2).await;
    let (stamp, sink, measured) = (started.clone(), steps.clone(), host.clone());
    let after = Closure::<dyn FnMut()>::new(move || {
        layout(&measured);
        let began = stamp.replace(f64::NAN);
        if !began.is_nan() {
            sink.borrow_mut().push(now_ms() - began);
        }
    });
    window
        .add_event_listener_with_callback_and_add_event_listener_options(
            "scroll",
            after.as_ref().unchecked_ref(),
            &options,
        )
        .unwrap();

    // A steady scroll (a flick's worth per frame), then jumps across the whole list.
    let top = host.get_bounding_client_rect().top() + window.scroll_y().unwrap();
    for i in 1..=300 {
        window.scroll_to_with_x_and_y(0.0, top + f64::from(i) * 240.0);
        frames(1).await;
    }
    for i in 0..100 {
        let height = host.get_bounding_client_rect().height();
        window.scroll_to_with_x_and_y(0.0, top + height * f64::from((i * 37) % 100) / 100.0);
        frames(1).await;
    }
    frames(2).await;
    let steps = steps.borrow().clone();
    let drawn = host.query_selector_all(".cw-window__row").unwrap().length();
    console_log!(
        "BENCH list-scroll n=10000 steps={} median_ms={:.2} p95_ms={:.2} max_ms={:.2} drawn={drawn}",
        steps.len(),
        median(steps.clone()),
        percentile(&steps, 0.95),
        percentile(&steps, 1.0)
    );
    window
        .remove_event_listener_with_callback_and_bool(
            "scroll",
            before.as_ref().unchecked_ref(),
            true,
        )
        .unwrap();
    window
        .remove_event_listener_with_callback_and_bool(
            "scroll",
            after.as_ref().unchecked_ref(),
            true,
        )
        .unwrap();
}
