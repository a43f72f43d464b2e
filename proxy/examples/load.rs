//! Load test of the proxy and its sandbox on loopback, bounded in time: concurrent sessions
//! mix list, detail and claim (each claim intent sent twice, as a retrying client would),
//! and upstream faults are switched on half-way.
//!
//!     cargo run --release -p coupon-proxy --example load -- [seconds=20] [sessions=64]
//!
//! Prints requests served, the status mix, latency percentiles, peak memory, and whether the
//! coupons issued equal the claims that succeeded; exits non-zero if they differ.

use coupon_sandbox::Faults;
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

struct Worker {
    latencies_us: Vec<u64>,
    statuses: BTreeMap<u16, u64>,
    claimed_ids: HashSet<String>,
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(20);
    let sessions: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(64);
    let (mut settings, sandbox) =
        coupon_proxy::dev::sandbox_settings().await.expect("sandbox starts");
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.rate_limit_per_minute = u32::MAX; // measuring throughput, not the limiter
    let proxy = coupon_proxy::start(settings).await.expect("proxy starts");
    let base = format!("http://{}/api/v1", proxy.addr);
    let http = reqwest::Client::builder().pool_max_idle_per_host(sessions).build().unwrap();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for w in 0..sessions {
        let openid = format!("o_load_{w:04}");
        let cookie = format!("cw_session={}", proxy.app.sessions.create(&openid).await.unwrap());
        let (http, base) = (http.clone(), base.clone());
        tasks.push(tokio::spawn(async move { work(w, http, base, cookie, deadline).await }));
    }
    tokio::time::sleep(Duration::from_secs(seconds / 2)).await;
    sandbox.set_faults(Faults {
        frequency_limited: 300,
        system_error: 300,
        malformed_body: 100,
        bad_signature: 100,
        latency_ms: 0,
        ..Default::default()
    });
    let faults_at = started.elapsed();
    let mut all =
        Worker { latencies_us: Vec::new(), statuses: BTreeMap::new(), claimed_ids: HashSet::new() };
    let mut per_user_claimed = Vec::new();
    for t in tasks {
        let w = t.await.expect("worker");
        all.latencies_us.extend(&w.latencies_us);
        for (s, n) in &w.statuses {
            *all.statuses.entry(*s).or_default() += n;
        }
        per_user_claimed.push(w.claimed_ids);
    }
    let elapsed = started.elapsed();
    sandbox.set_faults(Faults::default());
    // Nothing lost, nothing doubled: each user's wallet holds exactly the coupons its
    // successful claims returned.
    let mut mismatches = 0;
    let mut issued_total = 0;
    for (w, ids) in per_user_claimed.iter().enumerate() {
        let cookie = format!(
            "cw_session={}",
            proxy.app.sessions.create(&format!("o_load_{w:04}")).await.unwrap()
        );
        let wallet: serde_json::Value = http
            .get(format!("{base}/coupons?limit=50"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let held: HashSet<String> = wallet["coupons"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["stock_id"] == "SBX_STOCK_CLAIM_500")
            .filter_map(|c| c["id"].as_str().map(str::to_owned))
            .collect();
        issued_total += held.len();
        if &held != ids {
            mismatches += 1;
        }
    }
    let claims_ok: usize = per_user_claimed.iter().map(HashSet::len).sum();
    all.latencies_us.sort_unstable();
    let pct = |p: f64| {
        all.latencies_us
            .get(
                ((all.latencies_us.len() as f64 * p) as usize)
                    .min(all.latencies_us.len().saturating_sub(1)),
            )
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    let total: u64 = all.statuses.values().sum();
    let server_errors: u64 = all.statuses.iter().filter(|(s, _)| **s >= 500).map(|(_, n)| n).sum();
    println!(
        "load: {sessions} sessions for {:.1} s (faults on from {:.1} s): {total} requests, {:.0} req/s",
        elapsed.as_secs_f64(),
        faults_at.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    println!("  statuses: {:?}", all.statuses);
    println!(
        "  5xx rate: {:.2}% (upstream faults surfaced as readable errors)",
        server_errors as f64 * 100.0 / total.max(1) as f64
    );
    println!(
        "  latency ms: p50 {:.2}, p90 {:.2}, p99 {:.2}, max {:.2}",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    );
    println!("  peak memory (whole process: proxy + sandbox + load generator): {}", peak_memory());
    println!("  claims: {claims_ok} succeeded, {issued_total} coupons issued, {mismatches} wallets differing");
    proxy.shutdown().await;
    if mismatches > 0 || claims_ok != issued_total {
        std::process::exit(1);
    }
}

async fn work(
    w: usize,
    http: reqwest::Client,
    base: String,
    cookie: String,
    deadline: Instant,
) -> Worker {
    let mut me =
        Worker { latencies_us: Vec::new(), statuses: BTreeMap::new(), claimed_ids: HashSet::new() };
    let csrf: String =
        match http.get(format!("{base}/session")).header("cookie", &cookie).send().await {
            Ok(r) => r
                .json::<serde_json::Value>()
                .await
                .ok()
                .and_then(|v| v["csrf_token"].as_str().map(str::to_owned))
                .unwrap_or_default(),
            Err(_) => String::new(),
        };
    let mut n = 0usize;
    while Instant::now() < deadline {
        let op = n % 20;
        let t = Instant::now();
        let status = if op == 0 {
            // One intended claim, sent twice with the same key.
            let body = serde_json::json!({ "stock_id": "SBX_STOCK_CLAIM_500", "client_key": format!("load-{w}-{n}") });
            let mut last = 0;
            for _ in 0..2 {
                if let Ok(r) = http
                    .post(format!("{base}/claims"))
                    .header("cookie", &cookie)
                    .header("x-csrf-token", &csrf)
                    .json(&body)
                    .send()
                    .await
                {
                    last = r.status().as_u16();
                    if last == 200 {
                        if let Ok(v) = r.json::<serde_json::Value>().await {
                            if let Some(id) = v["coupon_id"].as_str() {
                                me.claimed_ids.insert(id.to_owned());
                            }
                        }
                    }
                }
            }
            last
        } else if op % 4 == 1 && !me.claimed_ids.is_empty() {
            let id = me.claimed_ids.iter().next().cloned().unwrap_or_default();
            http.get(format!("{base}/coupons/stock/{id}"))
                .header("cookie", &cookie)
                .send()
                .await
                .map_or(0, |r| r.status().as_u16())
        } else {
            let tab = ["available", "used", "expired"][n % 3];
            http.get(format!("{base}/coupons?tab={tab}&offset=0&limit=50"))
                .header("cookie", &cookie)
                .send()
                .await
                .map_or(0, |r| r.status().as_u16())
        };
        me.latencies_us.push(t.elapsed().as_micros() as u64);
        *me.statuses.entry(status).or_default() += 1;
        n += 1;
    }
    me
}

fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "unknown".into())
}
