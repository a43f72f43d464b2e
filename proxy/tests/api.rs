//! The widget's API over real HTTP, against the embedded sandbox over real signed HTTP.

mod common;
use common::*;
use coupon_sandbox::Faults;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;

/// The variant of a coupon's kind: `{"balance": {...}}` → `balance`.
fn kind_of(coupon: &Value) -> &str {
    coupon["kind"].as_object().and_then(|k| k.keys().next()).map_or("", String::as_str)
}

#[tokio::test]
async fn without_a_session_every_user_route_is_401_with_a_login_url() {
    let p = TestProxy::start().await;
    for path in
        ["/coupons", "/coupons/merchant/SBXM000001", "/session", "/claimable", "/first-screen"]
    {
        let (status, body) = p.get("", path).await;
        assert_eq!(status, 401, "{path}");
        assert_eq!(code(&body), "UNAUTHENTICATED");
        assert_eq!(body["error"]["login_url"], "/api/v1/dev/login");
    }
    let (status, _) = p.get("cw_session=forged.AAAA", "/coupons").await;
    assert_eq!(status, 401);
    assert_eq!(p.calls("merchant_list"), 0, "nothing reached upstream");
}

#[tokio::test]
async fn the_list_merges_merchant_stock_and_balance_coupons_with_tab_counts() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    let (status, body) = p.get(&me, "/coupons?tab=available&limit=50").await;
    assert_eq!(status, 200, "{body}");
    let kinds: HashSet<&str> = body["coupons"].as_array().unwrap().iter().map(kind_of).collect();
    for k in ["fixed_amount", "discount", "exchange", "cut_to", "balance"] {
        assert!(kinds.contains(k), "{k} in {kinds:?}");
    }
    let sources: HashSet<&str> =
        body["coupons"].as_array().unwrap().iter().map(|c| c["source"].as_str().unwrap()).collect();
    assert_eq!(sources, HashSet::from(["merchant", "stock"]));
    let counts = &body["counts"];
    assert_eq!(body["total"], counts["available"]);
    let (_, used) = p.get(&me, "/coupons?tab=used").await;
    assert_eq!(used["total"], counts["used"]);
    assert!(used["coupons"].as_array().unwrap().iter().all(|c| c["state"] == "used"));
    assert_eq!(body["stale"], false);
}

#[tokio::test]
async fn pages_cover_a_large_wallet_exactly_once() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_many").await;
    let (_, first) = p.get(&me, "/coupons?limit=50").await;
    let total = first["total"].as_u64().unwrap() as usize;
    assert!(total > 100, "the many-coupon user spans several upstream pages: {total}");
    let mut seen = HashSet::new();
    for offset in (0..total).step_by(50) {
        let (status, page) = p.get(&me, &format!("/coupons?limit=50&offset={offset}")).await;
        assert_eq!(status, 200);
        for id in ids(&page) {
            assert!(seen.insert(id.clone()), "{id} appears twice");
        }
    }
    assert_eq!(seen.len(), total);
    let (_, past_end) = p.get(&me, &format!("/coupons?offset={}", total + 10)).await;
    assert!(ids(&past_end).is_empty());
}

#[tokio::test]
async fn bad_parameters_are_4xx_and_never_reach_upstream() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    for path in [
        "/coupons?openid=o_sandbox_many",
        "/coupons?tab=all",
        "/coupons?limit=0",
        "/coupons?limit=51",
        "/coupons?offset=-1",
        "/coupons?limit=ten",
        "/coupons/merchant/%3Cscript%3E",
        "/coupons/elsewhere/1",
    ] {
        let (status, body) = p.get(&me, path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(code(&body), "INVALID_PARAMETER", "{path}");
    }
    let calls = ["merchant_list", "merchant_detail", "stock_list", "stock_detail"];
    assert_eq!(calls.map(|c| p.calls(c)), [0; 4]);
}

