//! The proxy with its sandbox for throughput benchmarks.
//!
//!     cargo run --release -p coupon-proxy --example bench_server            # cached path
//!     cargo run --release -p coupon-proxy --example bench_server uncached   # upstream every time
//!
//! Cached: also serves `/bench/fixed`, a precomputed body exactly as large as the cached coupon
//! page, so a load generator can compare the cached path with what the same server does with
//! no work at all. Prints `COOKIE` (a session of the demo user, its coupons already cached),
//! `PAGE` (the cached-path URL), `FIXED` (the fixed-body URL) and `BYTES`.
//!
//! Uncached: the sandbox holds 1,000 copies of the demo user, nothing is cached (TTL 0), and
//! each request may come from any of them, so every request makes the proxy's upstream calls
//! (signed, and each answer verified). Prints `COOKIES` (a file with one session per line),
//! `PAGE`, and `BURST`: how many upstream list calls 50 simultaneous identical requests of one
//! user (cold cache, normal TTL) caused. Both serve until killed.

use axum::routing::get;
use coupon_proxy::config::Settings;
use coupon_sandbox::{self as sandbox, Sandbox};
use std::sync::atomic::Ordering;
use std::time::Duration;

const USERS: usize = 1_000;
const BURST: usize = 50;

#[tokio::main]
async fn main() {
    let (mut settings, _sandbox) =
        coupon_proxy::dev::sandbox_settings().await.expect("sandbox starts");
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.rate_limit_per_minute = u32::MAX; // measuring throughput, not the limiter
                                               // The merchant-wide upstream rate, when the benchmark measures it.
    settings.upstream_rate_limit =
        std::env::var("CW_UPSTREAM_RATE_LIMIT").ok().and_then(|v| v.parse().ok());
    match std::env::args().nth(1).as_deref() {
        Some("uncached") => uncached(settings).await,
        _ => cached(settings).await,
    }
}

/// The body of one GET of `url` with the session `cookie`.
async fn body_of(client: &reqwest::Client, url: &str, cookie: &str) -> bytes::Bytes {
    let r = client.get(url).header("cookie", cookie).send().await.unwrap();
    r.bytes().await.unwrap()
}

async fn cached(mut settings: Settings) {
    settings.cache_ttl = Duration::from_secs(3_600);
    // The body of the cached path, fetched once through the proxy itself, sizes the fixed one.
    let probe = coupon_proxy::start(settings.clone()).await.expect("proxy starts");
    let cookie =
        format!("cw_session={}", probe.app.sessions.create("o_sandbox_demo").await.unwrap());
    let page = page_url(probe.addr);
    let body = body_of(&reqwest::Client::new(), &page, &cookie).await;
    probe.shutdown().await;

    let fixed = body.clone();
    let running = coupon_proxy::start_with(settings, move |router| {
        router.route(
            "/bench/fixed",
            get(move || {
                let fixed = fixed.clone();
                async move { ([("content-type", "application/json")], fixed) }
            }),
        )
    })
    .await
    .expect("proxy starts");
    let cookie =
        format!("cw_session={}", running.app.sessions.create("o_sandbox_demo").await.unwrap());
    let page = page_url(running.addr);
    // Warm the cache: the benchmark measures the cached path.
    reqwest::Client::new().get(&page).header("cookie", &cookie).send().await.unwrap();
    println!("COOKIE {cookie}");
    println!("PAGE {page}");
    println!("FIXED http://{}/bench/fixed", running.addr);
    println!("BYTES {}", body.len());
    let _ = tokio::signal::ctrl_c().await;
    running.shutdown().await;
}

/// The demo user copied under `o_bench_0 … o_bench_999` (and `o_bench_burst`).
fn many_users_data() -> String {
    let mut data: serde_json::Value = serde_json::from_str(sandbox::DATA).expect("sandbox data");
    let users = data["users"].as_array_mut().expect("users");
    let demo = users.iter().find(|u| u["openid"] == "o_sandbox_demo").expect("demo user").clone();
    let copies: Vec<_> = (0..USERS)
        .map(|i| format!("o_bench_{i}"))
        .chain(["o_bench_burst".to_owned()])
        .map(|openid| {
            let mut u = demo.clone();
            u["openid"] = openid.into();
            u
        })
        .collect();
    users.extend(copies);
    data.to_string()
}

async fn uncached(mut settings: Settings) {
    let sb = Sandbox::new(&many_users_data()).expect("sandbox data loads");
    let sb_addr =
        sandbox::spawn(sb.clone(), "127.0.0.1:0".parse().unwrap()).await.expect("sandbox binds");
    settings.upstream = Some(format!("http://{sb_addr}"));

    // A burst of identical requests from one user, cold cache, the normal TTL: one fetch.
    let running = coupon_proxy::start(settings.clone()).await.expect("proxy starts");
    let cookie =
        format!("cw_session={}", running.app.sessions.create("o_bench_burst").await.unwrap());
    let page = page_url(running.addr);
    let lists = || {
        sb.stats().merchant_list.load(Ordering::Relaxed)
            + sb.stats().stock_list.load(Ordering::Relaxed)
    };
    let before = lists();
    let client = reqwest::Client::new();
    let sent: Vec<_> = (0..BURST)
        .map(|_| tokio::spawn(client.get(&page).header("cookie", &cookie).send()))
        .collect();
    let mut ok = 0;
    for answer in sent {
        ok += usize::from(matches!(answer.await, Ok(Ok(r)) if r.status().is_success()));
    }
    println!("BURST {BURST} requests, {ok} answered 200, {} upstream list calls", lists() - before);
    running.shutdown().await;

    // The load: nothing cached, many users.
    settings.cache_ttl = Duration::ZERO;
    let running = coupon_proxy::start(settings).await.expect("proxy starts");
    let mut cookies = Vec::with_capacity(USERS);
    for i in 0..USERS {
        cookies.push(format!(
            "cw_session={}",
            running.app.sessions.create(&format!("o_bench_{i}")).await.unwrap()
        ));
    }
    let path = std::env::temp_dir().join(format!("cw-bench-cookies-{}", std::process::id()));
    std::fs::write(&path, cookies.join("\n") + "\n").expect("cookie file");
    let page = page_url(running.addr);
    let body = body_of(&client, &page, &cookies[0]).await;
    let calls = lists();
    client.get(&page).header("cookie", &cookies[1]).send().await.unwrap();
    println!("CALLS {} upstream list calls per request", lists() - calls);
    println!("COOKIES {}", path.display());
    println!("PAGE {page}");
    println!("BYTES {}", body.len());
    let _ = tokio::signal::ctrl_c().await;
    let _ = std::fs::remove_file(&path);
    running.shutdown().await;
}

/// The first page of a user's coupons, as the widget asks for it.
fn page_url(proxy: std::net::SocketAddr) -> String {
    format!("http://{proxy}/api/v1/coupons?tab=available&offset=0&limit=50")
}
