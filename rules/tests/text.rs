//! The words the user reads, in zh-CN and English.

mod common;
use common::*;
use coupon_rules::api::ErrorCode;
use coupon_rules::model::{CouponKind, CouponState};
use coupon_rules::text::{self, Lang};
use coupon_rules::{evaluate, Fen, Order, Outcome};

#[test]
fn values_by_kind() {
    let zh = |k: CouponKind| text::value(&k, Lang::ZhCn);
    assert_eq!(zh(CouponKind::FixedAmount { amount: Fen(500), threshold: Fen(0) }), "¥5");
    assert_eq!(zh(CouponKind::Discount { pay_percent: 88, threshold: Fen(0) }), "8.8折");
    assert_eq!(zh(CouponKind::Discount { pay_percent: 80, threshold: Fen(0) }), "8折");
    assert_eq!(zh(CouponKind::Exchange { price: Fen(100), threshold: Fen(0) }), "换购价¥1");
    assert_eq!(
        zh(CouponKind::CutTo { price: Fen(80), max_item_price: Fen(100), threshold: Fen(0) }),
        "减至¥0.80"
    );
    assert_eq!(zh(CouponKind::Balance { balance: Fen(10_000) }), "余额¥100");
    assert_eq!(
        text::value(&CouponKind::Discount { pay_percent: 88, threshold: Fen(0) }, Lang::En),
        "12% off"
    );
}

#[test]
fn conditions() {
    assert_eq!(
        text::condition(
            &CouponKind::FixedAmount { amount: Fen(500), threshold: Fen(10_000) },
            Lang::ZhCn
        ),
        "满¥100可用"
    );
    assert_eq!(
        text::condition(
            &CouponKind::FixedAmount { amount: Fen(500), threshold: Fen(0) },
            Lang::ZhCn
        ),
        "无门槛"
    );
    assert_eq!(
        text::condition(
            &CouponKind::FixedAmount { amount: Fen(500), threshold: Fen(10_000) },
            Lang::En
        ),
        "Min. spend ¥100"
    );
}

#[test]
fn validity_lines() {
    let mut c = fixed("a", 500, 0);
    c.validity.stock_window = window("2025-05-20 00:00", "2025-05-31 23:59");
    assert_eq!(text::validity(&c, Lang::ZhCn), "2025.05.20 – 2025.05.31");
    let mut unclaimed = fixed("b", 500, 0);
    unclaimed.validity.days_after_receive = Some(3);
    assert_eq!(text::validity(&unclaimed, Lang::ZhCn), "领取后3天内有效");
    assert_eq!(text::validity(&fixed("c", 1, 0), Lang::ZhCn), "长期有效");
}

#[test]
fn weekly_slots_in_words() {
    let two = weekly(&[2, 3], &[(36_000, 64_800)]).unwrap();
    assert_eq!(text::weekly(&two, Lang::ZhCn), "每周二、周三 10:00–18:00");
    assert_eq!(text::weekly(&two, Lang::En), "Tue, Wed 10:00–18:00");
    let workdays = weekly(&[1, 2, 3, 4, 5], &[]).unwrap();
    assert_eq!(text::weekly(&workdays, Lang::ZhCn), "每周一至周五");
    let weekend = weekly(&[6, 0], &[(9 * 3600, 12 * 3600), (14 * 3600, 86_399)]).unwrap();
    assert_eq!(text::weekly(&weekend, Lang::ZhCn), "每周六、周日 09:00–12:00、14:00–23:59");
    assert_eq!(
        text::weekly(&weekly(&[], &[(3600, 7200)]).unwrap(), Lang::ZhCn),
        "每天 01:00–02:00"
    );
}

fn reason_of(c: &coupon_rules::Coupon, total: i64, now: &str, lang: Lang) -> String {
    match evaluate(c, &Order { total: Fen(total), items: vec![] }, at(now)) {
        Outcome::NotApplicable(r) => text::reason(&r, c, at(now), lang),
        Outcome::Applies { .. } => panic!("applies"),
    }
}