#[tokio::test]
async fn a_coupons_detail_comes_from_upstream_and_another_users_is_not_found() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    let (status, body) = p.get(&me, "/coupons/merchant/SBXM000001").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["coupon"]["name"], "满100减20");
    assert_eq!(p.calls("merchant_detail"), 1);
    let (status, body) = p.get(&me, "/coupons/stock/SBXS000006").await;
    assert_eq!((status, kind_of(&body["coupon"])), (200, "balance"));
    assert_eq!(p.calls("stock_detail"), 1, "a 消费金 is read fresh too");
    // Another user's coupon code is not this user's: not found, whatever the id.
    let (status, body) = p.get(&me, "/coupons/merchant/SBXN000001").await;
    assert_eq!((status, code(&body)), (404, "NOT_FOUND"));
}

#[tokio::test]
async fn a_burst_of_identical_requests_makes_one_upstream_fetch() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (http, url, me) = (p.http.clone(), p.url("/coupons"), me.clone());
        tasks.push(tokio::spawn(async move {
            http.get(url).header("cookie", me).send().await.unwrap().status().as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(p.calls("merchant_list"), 1, "one 商家券 page fetch for twenty requests");
    // 代金券 and 消费金 each: own stocks and the partner's (all but expired), and what is usable
    // here: three queries each, once for twenty requests.
    assert_eq!(p.calls("stock_list"), 6, "one fetch of each 代金券 and 消费金 query");
}

#[tokio::test]
async fn a_cold_first_screen_leaves_the_expired_queries_until_the_expired_tab_is_opened() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    let (_, first) = p.get(&me, "/coupons").await;
    assert_eq!(p.calls("merchant_list") + p.calls("stock_list"), 7, "what 可用 needs");
    assert_eq!(first["counts"]["expired_pending"], true, "{}", first["counts"]);
    let (status, expired) = p.get(&me, "/coupons?tab=expired&limit=50").await;
    assert_eq!(status, 200, "{expired}");
    assert_eq!(p.calls("stock_list"), 10, "then the four expired-state queries, once");
    assert_eq!(expired["counts"]["expired_pending"], false);
    assert!(!ids(&expired).is_empty(), "the expired ones are there: {expired}");
    let (_, again) = p.get(&me, "/coupons?tab=expired&limit=50").await;
    let (_, available) = p.get(&me, "/coupons").await;
    assert_eq!(ids(&again), ids(&expired));
    assert_eq!(available["counts"], expired["counts"], "kept: every tab counts them now");
    assert_eq!(p.calls("stock_list"), 10, "and never asked again while the wallet is fresh");
}

/// Sleeps until `ms` milliseconds into the next wall-clock second (the rate windows' unit).
async fn into_next_second(ms: u64) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let into = now.as_millis() as u64 % 1_000;
    tokio::time::sleep(Duration::from_millis(1_000 - into + ms)).await;
}

#[tokio::test]
async fn under_the_merchant_wide_rate_deferred_calls_leave_the_first_screens_their_share() {
    let p = TestProxy::with(|s| s.upstream_rate_limit = Some(4)).await;
    let app = p.running.app.clone();
    let done = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let call = |name: &'static str, deferred: bool| {
        let (app, done) = (app.clone(), done.clone());
        tokio::spawn(async move {
            let asked = app.upstream.stock("SBX_STOCK_CLAIM_500");
            let result = if deferred { coupon_proxy::deferred(asked).await } else { asked.await };
            assert!(result.is_ok(), "{name}: {result:?}");
            done.lock().unwrap().push(name);
        })
    };
    into_next_second(150).await;
    let mut calls: Vec<_> = (0..3).map(|_| call("deferred", true)).collect();
    tokio::time::sleep(Duration::from_millis(30)).await;
    calls.extend((0..3).map(|_| call("first", false)));
    for c in calls {
        c.await.unwrap();
    }
    let mut done = done.lock().unwrap().clone();
    // Half of a second's four for deferred work, the rest for first screens; in the next
    // second the first screen that waited goes before the deferred one.
    assert_eq!(done[4..], ["first", "deferred"], "{done:?}");
    done[..4].sort_unstable();
    assert_eq!(done[..4], ["deferred", "deferred", "first", "first"]);
}

