//! The proxy writes `/api/v1` bodies with the types in `coupon_rules::api` and the widget
//! reads them back with the same types: every coupon kind, state and use method survives.

mod common;

use common::*;
use coupon_rules::api::{Claimed, CouponDetail, CouponPage, ErrorBody, ErrorCode, ErrorInfo};
use coupon_rules::from_json;
use coupon_rules::model::Coupon;
use coupon_rules::wallet::TabCounts;

fn every_kind() -> Vec<Coupon> {
    coupon_rules::sample::every_variant(at("2025-05-20 10:00"))
}

#[test]
fn a_page_round_trips_for_every_kind_state_and_use_method() {
    let page = CouponPage {
        coupons: every_kind(),
        total: 6,
        offset: 0,
        limit: 20,
        counts: TabCounts { available: 3, used: 2, expired: 1, expired_pending: false },
        stale: true,
        skipped: 1,
        missing: vec![],
        truncated: false,
    };
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
    let error = ErrorBody {
        error: ErrorInfo {
            code: ErrorCode::Unauthenticated,
            message: "请先登录".into(),
            retryable: false,
            login_url: Some("/login".into()),
            upstream_code: None,
        },
    };
    let text = serde_json::to_string(&error).unwrap();
    assert!(!text.contains("upstream_code"), "absent optional members are left out: {text}");
    assert_eq!(from_json::<ErrorBody>(text.as_bytes()).unwrap(), error);
}

#[test]
fn a_body_the_proxy_did_not_write_names_its_field() {
    let page = CouponPage { coupons: every_kind(), total: 6, limit: 20, ..CouponPage::default() };
    let text = serde_json::to_string(&page).unwrap().replacen(
        r#""pay_percent":88"#,
        r#""pay_percent":"88""#,
        1,
    );
    let err = from_json::<CouponPage>(text.as_bytes()).unwrap_err();
    assert_eq!(err.field(), Some("coupons[1].kind.discount.pay_percent"), "{err}");
}
