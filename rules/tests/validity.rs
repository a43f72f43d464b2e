//! When a coupon is usable, and what the user is told when it is not.

mod common;
use common::*;
use coupon_rules::model::{CouponState, Window};
use coupon_rules::validity::{availability, is_expiring_soon, span, DEFAULT_EXPIRING_SOON_MS};
use coupon_rules::Availability;

#[test]
fn absolute_window_not_started_usable_expired() {
    let mut c = fixed("a", 500, 0);
    c.validity.stock_window = window("2025-05-20 00:00", "2025-05-31 23:59");
    assert_eq!(
        availability(&c, at("2025-05-19 12:00")),
        Availability::NotStarted { from: at("2025-05-20 00:00") }
    );
    assert!(availability(&c, at("2025-05-25 12:00")).is_usable());
    assert!(availability(&c, at("2025-05-31 23:59")).is_usable(), "the end is inclusive");
    assert!(matches!(availability(&c, at("2025-06-01 00:00")), Availability::Expired { .. }));
}

#[test]
fn the_coupons_own_window_is_authoritative() {
    let mut c = fixed("a", 500, 0);
    c.validity.stock_window = window("2025-05-01 00:00", "2025-06-30 00:00");
    c.validity.coupon_window = window("2025-05-20 09:00", "2025-05-22 09:00");
    c.validity.days_after_receive = Some(1);
    c.received_at = Some(at("2025-05-20 09:00"));
    let s = span(&c);
    assert_eq!(s.start, Some(at("2025-05-20 09:00")));
    assert_eq!(
        s.expires_at(),
        Some(at("2025-05-22 09:00")),
        "WeChat already applied the stock's rules"
    );
    // Seed 001 itself: a 2015 stock window, a 2019 coupon window; the coupon's own wins.
    c.validity.stock_window = window("2015-05-20 13:29", "2015-05-20 13:29");
    c.validity.coupon_window = window("2019-12-30 13:29", "2019-12-31 13:29");
    assert!(availability(&c, at("2019-12-30 14:00")).is_usable());
}

#[test]
fn days_after_receive_counts_from_the_day_of_receipt_inside_the_window() {
    let mut c = fixed("a", 500, 0);
    c.validity.stock_window = window("2025-05-01 00:00", "2025-05-31 23:59");
    c.validity.days_after_receive = Some(3);
    c.received_at = Some(at("2025-05-20 15:00"));
    assert_eq!(span(&c).start, Some(at("2025-05-20 15:00")));
    assert_eq!(span(&c).end, Some(at("2025-05-23 00:00")), "20th, 21st, 22nd");
}

#[test]
fn days_after_receive_counts_from_the_first_day_when_received_early() {
    let mut c = fixed("a", 500, 0);
    c.validity.stock_window = window("2025-05-10 10:00", "2025-05-31 23:59");
    c.validity.days_after_receive = Some(2);
    c.received_at = Some(at("2025-05-01 08:00"));
    assert_eq!(span(&c).start, Some(at("2025-05-10 10:00")));
    assert_eq!(span(&c).end, Some(at("2025-05-12 00:00")));
}

#[test]
fn days_after_receive_never_outlives_the_stock() {
    let mut c = fixed("a", 500, 0);
    c.validity.stock_window = window("2025-05-01 00:00", "2025-05-31 12:00");
    c.validity.days_after_receive = Some(30);
    c.received_at = Some(at("2025-05-30 08:00"));
    assert_eq!(span(&c).expires_at(), Some(at("2025-05-31 12:00")));
}

#[test]
fn weekly_slots_tuesday_ten_to_six() {
    // 2025-05-20 is a Tuesday.
    let mut c = fixed("a", 500, 0);
    c.validity.weekly = weekly(&[2], &[(36_000, 64_800)]);
    assert!(availability(&c, at("2025-05-20 10:00")).is_usable());
    assert_eq!(
        availability(&c, at("2025-05-20 12:00")),
        Availability::Usable { until: Some(at("2025-05-20 18:00").plus_millis(1000)) }
    );
    assert_eq!(
        availability(&c, at("2025-05-20 09:30")),
        Availability::OutsideSlot { next: Some(at("2025-05-20 10:00")) }
    );
    assert_eq!(
        availability(&c, at("2025-05-20 18:01")),
        Availability::OutsideSlot { next: Some(at("2025-05-27 10:00")) }
    );
    assert_eq!(
        availability(&c, at("2025-05-21 12:00")),
        Availability::OutsideSlot { next: Some(at("2025-05-27 10:00")) }
    );
}

#[test]
fn slot_seconds_follow_wechats_convention() {
    // begin 1 = 00:00:01, end 86399 = 23:59:59
    let mut c = fixed("a", 500, 0);
    c.validity.weekly = weekly(&[], &[(1, 86_399)]);
    let midnight = at("2025-05-20 00:00");
    assert_eq!(
        availability(&c, midnight),
        Availability::OutsideSlot { next: Some(midnight.plus_millis(1000)) }
    );
    assert!(availability(&c, at("2025-05-20 23:59").plus_millis(59_999)).is_usable());
}