#[tokio::test]
async fn over_wechats_rate_the_answer_is_frequency_limited_and_a_retry_gets_through() {
    let p = TestProxy::start().await;
    p.faults(Faults { rate_per_second: Some(2), ..Faults::default() });
    into_next_second(100).await;
    let calls: Vec<_> = (0..4)
        .map(|_| {
            let app = p.running.app.clone();
            tokio::spawn(async move { app.upstream.stock("SBX_STOCK_CLAIM_500").await })
        })
        .collect();
    for c in calls {
        let answer = c.await.unwrap();
        assert!(answer.is_ok(), "retried after backing off: {answer:?}");
    }
    assert!(p.calls("over_rate") >= 2, "two of the four were over the rate at first");
}

#[tokio::test]
async fn transient_upstream_errors_are_retried() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    p.faults(Faults { system_error: 1, frequency_limited: 1, ..Faults::default() });
    let (status, body) = p.get(&me, "/coupons").await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_unverifiable_response_is_never_served() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    p.faults(Faults { bad_signature: 100, ..Faults::default() });
    let (status, body) = p.get(&me, "/coupons").await;
    assert_eq!((status, code(&body)), (502, "UPSTREAM_BAD_RESPONSE"), "{body}");
    assert_eq!(body["error"]["retryable"], true);
}

#[tokio::test]
async fn a_malformed_body_is_a_readable_error() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    p.faults(Faults { malformed_body: 100, ..Faults::default() });
    let (status, body) = p.get(&me, "/coupons").await;
    assert_eq!((status, code(&body)), (502, "UPSTREAM_BAD_RESPONSE"));
    assert!(body["error"]["message"].as_str().unwrap().contains("微信支付"));
}

#[tokio::test]
async fn upstream_trouble_serves_the_last_good_coupons_marked_stale() {
    let p = TestProxy::with(|s| s.cache_ttl = Duration::ZERO).await;
    let me = p.login("o_sandbox_demo").await;
    let (_, fresh) = p.get(&me, "/coupons").await;
    p.faults(Faults { system_error: 100, ..Faults::default() });
    let (status, stale) = p.get(&me, "/coupons").await;
    assert_eq!(status, 200);
    assert_eq!(stale["stale"], true);
    assert_eq!(ids(&stale), ids(&fresh));
}

#[tokio::test]
async fn a_slow_upstream_times_out_with_a_clear_error() {
    let p = TestProxy::with(|s| s.upstream_timeout = Duration::from_millis(200)).await;
    let me = p.login("o_sandbox_demo").await;
    p.faults(Faults { latency_ms: 1_000, ..Faults::default() });
    let (status, body) = p.get(&me, "/coupons").await;
    assert_eq!((status, code(&body)), (504, "UPSTREAM_TIMEOUT"), "{body}");
}

#[tokio::test]
async fn claims_need_the_csrf_token_and_a_claimable_stock() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    let body = json!({ "stock_id": "SBX_STOCK_CLAIM_500", "client_key": "tap-0001" });
    let (status, r) = p.post(&me, None, "/claims", &body).await;
    assert_eq!((status, code(&r)), (403, "CSRF_FAILED"));
    let (status, _) = p.post(&me, Some("wrong-token"), "/claims", &body).await;
    assert_eq!(status, 403);
    let csrf = p.csrf(&me).await;
    let (status, r) = p.claim(&me, &csrf, "SBX_FV_NORMAL", "tap-0001").await;
    assert_eq!((status, code(&r)), (400, "STOCK_NOT_CLAIMABLE"));
    let (status, r) =
        p.post(&me, Some(&csrf), "/claims", &json!({ "stock_id": "SBX_STOCK_CLAIM_500", "client_key": "tap-0001", "openid": "o_sandbox_many" })).await;
    assert_eq!((status, code(&r)), (400, "INVALID_PARAMETER"), "no field can name another user");
    assert_eq!(p.calls("send_coupon"), 0);
}

