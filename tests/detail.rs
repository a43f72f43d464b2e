//! The detail sheet reads the coupon fresh as it opens: a coupon used on another device since
//! the list was loaded shows as used.

mod support;

use coupon_rules::api::CouponDetail;
use coupon_rules::model::{CouponKind, CouponState, Source};
use coupon_rules::{Coupon, Fen};
use coupon_widget::components::card::CouponCard;
use coupon_widget::Options;
use leptos::prelude::*;
use support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_coupon_used_elsewhere_shows_as_used_when_its_detail_opens() {
    let listed = Coupon::new(
        "SBXM000042",
        Source::Merchant,
        "满100减20",
        CouponKind::FixedAmount { amount: Fen(2_000), threshold: Fen(10_000) },
    );
    let mut fresh = listed.clone();
    fresh.state = CouponState::Used;
    let body = serde_json::to_string(&CouponDetail { coupon: fresh, stale: false }).unwrap();
    let fetch = FakeFetch::new(&respond(200, &body));
    let host = host();
    let options = Options { api_base: "/api/v1".into(), ..Options::default() };
    let c = listed.clone();
    leptos::mount::mount_to(host.clone(), move || {
        provide_context(options);
        view! { <CouponCard coupon=c now=coupon_widget::now()/> }
    })
    .forget();
    click(&host, ".cw-card__open");
    for _ in 0..20 {
        tick().await;
        if host.text_content().unwrap().contains("此券已使用") {
            break;
        }
    }
    let sheet = text(&host, "[role=dialog]");
    assert!(sheet.contains("此券已使用"), "{sheet}");
    assert!(
        fetch.request(0).url().ends_with("/api/v1/coupons/merchant/SBXM000042"),
        "{}",
        fetch.request(0).url()
    );
}

#[wasm_bindgen_test]
async fn the_detail_sheet_says_what_single_item_and_merchant_funded_mean() {
    let _fetch = FakeFetch::new(&respond(
        404,
        r#"{"error":{"code":"NOT_FOUND","message":"m","retryable":false}}"#,
    ));
    let mut c = Coupon::new(
        "S1",
        Source::Stock,
        "单品券 满20减4",
        CouponKind::FixedAmount { amount: Fen(400), threshold: Fen(2_000) },
    );
    c.single_item = true;
    c.no_cash = true;
    let host = host();
    leptos::mount::mount_to(host.clone(), move || {
        provide_context(Options::default());
        view! { <CouponCard coupon=c now=coupon_widget::now()/> }
    })
    .forget();
    click(&host, ".cw-card__open");
    tick().await;
    let notes = text(&host, "[role=dialog] .cw-detail__notes");
    assert!(
        notes.contains("仅抵扣指定商品中的一件") && notes.contains("优惠由商家出资"),
        "{notes}"
    );
}
