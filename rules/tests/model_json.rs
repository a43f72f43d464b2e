//! Reading the model back from the JSON the proxy writes (serde), without serde: the seeds'
//! coupons, the benchmark's samples, host-page orders, and what a broken body gets.

mod common;
use coupon_rules::model_json::{coupon, coupons_of, from_text, order, tab_counts};
use coupon_rules::wallet::TabCounts;
use coupon_rules::wire::{parse_merchant_coupon, parse_merchant_coupon_list, parse_stock_coupon_list};
use coupon_rules::{sample, Error, Fen, OrderItem};

const DETAIL_001: &[u8] = include_bytes!("fixtures/busifavor_detail_001.json");
const LIST_003: &[u8] = include_bytes!("fixtures/busifavor_list_003.json");
const FAVOR_000: &[u8] = include_bytes!("fixtures/favor_list_000.json");

fn round_trip(c: &coupon_rules::Coupon) {
    let text = serde_json::to_string(c).unwrap();
    assert_eq!(from_text(text.as_bytes(), coupon).as_ref(), Ok(c), "{text}");
}

#[test]
fn the_seeds_coupons_and_the_samples_read_back_equal() {
    let mut all = vec![parse_merchant_coupon(DETAIL_001).unwrap()];
    all.extend(parse_merchant_coupon_list(LIST_003).unwrap().coupons);
    all.extend(parse_stock_coupon_list(FAVOR_000).unwrap().coupons);
    all.extend(sample::mixed_coupons(500, common::at("2026-11-24 12:00")));
    assert!(all.len() > 500);
    all.iter().for_each(round_trip);
}

#[test]
fn a_host_pages_order_reads_with_either_spelling_and_defaults() {
    let o = from_text(r#"{"total": 12800, "items": [{"name": "拿铁", "unitPrice": 3800, "quantity": 2}, {"unit_price": "500"}]}"#.as_bytes(), order).unwrap();
    assert_eq!(o.total, Fen(12_800));
    assert_eq!(o.items, vec![OrderItem { name: Some("拿铁".into()), unit_price: Fen(3_800), quantity: 2 }, OrderItem { name: None, unit_price: Fen(500), quantity: 1 }]);
    assert_eq!(from_text(br#"{"total": 1}"#, order).unwrap().items, vec![]);
}

#[test]
fn counts_read_and_refuse_negatives() {
    assert_eq!(from_text(br#"{"available": 3, "used": 0, "expired": 12}"#, tab_counts), Ok(TabCounts { available: 3, used: 0, expired: 12 }));
    assert!(matches!(from_text(br#"{"available": -1, "used": 0, "expired": 0}"#, tab_counts), Err(Error::BadValue { field, .. }) if field == "available"));
}

#[test]
fn a_broken_body_names_what_is_wrong() {
    let good = serde_json::to_value(parse_merchant_coupon(DETAIL_001).unwrap()).unwrap();
    let broken = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        edit(&mut v);
        from_text(v.to_string().as_bytes(), coupon).unwrap_err()
    };
    assert_eq!(broken(&|v| v["kind"]["amount"] = "lots".into()), Error::WrongType { field: "kind.amount".into(), expected: "an integer" });
    assert_eq!(broken(&|v| v["kind"]["type"] = "bogus".into()).field(), Some("kind.type"));
    assert_eq!(broken(&|v| v["state"] = 7.into()).field(), Some("state"));
    assert_eq!(broken(&|v| v["validity"]["irregular"][0] = serde_json::json!({"begin": "yesterday"})).field(), Some("validity.irregular[0].begin"));
    assert_eq!(broken(&|v| v["validity"]["weekly"] = serde_json::json!({"days": [300], "ranges": []})).field(), Some("validity.weekly.days[0]"));
    assert_eq!(broken(&|v| { v.as_object_mut().unwrap().remove("name"); }), Error::Missing { field: "name".into() });
    assert!(matches!(from_text(b"{\"id\": ", coupon), Err(Error::NotJson { .. })));
    assert!(matches!(from_text(b"[]", coupon), Err(Error::WrongType { .. })));
}

#[test]
fn a_page_of_coupons_reads_in_order_and_a_bad_one_names_its_place() {
    let all = sample::mixed_coupons(3, common::at("2026-11-24 12:00"));
    let page = serde_json::json!({ "coupons": all, "total": all.len() }).to_string();
    assert_eq!(from_text(page.as_bytes(), |o| coupons_of(o, "coupons")), Ok(all.clone()));
    let mut bad = serde_json::json!({ "coupons": all });
    bad["coupons"][1]["state"] = "gone".into();
    assert_eq!(from_text(bad.to_string().as_bytes(), |o| coupons_of(o, "coupons")).unwrap_err().field(), Some("coupons[1].state"));
    assert_eq!(from_text(b"{}", |o| coupons_of(o, "coupons")), Err(Error::Missing { field: "coupons".into() }));
}
