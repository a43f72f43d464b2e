//! Builders shared by the rules' specification tests.
#![allow(dead_code)]

use chrono::NaiveTime;
use coupon_rules::model::*;
use coupon_rules::time::Weekday;
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

/// Weekly slots as WeChat states them: days 0 = Sunday … 6 = Saturday, ranges in seconds of
/// the day, both ends included.
pub fn weekly(days: &[u8], ranges: &[(u32, u32)]) -> Option<WeeklySlots> {
    let mut days: Vec<Weekday> = days.iter().map(|d| weekday(*d)).collect();
    days.sort_by_key(Weekday::num_days_from_monday);
    days.dedup();
    Some(WeeklySlots {
        days,
        ranges: ranges
            .iter()
            .map(|&(begin, end)| DayRange { begin: second(begin), end: second(end) })
            .collect(),
    })
}

/// WeChat's weekday number: 0 = Sunday … 6 = Saturday.
pub fn weekday(n: u8) -> Weekday {
    Weekday::try_from((n + 6) % 7).expect("a weekday number")
}

/// A second of the day as a time of day.
pub fn second(s: u32) -> NaiveTime {
    NaiveTime::from_num_seconds_from_midnight_opt(s.min(86_399), 0).expect("a second of the day")
}