#[test]
fn up_to_three_ranges_a_day() {
    let mut c = fixed("a", 500, 0);
    c.validity.weekly =
        weekly(&[0, 6], &[(7 * 3600, 9 * 3600), (11 * 3600, 13 * 3600), (17 * 3600, 20 * 3600)]);
    let sat = at("2025-05-24 10:00"); // Saturday
    assert_eq!(
        availability(&c, sat),
        Availability::OutsideSlot { next: Some(at("2025-05-24 11:00")) }
    );
    assert!(availability(&c, at("2025-05-25 18:00")).is_usable()); // Sunday
    assert_eq!(
        availability(&c, at("2025-05-26 18:00")),
        Availability::OutsideSlot { next: Some(at("2025-05-31 07:00")) }
    );
}

#[test]
fn irregular_periods_open_the_coupon_outside_weekly_slots() {
    let mut c = fixed("a", 500, 0);
    c.validity.weekly = weekly(&[2], &[]);
    c.validity.irregular =
        vec![Window { begin: Some(at("2025-05-22 12:00")), end: Some(at("2025-05-22 14:00")) }];
    assert!(availability(&c, at("2025-05-20 03:00")).is_usable(), "all of Tuesday");
    assert!(availability(&c, at("2025-05-22 13:00")).is_usable(), "the irregular period");
    assert_eq!(
        availability(&c, at("2025-05-21 13:00")),
        Availability::OutsideSlot { next: Some(at("2025-05-22 12:00")) }
    );
}

#[test]
fn no_slot_left_before_expiry() {
    let mut c = fixed("a", 500, 0);
    c.validity.stock_window = window("2025-05-01 00:00", "2025-05-21 23:59");
    c.validity.weekly = weekly(&[2], &[(36_000, 64_800)]);
    assert_eq!(availability(&c, at("2025-05-20 19:00")), Availability::OutsideSlot { next: None });
}

#[test]
fn state_wins_over_time() {
    let mut c = fixed("a", 500, 0);
    c.state = CouponState::Used;
    c.used_at = Some(at("2025-05-01 10:00"));
    assert_eq!(
        availability(&c, at("2025-05-02 10:00")),
        Availability::Used { at: Some(at("2025-05-01 10:00")) }
    );
    c.state = CouponState::Expired;
    assert!(matches!(availability(&c, at("2025-05-02 10:00")), Availability::Expired { .. }));
    c.state = CouponState::Unknown("FROZEN".into());
    assert_eq!(availability(&c, at("2025-05-02 10:00")), Availability::Unavailable);
}

#[test]
fn expiring_soon_is_three_days_by_default() {
    let mut c = fixed("a", 500, 0);
    c.validity.stock_window = window("2025-05-01 00:00", "2025-05-31 23:59");
    assert!(!is_expiring_soon(&c, at("2025-05-28 00:00"), DEFAULT_EXPIRING_SOON_MS));
    assert!(is_expiring_soon(&c, at("2025-05-29 00:00"), DEFAULT_EXPIRING_SOON_MS));
    assert!(is_expiring_soon(&c, at("2025-05-25 00:00"), 7 * 86_400_000));
    assert!(
        !is_expiring_soon(&c, at("2025-06-01 00:00"), DEFAULT_EXPIRING_SOON_MS),
        "already expired"
    );
}

#[test]
fn wallet_tabs_and_order() {
    use coupon_rules::wallet::{select, Tab};
    let now = at("2025-05-20 12:00");
    let mut soon = fixed("soon", 1, 0);
    soon.validity.stock_window = window("2025-05-01 00:00", "2025-05-21 00:00");
    let mut later = fixed("later", 1, 0);
    later.validity.stock_window = window("2025-05-01 00:00", "2025-06-21 00:00");
    let mut waiting = fixed("waiting", 1, 0);
    waiting.validity.stock_window = window("2025-05-01 00:00", "2025-05-20 23:00");
    waiting.validity.weekly = weekly(&[3], &[]);
    let mut used = fixed("used", 1, 0);
    used.state = CouponState::Used;
    let mut gone = fixed("gone", 1, 0);
    gone.validity.stock_window = window("2025-05-01 00:00", "2025-05-02 00:00");
    let all = vec![later, used, waiting, gone, soon];
    let (available, counts) = select(&all, Tab::Available, now);
    let ids: Vec<&str> = available.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        ["soon", "later"],
        "usable first, soonest expiry first; the Wednesday-only one has no slot left"
    );
    assert_eq!((counts.available, counts.used, counts.expired), (2, 1, 2));
}

#[test]
fn availability_given_the_span_agrees_with_availability_for_every_kind_and_state() {
    use coupon_rules::validity::availability_within;
    let now = coupon_rules::BeijingTime::parse_rfc3339("2026-11-24T12:00:00+08:00").unwrap();
    let coupons = coupon_rules::sample::mixed_coupons(2_000, now);
    let mut states = std::collections::HashSet::new();
    for hours in [-30 * 24, -5, 0, 7, 50, 24 * 40] {
        let at = now.plus_millis(hours * 3_600_000);
        for c in &coupons {
            states.insert(format!("{:?}", c.state));
            assert_eq!(availability_within(c, span(c), at), availability(c, at), "{c:?} at {at:?}");
        }
    }
    assert!(states.len() >= 3, "the sample covers used, expired and available coupons: {states:?}");
}
