//! What each kind of coupon takes off an order, and the picker's choice.

mod common;
use common::*;
use coupon_rules::model::{CouponKind, CouponState};
use coupon_rules::validity::Availability;
use coupon_rules::{evaluate, rank, Fen, Order, OrderItem, Outcome, Reason};

fn order(total: i64) -> Order {
    Order { total: Fen(total), items: vec![] }
}

fn items(total: i64, prices: &[i64]) -> Order {
    Order { total: Fen(total), items: prices.iter().map(|p| OrderItem { name: None, unit_price: Fen(*p), quantity: 1 }).collect() }
}

fn saving(o: Outcome) -> i64 {
    match o {
        Outcome::Applies { saving } => saving.0,
        Outcome::NotApplicable(r) => panic!("expected a saving, got {r:?}"),
    }
}

const NOW: &str = "2025-05-20 12:00";

#[test]
fn fixed_amount_needs_the_threshold_and_never_exceeds_the_order() {
    let c = fixed("a", 500, 10_000);
    assert_eq!(evaluate(&c, &order(9_999), at(NOW)), Outcome::NotApplicable(Reason::BelowThreshold { threshold: Fen(10_000) }));
    assert_eq!(saving(evaluate(&c, &order(10_000), at(NOW))), 500);
    let no_threshold = fixed("b", 500, 0);
    assert_eq!(saving(evaluate(&no_threshold, &order(300), at(NOW))), 300);
}

#[test]
fn discount_rounds_the_saving_down_to_the_fen() {
    let c = coupon("d", CouponKind::Discount { pay_percent: 88, threshold: Fen(100) });
    assert_eq!(saving(evaluate(&c, &order(1_000), at(NOW))), 120);
    assert_eq!(saving(evaluate(&c, &order(999), at(NOW))), 119, "119.88 fen rounds down");
    assert!(matches!(evaluate(&c, &order(99), at(NOW)), Outcome::NotApplicable(Reason::BelowThreshold { .. })));
}

#[test]
fn exchange_pays_the_dearest_item_at_the_exchange_price() {
    let c = coupon("e", CouponKind::Exchange { price: Fen(100), threshold: Fen(1_000) });
    assert_eq!(saving(evaluate(&c, &items(2_000, &[500, 1_500]), at(NOW))), 1_400);
    assert_eq!(evaluate(&c, &order(2_000), at(NOW)), Outcome::NotApplicable(Reason::NoEligibleItem { max_item_price: None }));
}

#[test]
fn cut_to_only_acts_on_items_up_to_the_cap() {
    let c = coupon("c", CouponKind::CutTo { price: Fen(80), max_item_price: Fen(100), threshold: Fen(0) });
    assert_eq!(saving(evaluate(&c, &items(1_000, &[100, 900]), at(NOW))), 20);
    assert_eq!(evaluate(&c, &items(1_000, &[101, 899]), at(NOW)), Outcome::NotApplicable(Reason::NoEligibleItem { max_item_price: Some(Fen(100)) }));
}

#[test]
fn balance_spends_up_to_what_is_left() {
    let c = coupon("m", CouponKind::Balance { balance: Fen(10_000) });
    assert_eq!(saving(evaluate(&c, &order(3_000), at(NOW))), 3_000);
    assert_eq!(saving(evaluate(&c, &order(30_000), at(NOW))), 10_000);
    let empty = coupon("z", CouponKind::Balance { balance: Fen(0) });
    assert_eq!(evaluate(&empty, &order(3_000), at(NOW)), Outcome::NotApplicable(Reason::EmptyBalance));
}

#[test]
fn unusable_coupons_say_why() {
    let mut c = fixed("a", 500, 0);
    c.state = CouponState::Used;
    assert!(matches!(evaluate(&c, &order(1_000), at(NOW)), Outcome::NotApplicable(Reason::NotUsable { availability: Availability::Used { .. } })));
    let unknown = coupon("u", CouponKind::Unknown { raw: "LUCKY".into() });
    assert_eq!(evaluate(&unknown, &order(1_000), at(NOW)), Outcome::NotApplicable(Reason::UnsupportedKind));
    assert_eq!(evaluate(&fixed("z", 500, 0), &order(0), at(NOW)), Outcome::NotApplicable(Reason::NoSaving));
}

#[test]
fn the_picker_chooses_the_largest_saving_and_ties_go_to_the_sooner_expiry() {
    let small = fixed("small", 300, 0);
    let mut big_late = fixed("big-late", 1_000, 5_000);
    big_late.validity.stock_window = window("2025-01-01 00:00", "2025-12-31 00:00");
    let mut big_soon = fixed("big-soon", 1_000, 5_000);
    big_soon.validity.stock_window = window("2025-01-01 00:00", "2025-05-21 00:00");
    let too_far = fixed("far", 5_000, 50_000);
    let coupons = vec![small, big_late, too_far, big_soon];
    let r = rank(&coupons, &order(8_000), at(NOW));
    let order_of: Vec<&str> = r.applicable.iter().map(|a| coupons[a.index].id.as_str()).collect();
    assert_eq!(order_of, ["big-soon", "big-late", "small"]);
    assert_eq!(r.best, Some(3));
    assert_eq!(r.best_saving(), Fen(1_000));
    assert_eq!(r.not_applicable.len(), 1);
    assert_eq!(r.not_applicable[0].reason, Reason::BelowThreshold { threshold: Fen(50_000) });
    // A smaller order changes the choice.
    let r = rank(&coupons, &order(1_000), at(NOW));
    assert_eq!(r.best.map(|i| coupons[i].id.as_str()), Some("small"));
}

#[test]
fn the_picker_knows_when_to_look_again() {
    let mut c = fixed("slot", 500, 0);
    c.validity.weekly = weekly(&[2], &[(36_000, 64_800)]);
    let r = rank(&[c.clone()], &order(1_000), at("2025-05-20 09:00"));
    assert_eq!(r.best, None);
    assert_eq!(r.next_change, Some(at("2025-05-20 10:00")));
    let r = rank(&[c], &order(1_000), at("2025-05-20 11:00"));
    assert_eq!(r.best, Some(0));
    assert_eq!(r.next_change, Some(at("2025-05-20 18:00").plus_millis(1000)));
}
