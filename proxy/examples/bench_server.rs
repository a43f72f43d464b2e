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
//!
//! Campaign: a campaign's crowd of cold users against a sandbox rate-limited as WeChat Pay
//! limits a merchant (`FREQUENCY_LIMITED` over `RATE` calls a second) and the proxy's
//! `--upstream-rate-limit` set to the same rate, wallets kept as with notifications. New users
//! arrive at each of `ARRIVALS` a second, each asks for its first screen (可用); a second round
//! at that rate has every served user open 已过期 at once too. Prints one `CAMPAIGN` line per
//! round and exits.

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
        Some("campaign") => campaign(settings).await,
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

/// The demo user copied under `o_bench_0 … o_bench_{users - 1}` (and `o_bench_burst`).
fn many_users_data(users: usize) -> String {
    let mut data: serde_json::Value = serde_json::from_str(sandbox::DATA).expect("sandbox data");
    let list = data["users"].as_array_mut().expect("users");
    let demo = list.iter().find(|u| u["openid"] == "o_sandbox_demo").expect("demo user").clone();
    let copies: Vec<_> = (0..users)
        .map(|i| format!("o_bench_{i}"))
        .chain(["o_bench_burst".to_owned()])
        .map(|openid| {
            let mut u = demo.clone();
            u["openid"] = openid.into();
            u
        })
        .collect();
    list.extend(copies);
    data.to_string()
}

async fn uncached(mut settings: Settings) {
    let sb = Sandbox::new(&many_users_data(USERS)).expect("sandbox data loads");
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

/// WeChat's per-merchant rate in the campaign rounds (calls a second), users arriving a second,
/// and how long each round's arrivals last.
const RATE: u32 = 100;
const ARRIVALS: [u32; 2] = [10, 40];
const ROUND: Duration = Duration::from_secs(15);

async fn campaign(mut settings: Settings) {
    let users: usize = ARRIVALS.iter().map(|a| 2 * *a as usize * ROUND.as_secs() as usize).sum();
    let sb = Sandbox::new(&many_users_data(users)).expect("sandbox data loads");
    let sb_addr =
        sandbox::spawn(sb.clone(), "127.0.0.1:0".parse().unwrap()).await.expect("sandbox binds");
    settings.upstream = Some(format!("http://{sb_addr}"));
    settings.upstream_rate_limit = Some(RATE);
    settings.cache_ttl = Duration::from_secs(300);
    let running = coupon_proxy::start(settings).await.expect("proxy starts");
    sb.set_faults(sandbox::Faults { rate_per_second: Some(RATE), ..Default::default() });
    let client = reqwest::Client::new();
    let mut next_user = 0;
    let rounds = ARRIVALS.iter().flat_map(|a| [(*a, false), (*a, true)]);
    for (arrivals, open_expired) in rounds {
        let per_round = arrivals as usize * ROUND.as_secs() as usize;
        let mut cookies = Vec::with_capacity(per_round);
        for i in next_user..next_user + per_round {
            let session = running.app.sessions.create(&format!("o_bench_{i}")).await.unwrap();
            cookies.push(format!("cw_session={session}"));
        }
        next_user += per_round;
        // A quiet second between rounds, so each starts with the rate unspent.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let sent = running.app.upstream.requests_sent();
        let over = sb.stats().over_rate.load(Ordering::Relaxed);
        let started = std::time::Instant::now();
        let mut users = Vec::with_capacity(per_round);
        let mut tick = tokio::time::interval(Duration::from_secs(1) / arrivals);
        for cookie in cookies {
            tick.tick().await;
            let (client, page) = (client.clone(), page_url(running.addr));
            users.push(tokio::spawn(async move {
                one_user(&client, &page, &cookie, open_expired).await
            }));
        }
        let mut outcomes = Vec::with_capacity(per_round);
        for u in users {
            outcomes.push(u.await.unwrap());
        }
        let took = started.elapsed().as_secs_f64();
        let served: Vec<_> = outcomes.iter().filter(|o| o.first == Served::Whole).collect();
        let mut ms: Vec<u64> = served.iter().map(|o| o.first_ms).collect();
        ms.sort_unstable();
        let at = |q: f64| ms.get(((ms.len() as f64 - 1.0) * q) as usize).copied().unwrap_or(0);
        let count = |f: &dyn Fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
        println!(
            "CAMPAIGN arrivals_per_s={arrivals} expired_opened={open_expired} users={} took_s={took:.1} served={} per_s={:.1} partial={} busy={} p50_ms={} p95_ms={} expired_served={} expired_busy={} upstream_per_s={:.0} over_rate={}",
            outcomes.len(),
            served.len(),
            served.len() as f64 / took,
            count(&|o| o.first == Served::Partly),
            count(&|o| o.first == Served::Busy),
            at(0.5),
            at(0.95),
            count(&|o| o.expired == Some(Served::Whole)),
            count(&|o| o.expired == Some(Served::Busy)),
            (running.app.upstream.requests_sent() - sent) as f64 / took,
            sb.stats().over_rate.load(Ordering::Relaxed) - over,
        );
    }
    running.shutdown().await;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Served {
    /// Every source answered.
    Whole,
    /// Answered with some sources `missing`.
    Partly,
    /// Not answered (UPSTREAM_BUSY or another error).
    Busy,
}

struct Outcome {
    first: Served,
    first_ms: u64,
    expired: Option<Served>,
}

/// One campaign user: the first screen, then (when asked) the 已过期 tab.
async fn one_user(
    client: &reqwest::Client,
    page: &str,
    cookie: &str,
    open_expired: bool,
) -> Outcome {
    let asked = std::time::Instant::now();
    let first = served(client, page, cookie).await;
    let first_ms = asked.elapsed().as_millis() as u64;
    let expired = if open_expired && first != Served::Busy {
        Some(served(client, &page.replace("tab=available", "tab=expired"), cookie).await)
    } else {
        None
    };
    Outcome { first, first_ms, expired }
}

async fn served(client: &reqwest::Client, url: &str, cookie: &str) -> Served {
    let Ok(answer) = client.get(url).header("cookie", cookie).send().await else {
        return Served::Busy;
    };
    if !answer.status().is_success() {
        return Served::Busy;
    }
    let body: serde_json::Value = answer.json().await.unwrap_or_default();
    let missing = body["missing"].as_array().is_some_and(|m| !m.is_empty());
    if missing {
        Served::Partly
    } else {
        Served::Whole
    }
}

/// The first page of a user's coupons, as the widget asks for it.
fn page_url(proxy: std::net::SocketAddr) -> String {
    format!("http://{proxy}/api/v1/coupons?tab=available&offset=0&limit=50")
}
