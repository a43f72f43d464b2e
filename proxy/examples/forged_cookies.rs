//! A flood of server-signed values that are not sessions, as the outside review sent it: the
//! `cw_login` value anyone gets from `/oauth/login`, about 60 KB long, presented as the session
//! cookie. Prints the process's resident memory before and after; every answer must be 401.
//!
//! `cargo run --release -p coupon-proxy --example forged_cookies [-- REQUESTS]`

use coupon_proxy::{COOKIE, LOGIN_COOKIE};

fn resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

#[tokio::main]
async fn main() {
    let requests: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(3_000);
    let (mut settings, _sandbox) = coupon_proxy::dev::sandbox_settings().await.unwrap();
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.rate_limit_per_minute = u32::MAX;
    let running = coupon_proxy::start(settings).await.unwrap();
    let http = reqwest::Client::new();
    let url = format!("http://{}/api/v1/coupons", running.addr);
    let before = resident_mib();
    for i in 0..requests {
        // A distinct value each time, as a flood would send.
        let value = running.app.sessions.sign(LOGIN_COOKIE, &format!("{i}|{}", "r".repeat(60_000)));
        let r = http.get(&url).header("cookie", format!("{COOKIE}={value}")).send().await.unwrap();
        assert_eq!(r.status(), 401);
    }
    let after = resident_mib();
    println!("{requests} forged session cookies of 60 KB, each answered 401: resident {before:.1} MiB before, {after:.1} MiB after");
    running.shutdown().await;
}
