//! Every kind, tag, badge and language renders as specified, in real Chromium.
#![cfg(target_arch = "wasm32")]

mod support;

use coupon_rules::model::{CouponKind, DayRange, WeeklySlots, Window};
use coupon_rules::time::Weekday;
use coupon_rules::{BeijingTime, Coupon, Fen, Lang};
use coupon_widget::components::card::CouponCard;
use leptos::prelude::*;
use support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The seed coupon, valid 2019-12-30 13:29 – 2019-12-31 13:29, without time slots.
fn coupon(kind: CouponKind) -> Coupon {
    let mut c = seed();
    c.kind = kind;
    c.validity.weekly = None;
    c.validity.irregular.clear();
    c
}

fn render_in(c: Coupon, now: BeijingTime, lang: Lang) -> web_sys::Element {
    let host = host();
    leptos::mount::mount_to(
        host.clone(),
        move || view! { <CouponCard coupon=c now=now lang=lang/> },
    )
    .forget();
    find(&host, "article.cw-card")
}

fn render(c: Coupon) -> web_sys::Element {
    render_in(c, at("2019-12-30T14:00:00+08:00"), Lang::ZhCn)
}

#[wasm_bindgen_test]
fn every_kind_shows_its_value_and_condition() {
    let cases = [
        (CouponKind::FixedAmount { amount: Fen(500), threshold: Fen(10_000) }, "¥5", "满¥100可用"),
        (CouponKind::FixedAmount { amount: Fen(300), threshold: Fen(0) }, "¥3", "无门槛"),
        (CouponKind::Discount { pay_percent: 88, threshold: Fen(5_000) }, "8.8折", "满¥50可用"),
        (CouponKind::Exchange { price: Fen(100), threshold: Fen(3_000) }, "换购价¥1", "满¥30可用"),
        (
            CouponKind::CutTo { price: Fen(80), max_item_price: Fen(1_000), threshold: Fen(0) },
            "减至¥0.80",
            "单价¥10以内商品 · 无门槛",
        ),
        (CouponKind::Balance { balance: Fen(10_000) }, "余额¥100", "可抵扣订单金额"),
    ];
    for (kind, value, condition) in cases {
        let card = render(coupon(kind));
        assert_eq!(text(&card, ".cw-card__value"), value);
        assert_eq!(text(&card, ".cw-card__condition"), condition);
    }
}

#[wasm_bindgen_test]
fn tags_for_single_item_merchant_funded_and_balance() {
    let mut c = coupon(CouponKind::Balance { balance: Fen(100) });
    c.single_item = true;
    c.no_cash = true;
    let card = render(c);
    let tags: Vec<String> = (0..3)
        .map(|i| {
            card.query_selector_all(".cw-tag").unwrap().item(i).unwrap().text_content().unwrap()
        })
        .collect();
    assert_eq!(tags, ["单品券", "免充值", "消费金"]);
    assert_eq!(card.query_selector_all(".cw-tag").unwrap().length(), 3);
}

#[wasm_bindgen_test]
fn a_coupon_close_to_expiry_says_so() {
    // Expires 2019-12-31 13:29: within three days of the 30th.
    let card = render(coupon(CouponKind::FixedAmount { amount: Fen(500), threshold: Fen(0) }));
    assert_eq!(text(&card, ".cw-badge--expiring"), "即将过期");
}

#[wasm_bindgen_test]
fn outside_its_slot_a_coupon_says_when_it_next_works() {
    let mut c = coupon(CouponKind::FixedAmount { amount: Fen(500), threshold: Fen(0) });
    c.validity.coupon_window = Some(Window {
        begin: Some(at("2019-12-01T00:00:00+08:00")),
        end: Some(at("2020-01-31T00:00:00+08:00")),
    });
    c.validity.weekly = Some(WeeklySlots {
        days: vec![Weekday::Mon, Weekday::Tue],
        ranges: vec![DayRange {
            begin: chrono::NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
            end: chrono::NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
        }],
    });
    let card = render_in(c.clone(), at("2019-12-30T08:00:00+08:00"), Lang::ZhCn);
    assert_eq!(text(&card, ".cw-badge--waiting"), "10:00后可用");
    assert!(card.class_list().contains("cw-card--waiting"));
    assert!(find(&card, ".cw-card__use").has_attribute("disabled"), "not usable at this moment");
    assert_eq!(text(&card, ".cw-card__slots"), "每周一、周二 10:00–18:00");
    let wednesday = render_in(c, at("2020-01-01T12:00:00+08:00"), Lang::ZhCn);
    assert_eq!(text(&wednesday, ".cw-badge--waiting"), "仅周一、周二可用");
}

#[wasm_bindgen_test]
fn english_is_an_option() {
    let card = render_in(
        coupon(CouponKind::Discount { pay_percent: 88, threshold: Fen(5_000) }),
        at("2019-12-30T14:00:00+08:00"),
        Lang::En,
    );
    assert_eq!(text(&card, ".cw-card__value"), "12% off");
    assert_eq!(text(&card, ".cw-card__condition"), "Min. spend ¥50");
    assert_eq!(text(&card, ".cw-card__use").trim(), "Use now");
    assert_eq!(text(&card, ".cw-badge--expiring"), "Expiring soon");
}

#[wasm_bindgen_test]
async fn a_broken_logo_falls_back_to_the_merchants_initial() {
    let mut c = coupon(CouponKind::FixedAmount { amount: Fen(500), threshold: Fen(0) });
    c.merchant.logo_url = Some("https://img.sandbox.invalid/missing.png".into());
    c.merchant.name = Some("喜茶".into());
    let card = render(c);
    let img = find(&card, "img.cw-card__logo");
    assert_eq!(img.get_attribute("loading").as_deref(), Some("lazy"));
    // Lazy: it loads (and fails) once on screen.
    card.scroll_into_view();
    for _ in 0..100 {
        if card.query_selector(".cw-card__logo--fallback").unwrap().is_some() {
            break;
        }
        tick().await;
    }
    assert_eq!(text(&card, ".cw-card__logo--fallback"), "喜");
    assert!(card.query_selector("img.cw-card__logo").unwrap().is_none());
}

#[wasm_bindgen_test]
fn only_a_used_coupon_shows_a_use_time() {
    // The seed coupon carries a use_time although it is SENDED.
    let card = render(coupon(CouponKind::FixedAmount { amount: Fen(500), threshold: Fen(0) }));
    assert!(card.query_selector(".cw-card__used-at").unwrap().is_none());
}

#[wasm_bindgen_test]
fn no_logo_shows_the_initial_straight_away() {
    let mut c = coupon(CouponKind::FixedAmount { amount: Fen(500), threshold: Fen(0) });
    c.merchant.logo_url = None;
    let card = render(c);
    assert_eq!(text(&card, ".cw-card__logo--fallback"), "微");
}
