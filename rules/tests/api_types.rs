//! The proxy writes `/api/v1` bodies with the types in `coupon_rules::api` and the widget
//! reads them back with the same types: every coupon kind, state and use method survives.

mod common;

use common::*;
use coupon_rules::api::{Claimed, CouponDetail, CouponPage, ErrorBody, ErrorInfo};
use coupon_rules::model::*;
use coupon_rules::wallet::TabCounts;
use coupon_rules::{from_json, Fen};

fn every_kind() -> Vec<Coupon> {
    let kinds = [
        CouponKind::FixedAmount { amount: Fen(500), threshold: Fen(10_000) },
        CouponKind::Discount { pay_percent: 88, threshold: Fen(0) },
        CouponKind::Exchange { price: Fen(100), threshold: Fen(3_000) },
        CouponKind::CutTo { price: Fen(80), max_item_price: Fen(1_000), threshold: Fen(0) },
        CouponKind::Balance { balance: Fen(10_000) },
        CouponKind::Unknown { raw: "LUCKY".into() },
    ];
    let methods = [
        UseMethod::Offline,
        UseMethod::MiniProgram { appid: Some("wx1".into()), path: Some("/p".into()) },
        UseMethod::PaymentCode,
        UseMethod::SelfConsume,
        UseMethod::Unknown { raw: "TELEPORT".into() },
    ];
    let states = [CouponState::Available, CouponState::Used, CouponState::Expired, CouponState::Unknown("FROZEN".into())];
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, kind)| {
            let mut c = coupon(&format!("c{i}"), kind);
            c.source = if i % 2 == 0 { Source::Merchant } else { Source::Stock };
            c.use_method = methods[i % methods.len()].clone();
            c.state = states[i % states.len()].clone();
            c.validity.coupon_window = window("2025-05-20 10:00", "2025-05-31 23:59");
            c.validity.stock_window = window("2025-05-01 00:00", "2025-06-30 23:59");
            c.validity.days_after_receive = Some(3);
            c.validity.weekly = weekly(&[0, 2, 6], &[(36_000, 64_800), (72_000, 86_399)]);
            c.validity.irregular = vec![window("2025-05-25 10:00", "2025-05-25 12:00").unwrap()];
            c.merchant = Merchant { name: Some("商户".into()), logo_url: Some("https://img.example/logo.png".into()) };
            c.entrance = Some(CustomEntrance {
                mini_program: Some(MiniProgramEntrance { appid: "wx2".into(), path: None, entrance_words: Some("去逛逛".into()), guiding_words: None }),
                official_account_appid: Some("wx3".into()),
                hall_id: Some("h".into()),
                store_id: None,
            });
            c.received_at = Some(at("2025-05-20 09:00"));
            c.used_at = (i % 2 == 1).then(|| at("2025-05-21 12:30"));
            c.single_item = i % 2 == 0;
            c.no_cash = i % 3 == 0;
            c
        })
        .collect()
}

#[test]
fn a_page_round_trips_for_every_kind_state_and_use_method() {
    let page = CouponPage { coupons: every_kind(), total: 6, offset: 0, limit: 20, counts: TabCounts { available: 3, used: 2, expired: 1 }, stale: true, skipped: 1 };
    let written = serde_json::to_vec(&page).unwrap();
    assert_eq!(from_json::<CouponPage>(&written).unwrap(), page);
}

#[test]
fn detail_claim_and_error_bodies_round_trip() {
    let c = every_kind().remove(3);
    let detail = CouponDetail { coupon: c.clone(), stale: false };
    assert_eq!(from_json::<CouponDetail>(&serde_json::to_vec(&detail).unwrap()).unwrap(), detail);
    let claimed = Claimed { coupon_id: "c3".into(), coupon: Some(c) };
    assert_eq!(from_json::<Claimed>(&serde_json::to_vec(&claimed).unwrap()).unwrap(), claimed);
    let error = ErrorBody { error: ErrorInfo { code: "UNAUTHENTICATED".into(), message: "请先登录".into(), retryable: false, login_url: Some("/login".into()), upstream_code: None } };
    let text = serde_json::to_string(&error).unwrap();
    assert!(!text.contains("upstream_code"), "absent optional members are left out: {text}");
    assert_eq!(from_json::<ErrorBody>(text.as_bytes()).unwrap(), error);
}

#[test]
fn a_body_the_proxy_did_not_write_names_its_field() {
    let page = CouponPage { coupons: every_kind(), total: 6, offset: 0, limit: 20, counts: TabCounts::default(), stale: false, skipped: 0 };
    let text = serde_json::to_string(&page).unwrap().replacen(r#""pay_percent":88"#, r#""pay_percent":"88""#, 1);
    let err = from_json::<CouponPage>(text.as_bytes()).unwrap_err();
    assert_eq!(err.field(), Some("coupons[1].kind"), "{err}");
}