#[tokio::test]
async fn a_double_tap_issues_exactly_one_coupon_and_it_joins_the_list() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_empty").await;
    let csrf = p.csrf(&me).await;
    let body = json!({ "stock_id": "SBX_STOCK_CLAIM_500", "client_key": "double-tap-1" });
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (http, url, me, csrf, body) =
            (p.http.clone(), p.url("/claims"), me.clone(), csrf.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .header("cookie", me)
                .header("x-csrf-token", csrf)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }));
    }
    let mut coupon_ids = HashSet::new();
    for t in tasks {
        let (status, r) = t.await.unwrap();
        assert_eq!(status, 200, "{r}");
        coupon_ids.insert(r["coupon_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(coupon_ids.len(), 1, "every tap got the same coupon");
    let (_, list) = p.get(&me, "/coupons").await;
    assert_eq!(
        ids(&list),
        coupon_ids.into_iter().collect::<Vec<_>>(),
        "exactly one coupon in the wallet"
    );
    // A new intent (a new key) claims another.
    let (status, second) = p.claim(&me, &csrf, "SBX_STOCK_CLAIM_500", "double-tap-2").await;
    assert_eq!(status, 200);
    assert_eq!(
        second["coupon"]["stock_id"], "SBX_STOCK_CLAIM_500",
        "the new coupon comes back for the list"
    );
}

#[tokio::test]
async fn claim_refusals_are_readable() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    let csrf = p.csrf(&me).await;
    let (status, r) = p.claim(&me, &csrf, "SBX_STOCK_SOLD_OUT", "sold-out-1").await;
    assert_eq!((status, code(&r)), (409, "CLAIM_REJECTED"));
    assert_eq!(r["error"]["upstream_code"], "NOT_ENOUGH");
    assert_eq!(r["error"]["message"], "来晚了，券已被领完");
    for i in 0..3 {
        let (status, _) = p.post(&me, Some(&csrf), "/claims", &json!({ "stock_id": "SBX_STOCK_CLAIM_500", "client_key": format!("limit-{i:04}") })).await;
        assert_eq!(status, 200);
    }
    let (status, r) = p.claim(&me, &csrf, "SBX_STOCK_CLAIM_500", "limit-0004").await;
    assert_eq!((status, r["error"]["upstream_code"].as_str()), (409, Some("RULELIMIT")));
    assert_eq!(r["error"]["message"], "已达到领取上限");
}

#[tokio::test]
async fn claimable_rows_are_named_and_limited_as_wechat_pay_says_and_a_run_out_stock_is_hidden() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_empty").await;
    let (status, body) = p.get(&me, "/claimable").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["stocks"],
        json!([{ "stock_id": "SBX_STOCK_CLAIM_500", "name": "新人专享 满50减5", "max_per_user": 3, "held": 0 }]),
        "限量 满100减50 has no coupons left (查询批次详情): not offered"
    );
    assert_eq!(p.calls("stock_query"), 2, "one 查询批次详情 per configured stock");
    let csrf = p.csrf(&me).await;
    let (status, _) = p.claim(&me, &csrf, "SBX_STOCK_CLAIM_500", "held-0001").await;
    assert_eq!(status, 200);
    let (_, body) = p.get(&me, "/claimable").await;
    assert_eq!(body["stocks"][0]["held"], 1, "the row knows what the user holds: {body}");
    assert_eq!(p.calls("stock_query"), 2, "stocks are kept for minutes");
}

