//! Times the checkout picker's ranking over 10,000 varied coupons (target: under 2 ms).
//!
//!     cargo run --release -p coupon-rules --example rank_bench
//!
//! Prints the median and the fastest of 101 runs; exits non-zero if the median misses 2 ms.

use coupon_rules::{rank, sample, BeijingTime};
use std::time::Instant;

const COUPONS: usize = 10_000;
const RUNS: usize = 101;
const BUDGET_MS: f64 = 2.0;

fn main() {
    let now = BeijingTime::parse_rfc3339("2026-11-24T12:00:00+08:00").expect("a time");
    let coupons = sample::mixed_coupons(COUPONS, now);
    let order = sample::order();
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
