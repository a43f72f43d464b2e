//! The proxy's state under load, for `scripts/bench.sh`:
//!
//! - `logins`: 200,000 logins over HTTP on one in-memory instance (logins per second for the
//!   first and the last 10,000), then 100,000 distinct users' wallets through the coupon cache;
//!   the process's resident memory after each;
//! - `pair REDIS_URL`: two instances on that Redis, each with a warm wallet, for wrk to drive
//!   (prints their page URLs and a cookie), beside one in-memory instance.
//!
//!     cargo run --release -p coupon-proxy --example state_bench -- logins

use std::sync::Arc;
use std::time::{Duration, Instant};

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("pair") => pair(args.get(2).expect("a redis:// URL")).await,
        _ => logins().await,
    }
}

async fn logins() {
    const LOGINS: usize = 200_000;
    const SLICE: usize = 10_000;
    const USERS: usize = 100_000;
    let (mut settings, _sandbox) =
        coupon_proxy::dev::sandbox_settings().await.expect("sandbox starts");
    settings.listen = "127.0.0.1:0".parse().unwrap();
    let running = coupon_proxy::start(settings).await.expect("proxy starts");
    let url = format!("http://{}/api/v1/dev/login?user=o_sandbox_empty", running.addr);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let mut rates = Vec::new();
    for _ in 0..LOGINS / SLICE {
        let started = Instant::now();
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let (http, url) = (http.clone(), url.clone());
                tokio::spawn(async move {
                    for _ in 0..SLICE / 32 {
                        let r = http.get(&url).send().await.expect("login");
                        assert_eq!(r.status(), 303);
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        rates.push((SLICE / 32 * 32) as f64 / started.elapsed().as_secs_f64());
    }
    println!(
        "LOGINS first={:.0} last={:.0} rss_mb={:.0}",
        rates[0],
        rates[rates.len() - 1],
        rss_mb()
    );

    // 100,000 distinct users through the coupon cache (each the demo user's wallet).
    let demo = running
        .app
        .wallets
        .get_or_fetch("warm", None, || async {
            Ok(coupon_proxy::Wallet::new(
                coupon_rules::sample::mixed_coupons(25, coupon_proxy::now()),
                0,
            ))
        })
        .await
        .unwrap()
        .0;
    let coupons = demo.coupons.clone();
    let started = Instant::now();
    for i in 0..USERS {
        let c = coupons.clone();
        running
            .app
            .wallets
            .get_or_fetch(&format!("o_cache_{i}"), None, || async move {
                Ok(coupon_proxy::Wallet::new(c, 0))
            })
            .await
            .unwrap();
    }
    println!(
        "CACHE users={USERS} per_s={:.0} rss_mb={:.0}",
        USERS as f64 / started.elapsed().as_secs_f64(),
        rss_mb()
    );
    running.shutdown().await;
}

async fn pair(redis: &str) {
    let (mut settings, _sandbox) =
        coupon_proxy::dev::sandbox_settings().await.expect("sandbox starts");
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.rate_limit_per_minute = u32::MAX;
    settings.cache_ttl = Duration::from_secs(3_600);
    let memory = coupon_proxy::start(settings.clone()).await.expect("in-memory proxy");
    settings.redis_url = Some(redis.to_owned());
    let a = coupon_proxy::start(settings.clone()).await.expect("proxy A on Redis");
    let b = coupon_proxy::start(settings).await.expect("proxy B on Redis");
    let http = reqwest::Client::new();
    let page = |p: &coupon_proxy::Running| {
        format!("http://{}/api/v1/coupons?tab=available&offset=0&limit=50", p.addr)
    };
    let cookie_memory =
        format!("cw_session={}", memory.app.sessions.create("o_sandbox_demo").await.unwrap());
    let cookie_shared =
        format!("cw_session={}", a.app.sessions.create("o_sandbox_demo").await.unwrap());
    for (p, c) in [(&memory, &cookie_memory), (&a, &cookie_shared), (&b, &cookie_shared)] {
        let r = http.get(page(p)).header("cookie", c).send().await.unwrap();
        assert!(r.status().is_success());
    }
    println!("MEMORY {} {cookie_memory}", page(&memory));
    println!("SHARED {} {} {cookie_shared}", page(&a), page(&b));
    let _ = Arc::new(());
    let _ = tokio::signal::ctrl_c().await;
}
