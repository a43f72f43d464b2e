//! Upstream calls over real minutes for one session whose wallet has a failing source, as the
//! outside review measured it: the demo merchant with a partner that has not authorised it
//! (WeChat Pay answers its queries NOAUTH), the default settings, and one session asking for
//! its coupons at the session limit (120 a minute). Prints the signed WeChat Pay calls made in
//! each minute.
//!
//! `cargo run --release -p coupon-proxy --example failing_source [-- MINUTES]`

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let minutes: u32 = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(2);
    let (mut settings, sandbox) = coupon_proxy::dev::sandbox_settings().await.unwrap();
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.partner_mchids.push("1900009999".into());
    let per_minute = settings.rate_limit_per_minute;
    let running = coupon_proxy::start(settings).await.unwrap();
    let http =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let base = format!("http://{}/api/v1", running.addr);
    let login = http.get(format!("{base}/dev/login?user=o_sandbox_demo")).send().await.unwrap();
    let cookie =
        login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let calls = || {
        let s = sandbox.stats();
        s.merchant_list.load(Relaxed) + s.stock_list.load(Relaxed) + s.merchant_detail.load(Relaxed)
    };
    let gap = Duration::from_secs(60) / per_minute;
    let start = Instant::now();
    for minute in 1..=minutes {
        let (before, mut answered, mut partial) = (calls(), 0, 0);
        for i in 0..per_minute {
            tokio::time::sleep_until((start + gap * ((minute - 1) * per_minute + i)).into()).await;
            let r =
                http.get(format!("{base}/coupons")).header("cookie", &cookie).send().await.unwrap();
            answered += u32::from(r.status() == 200);
            let body: serde_json::Value = r.json().await.unwrap_or_default();
            partial += u32::from(body["missing"].as_array().is_some_and(|m| !m.is_empty()));
        }
        println!("minute {minute}: {per_minute} requests ({answered} answered 200, {partial} partial), {} upstream calls", calls() - before);
    }
    running.shutdown().await;
}
