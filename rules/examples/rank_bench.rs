//! Times the checkout picker's ranking over 10,000 varied coupons (target: under 2 ms).
//!
//!     cargo run --release -p coupon-rules --example rank_bench
//!
//! Prints the median and the fastest of 101 runs; exits non-zero if the median misses 2 ms.

use coupon_rules::model::*;
use coupon_rules::time::Weekday;
use coupon_rules::{rank, BeijingTime, Fen, Order, OrderItem};
use std::time::Instant;

const COUPONS: usize = 10_000;
const RUNS: usize = 101;
const BUDGET_MS: f64 = 2.0;

fn main() {
    let now = BeijingTime::parse_rfc3339("2026-11-24T12:00:00+08:00").expect("a time");
    let coupons: Vec<Coupon> = (0..COUPONS).map(|i| coupon(i, now)).collect();
    let order = Order { total: Fen(12_800), items: vec![OrderItem { name: None, unit_price: Fen(900), quantity: 2 }, OrderItem { name: None, unit_price: Fen(11_000), quantity: 1 }] };
    let mut times = Vec::with_capacity(RUNS);
    let mut applicable = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let ranking = rank(&coupons, &order, now);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        applicable = ranking.applicable.len();
    }
    times.sort_by(f64::total_cmp);
    let median = times[RUNS / 2];
    println!("rank {COUPONS} coupons (native, release): median {median:.3} ms, fastest {:.3} ms, {applicable} applicable", times[0]);
    if median > BUDGET_MS {
        eprintln!("over the {BUDGET_MS} ms budget");
        std::process::exit(1);
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
    if i % 3 == 0 {
        validity.weekly = Some(WeeklySlots { days: vec![Weekday((i % 7) as u8), Weekday(((i + 3) % 7) as u8)], ranges: vec![DayRange { begin: 36_000, end: 64_800 }] });
    }
    if i % 11 == 0 {
        validity.irregular = vec![Window { begin: Some(now.plus_millis(day)), end: Some(now.plus_millis(2 * day)) }];
    }
    let source = if i % 2 == 0 { Source::Merchant } else { Source::Stock };
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
