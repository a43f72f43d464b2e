//! Hostile content from upstream renders as inert text or is dropped: no script runs, no
//! markup is interpreted, no layout breaks — in real Chromium.
#![cfg(target_arch = "wasm32")]

mod support;

use coupon_rules::model::{CouponKind, Window};
use coupon_rules::{BeijingTime, Coupon, Fen};
use coupon_widget::components::card::CouponCard;
use leptos::prelude::*;
use support::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const SCRIPT: &str = "<script>window.__cwPwned = 1</script>";
const HANDLER: &str = "<img src=x onerror=\"window.__cwPwned = 2\">";

fn hostile() -> Coupon {
    let mut c = seed();
    c.name = format!("{SCRIPT}{HANDLER}\u{202e}逆序文字\u{202c}");
    c.description = Some(format!("{HANDLER}<a href=\"javascript:window.__cwPwned=3\">点我</a>"));
    c.merchant.name = Some(format!("{}{HANDLER}", "很长的商户名".repeat(200)));
    c.merchant.logo_url = Some("javascript:window.__cwPwned=4".into());
    c.image_url = Some("data:image/svg+xml,<svg onload='window.__cwPwned=5'/>".into());
    c.goods = Some("A".repeat(5_000));
    c.kind = CouponKind::FixedAmount { amount: Fen(i64::MAX), threshold: Fen(i64::MAX) };
    c.validity.irregular = vec![Window {
        begin: Some(BeijingTime::from_unix_millis(i64::MIN / 2)),
        end: Some(BeijingTime::from_unix_millis(i64::MAX / 2)),
    }];
    c
}

fn pwned() -> JsValue {
    js_sys::Reflect::get(&web_sys::window().unwrap(), &"__cwPwned".into()).unwrap()
}

#[wasm_bindgen_test]
async fn markup_and_script_in_upstream_strings_stay_text() {
    let host = host();
    let c = hostile();
    leptos::mount::mount_to(host.clone(), move || view! { <CouponCard coupon=c now=BeijingTime::from_unix_millis(1_577_690_000_000)/> }).forget();
    click(&host, ".cw-card__open");
    for _ in 0..20 {
        tick().await;
    }
    assert!(pwned().is_undefined(), "no hostile script ran: {:?}", pwned());
    assert!(host.query_selector("script").unwrap().is_none());
    assert!(host.query_selector("[onerror]").unwrap().is_none());
    assert!(host.query_selector("a[href^='javascript']").unwrap().is_none());
    assert!(host.query_selector("img[src^='javascript'], img[src^='data']").unwrap().is_none());
    let name = text(&host, ".cw-card__open");
    assert!(name.contains("<script>") && name.contains("onerror"), "shown as text: {name}");
    assert!(text(&host, ".cw-detail__description").contains("javascript:"), "as text, not a link");
}

#[wasm_bindgen_test]
fn long_and_right_to_left_strings_do_not_break_the_layout() {
    let host = host();
    let c = hostile();
    leptos::mount::mount_to(host.clone(), move || view! { <CouponCard coupon=c now=BeijingTime::from_unix_millis(1_577_690_000_000)/> }).forget();
    let card: web_sys::HtmlElement = find(&host, "article.cw-card").dyn_into().unwrap();
    let host_width = host.get_bounding_client_rect().width();
    assert!(
        card.get_bounding_client_rect().width() <= host_width,
        "the card stays within its host"
    );
    assert!(
        card.scroll_width() as f64 <= card.get_bounding_client_rect().width() + 1.0,
        "nothing overflows sideways"
    );
    assert_eq!(
        text(&host, ".cw-card__value"),
        "¥92233720368547758.07",
        "an absurd amount is shown, not a crash"
    );
}
