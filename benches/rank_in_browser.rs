//! The picker's ranking of 10,000 coupons, timed in headless Chromium (budget 10 ms). Not a
//! test: `scripts/bench.sh` runs it and reads the figure it prints.
#![cfg(target_arch = "wasm32")]

use coupon_rules::{rank, sample};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn rank_ten_thousand_coupons() {
    let performance = web_sys::window().unwrap().performance().unwrap();
    let now = coupon_rules::BeijingTime::parse_rfc3339("2026-11-24T12:00:00+08:00").unwrap();
    let coupons = sample::mixed_coupons(10_000, now);
    let order = sample::order();
    let mut times = Vec::new();
    let mut applicable = 0;
    for _ in 0..51 {
        let started = performance.now();
        applicable = rank(&coupons, &order, now).applicable.len();
        times.push(performance.now() - started);
    }
    times.sort_by(f64::total_cmp);
    console_log!(
        "BENCH rank-in-browser median {:.3} ms, fastest {:.3} ms, {applicable} applicable",
        times[25],
        times[0]
    );
}
