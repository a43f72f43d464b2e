//! Deterministic sample coupons and orders, so that every benchmark (native and in the
//! browser) ranks the same mix.

use crate::model::*;
use crate::time::{BeijingTime, Weekday};
use chrono::NaiveTime;
use crate::{Fen, Order, OrderItem};

/// `n` coupons of every kind, state, window, weekly slot and irregular period around `now`.
pub fn mixed_coupons(n: usize, now: BeijingTime) -> Vec<Coupon> {
    (0..n).map(|i| coupon(i, now)).collect()
}

/// A ¥128 order with two item lines (so 换购 and 减至 have something to act on).
pub fn order() -> Order {
    Order {
        total: Fen(12_800),
        items: vec![OrderItem { name: None, unit_price: Fen(900), quantity: 2 }, OrderItem { name: None, unit_price: Fen(11_000), quantity: 1 }],
    }
}

/// A deterministic mix of every kind, with windows, weekly slots and irregular periods.
fn coupon(i: usize, now: BeijingTime) -> Coupon {
    let day = 86_400_000;
    let kind = match i % 6 {
        0 => CouponKind::FixedAmount { amount: Fen(100 + (i as i64 % 50) * 100), threshold: Fen((i as i64 % 30) * 1_000) },
        1 => CouponKind::Discount { pay_percent: 70 + (i % 29) as u8, threshold: Fen(5_000) },
        2 => CouponKind::Exchange { price: Fen(100), threshold: Fen(3_000) },
        3 => CouponKind::CutTo { price: Fen(80), max_item_price: Fen(1_000), threshold: Fen(0) },
        4 => CouponKind::Balance { balance: Fen((i as i64 % 20) * 500) },
        _ => CouponKind::FixedAmount { amount: Fen(500), threshold: Fen(20_000) },
    };
    let mut validity = Validity {
        stock_window: Some(Window { begin: Some(now.plus_millis(-((i % 20) as i64) * day)), end: Some(now.plus_millis(((i % 40) as i64 - 5) * day)) }),
        ..Validity::default()
    };
    if i.is_multiple_of(3) {
        let day = |n: usize| Weekday::try_from((n % 7) as u8).expect("0..7 is a weekday");
        let mut days = vec![day(i), day(i + 3)];
        days.sort_by_key(Weekday::num_days_from_monday);
        let time = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("a time of day");
        validity.weekly = Some(WeeklySlots { days, ranges: vec![DayRange { begin: time(10), end: time(18) }] });
    }
    if i.is_multiple_of(11) {
        validity.irregular = vec![Window { begin: Some(now.plus_millis(day)), end: Some(now.plus_millis(2 * day)) }];
    }
    let source = if i.is_multiple_of(2) { Source::Merchant } else { Source::Stock };
    let mut c = Coupon::new(format!("C{i:06}"), source, format!("券 {i}"), kind);
    c.stock_id = format!("S{}", i % 40);
    c.state = match i % 10 {
        0 => CouponState::Used,
        1 => CouponState::Expired,
        _ => CouponState::Available,
    };
    c.validity = validity;
    c
}