#[test]
fn reasons() {
    assert_eq!(
        reason_of(&fixed("a", 500, 10_000), 5_000, "2025-05-20 12:00", Lang::ZhCn),
        "未满¥100"
    );
    let mut tuesday = fixed("t", 500, 0);
    tuesday.validity.weekly = weekly(&[2], &[(36_000, 64_800)]);
    assert_eq!(reason_of(&tuesday, 5_000, "2025-05-21 12:00", Lang::ZhCn), "仅周二可用");
    assert_eq!(reason_of(&tuesday, 5_000, "2025-05-20 09:00", Lang::ZhCn), "10:00后可用");
    assert_eq!(reason_of(&tuesday, 5_000, "2025-05-20 09:00", Lang::En), "Usable from 10:00");
    let mut expired = fixed("x", 500, 0);
    expired.state = CouponState::Expired;
    assert_eq!(reason_of(&expired, 5_000, "2025-05-20 12:00", Lang::ZhCn), "已过期");
    let mut later = fixed("l", 500, 0);
    later.validity.stock_window = window("2025-06-01 08:00", "2025-06-30 00:00");
    assert_eq!(reason_of(&later, 5_000, "2025-05-20 12:00", Lang::ZhCn), "06.01 08:00后可用");
}

#[test]
fn single_item_and_merchant_funded_rules_are_worded_for_the_user() {
    let mut c = fixed("n", 500, 0);
    assert!(text::rule_notes(&c, Lang::ZhCn).is_empty());
    c.single_item = true;
    c.no_cash = true;
    let zh = text::rule_notes(&c, Lang::ZhCn);
    assert_eq!(zh.len(), 2);
    assert!(zh[0].contains("单品券") && zh[0].contains("一件"), "{zh:?}");
    assert!(zh[1].contains("免充值") && zh[1].contains("商家"), "{zh:?}");
    let en = text::rule_notes(&c, Lang::En);
    assert!(en[0].starts_with("Single item") && en[1].starts_with("Merchant-funded"), "{en:?}");
}

#[test]
fn every_error_code_is_worded_in_both_languages() {
    let codes = [
        "SERVICE_UNAVAILABLE",
        "MERCHANT_SETUP",
        "UNAUTHENTICATED",
        "CSRF_FAILED",
        "ORIGIN_NOT_ALLOWED",
        "INVALID_PARAMETER",
        "BODY_TOO_LARGE",
        "NOT_FOUND",
        "METHOD_NOT_ALLOWED",
        "USER_NOT_FOUND",
        "RATE_LIMITED",
        "STOCK_NOT_CLAIMABLE",
        "CLAIM_REJECTED",
        "FORBIDDEN",
        "UPSTREAM_TIMEOUT",
        "UPSTREAM_UNAVAILABLE",
        "UPSTREAM_BUSY",
        "UPSTREAM_ERROR",
        "UPSTREAM_REJECTED",
        "UPSTREAM_BAD_RESPONSE",
        "NETWORK",
        "TIMEOUT",
        "BAD_RESPONSE",
        "BAD_REQUEST",
    ];
    for name in codes {
        // Each code as the JSON names it: the wire's spelling is the enum's.
        let code: ErrorCode = serde_json::from_value(serde_json::json!(name)).unwrap();
        assert_ne!(code, ErrorCode::Unknown, "{name} is a code of ours");
        let zh = text::error_message(code, None, Lang::ZhCn)
            .unwrap_or_else(|| panic!("{name} has no zh-CN wording"));
        let en = text::error_message(code, None, Lang::En)
            .unwrap_or_else(|| panic!("{name} has no English wording"));
        assert!(!zh.is_ascii() && en.is_ascii(), "{name}: {zh} / {en}");
    }
    let newer: ErrorCode = serde_json::from_value(serde_json::json!("NO_SUCH_CODE")).unwrap();
    assert_eq!(
        text::error_message(newer, None, Lang::En),
        None,
        "unknown codes keep the server's message"
    );
}
