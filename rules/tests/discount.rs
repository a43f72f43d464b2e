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
    Order { total: Fen(total), items: prices.iter().map(|p| OrderItem::new(Fen(*p), 1)).collect() }
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
    assert_eq!(
        evaluate(&c, &order(9_999), at(NOW)),
        Outcome::NotApplicable(Reason::BelowThreshold { threshold: Fen(10_000) })
    );
    assert_eq!(saving(evaluate(&c, &order(10_000), at(NOW))), 500);
    let no_threshold = fixed("b", 500, 0);
    assert_eq!(saving(evaluate(&no_threshold, &order(300), at(NOW))), 300);
}

#[test]
fn discount_rounds_the_saving_down_to_the_fen() {
    let c = coupon("d", CouponKind::Discount { pay_percent: 88, threshold: Fen(100) });
    assert_eq!(saving(evaluate(&c, &order(1_000), at(NOW))), 120);
    assert_eq!(saving(evaluate(&c, &order(999), at(NOW))), 119, "119.88 fen rounds down");
    assert!(matches!(
        evaluate(&c, &order(99), at(NOW)),
        Outcome::NotApplicable(Reason::BelowThreshold { .. })
    ));
}

#[test]
fn exchange_pays_the_dearest_item_at_the_exchange_price() {
    let c = coupon("e", CouponKind::Exchange { price: Fen(100), threshold: Fen(1_000) });
    assert_eq!(saving(evaluate(&c, &items(2_000, &[500, 1_500]), at(NOW))), 1_400);
    assert_eq!(
        evaluate(&c, &order(2_000), at(NOW)),
        Outcome::NotApplicable(Reason::NoEligibleItem { max_item_price: None })
    );
}

#[test]
fn cut_to_only_acts_on_items_up_to_the_cap() {
    let c = coupon(
        "c",
        CouponKind::CutTo { price: Fen(80), max_item_price: Fen(100), threshold: Fen(0) },
    );
    assert_eq!(saving(evaluate(&c, &items(1_000, &[100, 900]), at(NOW))), 20);
    assert_eq!(
        evaluate(&c, &items(1_000, &[101, 899]), at(NOW)),
        Outcome::NotApplicable(Reason::NoEligibleItem { max_item_price: Some(Fen(100)) })
    );
}

#[test]
fn balance_spends_up_to_what_is_left() {
    let c = coupon("m", CouponKind::Balance { balance: Fen(10_000) });
    assert_eq!(saving(evaluate(&c, &order(3_000), at(NOW))), 3_000);
    assert_eq!(saving(evaluate(&c, &order(30_000), at(NOW))), 10_000);
    let empty = coupon("z", CouponKind::Balance { balance: Fen(0) });
    assert_eq!(
        evaluate(&empty, &order(3_000), at(NOW)),
        Outcome::NotApplicable(Reason::EmptyBalance)
    );
}

#[test]
fn unusable_coupons_say_why() {
    let mut c = fixed("a", 500, 0);
    c.state = CouponState::Used;
    assert!(matches!(
        evaluate(&c, &order(1_000), at(NOW)),
        Outcome::NotApplicable(Reason::NotUsable { availability: Availability::Used { .. } })
    ));
    let unknown = coupon("u", CouponKind::Unknown { raw: "LUCKY".into() });
    assert_eq!(
        evaluate(&unknown, &order(1_000), at(NOW)),
        Outcome::NotApplicable(Reason::UnsupportedKind)
    );
    assert_eq!(
        evaluate(&fixed("z", 500, 0), &order(0), at(NOW)),
        Outcome::NotApplicable(Reason::NoSaving)
    );
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

fn goods(total: i64, lines: &[(&str, i64, u32)]) -> Order {
    Order {
        total: Fen(total),
        items: lines
            .iter()
            .map(|(g, p, q)| OrderItem {
                goods_id: Some((*g).to_owned()),
                ..OrderItem::new(Fen(*p), *q)
            })
            .collect(),
    }
}

fn single_item(kind: CouponKind, covers: &[&str]) -> coupon_rules::Coupon {
    let mut c = coupon("single", kind);
    c.single_item = true;
    c.goods_ids = covers.iter().map(|g| (*g).to_owned()).collect();
    c
}

#[test]
fn a_single_item_coupon_takes_off_one_unit_of_a_covered_item_not_the_order() {
    let order = goods(12_800, &[("COFFEE", 900, 2), ("CAKE", 11_000, 1)]);
    let fixed =
        single_item(CouponKind::FixedAmount { amount: Fen(2_000), threshold: Fen(0) }, &["COFFEE"]);
    assert_eq!(saving(evaluate(&fixed, &order, at(NOW))), 900, "¥20 off, but one coffee costs ¥9");
    let discount = single_item(
        CouponKind::Discount { pay_percent: 50, threshold: Fen(0) },
        &["CAKE", "COFFEE"],
    );
    assert_eq!(
        saving(evaluate(&discount, &order, at(NOW))),
        5_500,
        "half off one cake, not half the order"
    );
    let cut_to = single_item(
        CouponKind::CutTo { price: Fen(100), max_item_price: Fen(1_000), threshold: Fen(0) },
        &["COFFEE"],
    );
    assert_eq!(saving(evaluate(&cut_to, &order, at(NOW))), 800, "one coffee cut to ¥1");
    let cut_to_cake = single_item(
        CouponKind::CutTo { price: Fen(100), max_item_price: Fen(1_000), threshold: Fen(0) },
        &["CAKE"],
    );
    assert_eq!(
        evaluate(&cut_to_cake, &order, at(NOW)),
        Outcome::NotApplicable(Reason::NoEligibleItem { max_item_price: Some(Fen(1_000)) }),
        "the cake is over single_price_max"
    );
    let other =
        single_item(CouponKind::FixedAmount { amount: Fen(500), threshold: Fen(0) }, &["TEA"]);
    assert_eq!(evaluate(&other, &order, at(NOW)), Outcome::NotApplicable(Reason::NoCoveredItem));
}

#[test]
fn a_single_item_coupon_whose_goods_are_unknown_gives_no_guessed_saving_and_is_never_the_best_pick()
{
    let unknown_goods =
        single_item(CouponKind::FixedAmount { amount: Fen(5_000), threshold: Fen(0) }, &[]);
    let order = goods(12_800, &[("COFFEE", 900, 2)]);
    assert_eq!(
        evaluate(&unknown_goods, &order, at(NOW)),
        Outcome::NotApplicable(Reason::SingleItemUnknown)
    );
    let covers_coffee =
        single_item(CouponKind::FixedAmount { amount: Fen(5_000), threshold: Fen(0) }, &["COFFEE"]);
    assert_eq!(
        evaluate(&covers_coffee, &items(12_800, &[900]), at(NOW)),
        Outcome::NotApplicable(Reason::SingleItemUnknown),
        "the order's goods are unknown"
    );
    let small = fixed("small", 100, 0);
    let ranking = rank(&[covers_coffee, small], &items(12_800, &[900]), at(NOW));
    assert_eq!(ranking.best, Some(1), "the ¥1 coupon that surely applies wins over a ¥50 guess");
    assert_eq!(
        coupon_rules::text::reason(
            &Reason::SingleItemUnknown,
            &unknown_goods,
            at(NOW),
            coupon_rules::Lang::ZhCn
        ),
        "仅限指定商品"
    );
}