#[tokio::test]
async fn a_paused_stock_is_hidden_and_one_wechat_cannot_look_up_keeps_its_configured_row() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_empty").await;
    assert!(p.sandbox().update_stock("SBX_STOCK_CLAIM_500", |s| s.status = "paused".into()));
    let (_, body) = p.get(&me, "/claimable").await;
    assert_eq!(body["stocks"], json!([]), "{body}");

    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_empty").await;
    p.faults(Faults {
        codes: vec![coupon_sandbox::CodeFault::documented(
            Some("stock_query"),
            "SYSTEM_ERROR",
            100,
        )],
        ..Faults::default()
    });
    let (status, body) = p.get(&me, "/claimable").await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = body["stocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stock_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["SBX_STOCK_CLAIM_500", "SBX_STOCK_SOLD_OUT"], "as configured: {body}");
    assert!(body["stocks"][0].get("max_per_user").is_none(), "no limit is made up: {body}");
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_refused() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    let csrf = p.csrf(&me).await;
    let huge = json!({ "stock_id": "x".repeat(10_000), "client_key": "tap-0001" });
    let (status, r) = p.post(&me, Some(&csrf), "/claims", &huge).await;
    assert_eq!((status, code(&r)), (413, "BODY_TOO_LARGE"));
    let r = p
        .http
        .post(p.url("/claims"))
        .header("cookie", &me)
        .header("x-csrf-token", &csrf)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn logout_kills_the_cookie_for_good() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    let csrf = p.csrf(&me).await;
    let (status, _) = p.post(&me, Some(&csrf), "/session/logout", &json!({})).await;
    assert_eq!(status, 204);
    let (status, body) = p.get(&me, "/coupons").await;
    assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"), "the replayed cookie is dead");
}

