//! Builders shared by the rules' specification tests.
#![allow(dead_code)]

use coupon_rules::model::*;
use coupon_rules::{BeijingTime, Fen};

/// A Beijing wall-clock instant, e.g. `at("2025-05-20 10:00")` (a Tuesday).
pub fn at(s: &str) -> BeijingTime {
    BeijingTime::parse_rfc3339(&format!("{}:00+08:00", s.replace(' ', "T"))).expect("test time")
}

/// An available 满减 coupon with no time rules: `amount` off orders of `threshold`.
pub fn fixed(id: &str, amount: i64, threshold: i64) -> Coupon {
    coupon(id, CouponKind::FixedAmount { amount: Fen(amount), threshold: Fen(threshold) })
}

pub fn coupon(id: &str, kind: CouponKind) -> Coupon {
    let mut c = Coupon::new(id, Source::Merchant, format!("券{id}"), kind);
    c.stock_id = "stock".into();
    c.background = "#63b359".into();
    c
}

pub fn window(begin: &str, end: &str) -> Option<Window> {
    Some(Window { begin: Some(at(begin)), end: Some(at(end)) })
}

pub fn weekly(days: &[u8], ranges: &[(u32, u32)]) -> Option<WeeklySlots> {
    Some(WeeklySlots {
        days: days.iter().map(|d| coupon_rules::time::Weekday(*d)).collect(),
        ranges: ranges.iter().map(|&(begin, end)| DayRange { begin, end }).collect(),
    })
}
