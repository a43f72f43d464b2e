//! The proxy with its sandbox for throughput benchmarks: it also serves `/bench/fixed`, a
//! precomputed body exactly as large as the cached coupon page, so a load generator can
//! compare the cached path with what the same server does with no work at all.
//!
//!     cargo run --release -p coupon-proxy --example bench_server
//!
//! Prints `ADDR`, `COOKIE` (a session of the demo user, its coupons already cached), `PAGE`
//! (the cached-path URL) and `FIXED` (the fixed-body URL), then serves until killed.

use axum::routing::get;
use coupon_proxy::config::Settings;
use std::time::Duration;

#[tokio::main]
async fn main() {
    let mut settings = Settings::sandbox();
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.rate_limit_per_minute = u32::MAX; // measuring throughput, not the limiter
    settings.cache_ttl = Duration::from_secs(3_600);
    // The body of the cached path, fetched once through the proxy itself, sizes the fixed one.
    let probe = coupon_proxy::start(settings.clone()).await.expect("proxy starts");
    let cookie = format!("cw_session={}", probe.app.sessions.create("o_sandbox_demo"));
    let page = format!("http://{}/api/v1/coupons?limit=20", probe.addr);
    let body = reqwest::Client::new().get(&page).header("cookie", &cookie).send().await.unwrap().bytes().await.unwrap();
    probe.shutdown().await;

    let fixed = body.clone();
    let running = coupon_proxy::start_with(settings, move |router| {
        router.route("/bench/fixed", get(move || {
            let fixed = fixed.clone();
            async move { ([("content-type", "application/json")], fixed) }
        }))
    })
    .await
    .expect("proxy starts");
    let cookie = format!("cw_session={}", running.app.sessions.create("o_sandbox_demo"));
    let page = format!("http://{}/api/v1/coupons?limit=20", running.addr);
    // Warm the cache: the benchmark measures the cached path.
    reqwest::Client::new().get(&page).header("cookie", &cookie).send().await.unwrap();
    println!("ADDR {}", running.addr);
    println!("COOKIE {cookie}");
    println!("PAGE {page}");
    println!("FIXED http://{}/bench/fixed", running.addr);
    println!("BYTES {}", body.len());
    let _ = tokio::signal::ctrl_c().await;
    running.shutdown().await;
}