#[tokio::test]
async fn only_allowed_origins_may_call() {
    let p = TestProxy::with(|s| s.allowed_origins = vec!["https://shop.example".into()]).await;
    let me = p.login("o_sandbox_demo").await;
    let r = p
        .http
        .get(p.url("/coupons"))
        .header("cookie", &me)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = p
        .http
        .get(p.url("/coupons"))
        .header("cookie", &me)
        .header("origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "https://shop.example");
    assert_eq!(r.headers()["access-control-allow-credentials"], "true");
}

#[tokio::test]
async fn the_development_login_refuses_unknown_users_and_open_redirects() {
    let p = TestProxy::start().await;
    let r = p.http.get(p.url("/dev/login?user=o_not_a_sandbox_user")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = p.http.get(p.url("/dev/login?redirect=//evil.example/")).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/");
}

#[tokio::test]
async fn upstream_down_is_a_readable_retryable_error() {
    // Nothing listens on port 9.
    let p = TestProxy::with(|s| {
        s.upstream = Some("http://127.0.0.1:9".into());
    })
    .await;
    let cookie =
        format!("cw_session={}", p.running.app.sessions.create("o_sandbox_demo").await.unwrap());
    let (status, body) = p.get(&cookie, "/coupons").await;
    assert_eq!((status, code(&body)), (503, "UPSTREAM_UNAVAILABLE"), "{body}");
    assert_eq!(body["error"]["retryable"], true);
    assert!(body["error"]["message"].as_str().unwrap().contains("微信支付"));
}

#[tokio::test]
async fn what_the_proxy_serves_carries_its_security_headers() {
    let dir = std::env::temp_dir().join(format!("cw-headers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>demo</title>").unwrap();
    std::fs::write(dir.join("widget.css"), ".cw-root{}").unwrap();
    let static_dir = dir.clone();
    let p = TestProxy::with(move |s| s.static_dir = static_dir).await;
    let base = format!("http://{}", p.running.addr);

    let page = p.http.get(format!("{base}/")).send().await.unwrap();
    let h = page.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    // Scripts are the page's meta policy's (it carries the inline loader's hash; see
    // e2e/tests/checkout.rs); the header rules the rest.
    assert!(
        csp.contains("style-src 'self'")
            && csp.contains("object-src 'none'")
            && csp.contains("frame-ancestors 'self'"),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe-inline")
            && !csp.contains("script-src")
            && !csp.contains("default-src"),
        "{csp}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    assert!(h.contains_key("x-request-id"), "every answer names its request");

    let file = p.http.get(format!("{base}/widget.css")).send().await.unwrap();
    assert_eq!(file.headers()["x-content-type-options"], "nosniff");

    let me = p.login("o_sandbox_demo").await;
    let r = p.http.get(p.url("/coupons?tab=used")).header("cookie", &me).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store", "a user's coupons are never stored");
    assert!(r.headers().get_all("vary").iter().any(|v| v.to_str().unwrap().contains("Cookie")));
    let r = p.http.get(p.url("/session")).header("cookie", &me).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn only_the_loaders_answers_may_be_shown_again_by_this_browser_and_only_while_revalidated() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    let cache_of = |path: &'static str, cookie: Option<&str>| {
        let mut r = p.http.get(p.url(path));
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        async move {
            let r = r.send().await.unwrap();
            let vary: Vec<String> =
                r.headers().get_all("vary").iter().map(|v| v.to_str().unwrap().into()).collect();
            (r.status().as_u16(), r.headers()["cache-control"].to_str().unwrap().to_owned(), vary)
        }
    };
    let again = "private, max-age=0, stale-while-revalidate=300";
    for path in ["/coupons?tab=available&offset=0&limit=50", "/claimable", "/first-screen"] {
        let (status, cache, vary) = cache_of(path, Some(&me)).await;
        assert_eq!((status, cache.as_str()), (200, again), "{path}");
        assert!(vary.iter().any(|v| v.contains("Cookie")), "kept per session cookie: {path}");
    }
    for (path, cookie) in [
        ("/coupons?tab=available&offset=50&limit=50", Some(me.as_str())),
        ("/coupons?tab=used&offset=0&limit=50", Some(me.as_str())),
        ("/coupons?tab=available&offset=0&limit=50", None),
        ("/coupons?tab=available&offset=0&limit=500", Some(me.as_str())),
        ("/coupons/merchant/1/x", Some(me.as_str())),
    ] {
        let (status, cache, _) = cache_of(path, cookie).await;
        assert_eq!(cache, "no-store", "{path} answered {status}: never kept");
    }
    let r = p.http.get(p.url("/claimable")).header("cookie", &me).send().await.unwrap();
    assert!(r.headers().get("timing-allow-origin").is_none(), "no other origin to tell");
    // A page on an allowed origin may read the answers' timing, which tells the copy.
    let h5 = ["https://shop.example".to_owned(), "https://h5.example".to_owned()];
    let p = TestProxy::with(|s| s.allowed_origins = h5.to_vec()).await;
    let me = p.login("o_sandbox_demo").await;
    let r = p.http.get(p.url("/claimable")).header("cookie", &me).send().await.unwrap();
    assert_eq!(r.headers()["timing-allow-origin"], "https://shop.example, https://h5.example");
    // A merchant may turn it off.
    let p = TestProxy::with(|s| s.stale_while_revalidate = std::time::Duration::ZERO).await;
    let me = p.login("o_sandbox_demo").await;
    let r = p.http.get(p.url("/claimable")).header("cookie", &me).send().await.unwrap();
    assert_eq!(
        (r.status().as_u16(), r.headers()["cache-control"].to_str().unwrap()),
        (200, "no-store")
    );
}

#[tokio::test]
async fn unknown_or_malformed_query_parameters_are_refused_with_their_name() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    for (query, named) in [
        ("colour=red", "colour"),
        ("offset=minus-one", "offset"),
        ("tab=trash", "tab"),
        ("limit=51", "limit"),
    ] {
        let (status, body) = p.get(&me, &format!("/coupons?{query}")).await;
        assert_eq!((status, code(&body)), (400, "INVALID_PARAMETER"), "{query}");
        assert!(body["error"]["message"].as_str().unwrap().contains(named), "{query}: {body}");
    }
    let r = p.http.get(p.url("/dev/login?user=o_sandbox_demo&next=/")).send().await.unwrap();
    assert_eq!(r.status(), 400, "the development login takes no unknown parameter either");
    assert_eq!(p.calls("merchant_list"), 0, "nothing reached upstream");
}

#[tokio::test]
async fn metrics_are_served_on_their_own_address_only() {
    let p = TestProxy::with(|s| s.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let me = p.login("o_sandbox_demo").await;
    p.faults(Faults { system_error: 1, ..Faults::default() });
    let (status, _) = p.get(&me, "/coupons").await;
    assert_eq!(status, 200);
    let _ = p.get(&me, "/coupons").await; // from the cache
    let _ = p.http.get(p.url("/health")).send().await.unwrap();
    let text = p.metrics().await;
    for expected in [
        "cw_http_requests_total{route=\"/api/v1/coupons\",status=\"200\"}",
        "cw_http_request_duration_seconds_bucket{route=\"/api/v1/coupons\"",
        "cw_upstream_requests_total{api=\"merchant_list\",outcome=\"ok\"}",
        "outcome=\"SYSTEM_ERROR\"}",
        "cw_upstream_request_duration_seconds_bucket{api=\"stock_list\"",
        "cw_upstream_retries_total{api=",
        "cw_wallet_cache_total{result=\"hit\"}",
        "cw_wallet_cache_total{result=\"miss\"}",
        "cw_sessions_started_total",
        "cw_store_up 1",
    ] {
        assert!(text.contains(expected), "{expected} in\n{text}");
    }
    let public = p.http.get(format!("http://{}/metrics", p.running.addr)).send().await.unwrap();
    assert_ne!(public.status(), 200, "not on the public listener");
}

/// `GET /first-screen` as text: status, content type, cache control, body.
async fn first_screen(p: &TestProxy, cookie: &str, query: &str) -> (u16, String, String, String) {
    let r = p.http.get(p.url(&format!("/first-screen{query}"))).header("cookie", cookie);
    let r = r.send().await.unwrap();
    let header = |name: &str| {
        r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    };
    let (kind, cache) = (header("content-type"), header("cache-control"));
    (r.status().as_u16(), kind, cache, r.text().await.unwrap())
}

#[tokio::test]
async fn the_first_screen_is_the_wallet_drawn_from_the_page_the_widget_is_sent() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    let (status, kind, cache, html) = first_screen(&p, &me, "?lang=zh-CN&screen=844").await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(kind, "text/html; charset=utf-8");
    assert_eq!(cache, "private, max-age=0, stale-while-revalidate=300", "shown again, revalidated");
    let (_, page) = p.get(&me, "/coupons?tab=available&offset=0&limit=50").await;
    assert!(html.starts_with("<section ") && html.contains(r#"class="cw-wallet""#), "{html}");
    // The cards a screen of 844 px shows first (the widget's estimate: 150 px a card), in the
    // page's order, each with its name and the tab's count beside 可用.
    let drawn: Vec<&str> = html
        .split(r#"data-coupon-id=""#)
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    assert_eq!(drawn, ids(&page)[..6], "{html}");
    for coupon in &page["coupons"].as_array().unwrap()[..6] {
        assert!(html.contains(coupon["name"].as_str().unwrap()), "{}", coupon["name"]);
    }
    let available = page["counts"]["available"].as_u64().unwrap();
    assert!(html.contains(&format!(">可用<span class=\"cw-tabs__count\">({available})</span>")));
    // A taller screen is drawn with more cards, and English when the host asks for it.
    let (_, _, _, tall) = first_screen(&p, &me, "?lang=en&screen=1500").await;
    assert_eq!(tall.matches("<article").count(), 10, "{tall}");
    assert!(tall.contains(">Usable<") && !tall.contains("可用"), "{tall}");
}

#[tokio::test]
async fn the_first_screen_escapes_what_upstream_names_and_refuses_a_wrong_parameter() {
    let p = TestProxy::start().await;
    let hostile = "<img src=x onerror=alert(1)>\"&'";
    assert!(p.sandbox().update_stock("SBX_STOCK_CLAIM_500", |s| s.name = hostile.into()));
    let me = p.login("o_sandbox_demo").await;
    let (status, _, _, html) = first_screen(&p, &me, "").await;
    assert_eq!(status, 200, "{html}");
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "{html}");
    for (query, field) in
        [("?screen=10", "screen"), ("?screen=tall", "screen"), ("?rows=5", "rows")]
    {
        let (status, body) = p.get(&me, &format!("/first-screen{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(code(&body), "INVALID_PARAMETER", "{query}");
        assert!(body["error"]["message"].as_str().unwrap().contains(field), "{query}: {body}");
    }
}
