//! What an outside review found and the proxy now withstands: slow or idle clients, too many
//! connections, requests that take too long, upstream amplification, and API answers that
//! match the spec for any request.

mod common;
use common::*;
use coupon_sandbox::Faults;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Whether the server closes `stream` within `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue, // a response (or a 408); keep reading until the close
        }
    }
}

#[tokio::test]
async fn a_client_holding_half_a_request_header_is_dropped() {
    let p = TestProxy::with(|s| s.header_read_timeout = Duration::from_secs(1)).await;
    let mut slow = TcpStream::connect(p.running.addr).await.unwrap();
    slow.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await.unwrap();
    assert!(
        closed_within(&mut slow, Duration::from_secs(5)).await,
        "a half-written request is closed after the header timeout"
    );
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_dropped() {
    let p = TestProxy::with(|s| s.header_read_timeout = Duration::from_secs(1)).await;
    let mut idle = TcpStream::connect(p.running.addr).await.unwrap();
    idle.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    assert!(closed_within(&mut idle, Duration::from_secs(5)).await, "no next request: closed");
}

#[tokio::test]
async fn connections_past_the_limit_wait_until_one_closes() {
    let p = TestProxy::with(|s| s.max_connections = 1).await;
    let mut holder = TcpStream::connect(p.running.addr).await.unwrap();
    holder.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.unwrap();
    let mut status = [0u8; 12];
    holder.read_exact(&mut status).await.unwrap();
    let quick = reqwest::Client::builder().timeout(Duration::from_millis(500)).build().unwrap();
    assert!(
        quick.get(p.url("/health")).send().await.is_err(),
        "the one connection allowed is taken"
    );
    drop(holder);
    let r = reqwest::Client::new().get(p.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_request_past_its_deadline_is_a_timeout_in_the_apis_own_shape() {
    let p = TestProxy::with(|s| {
        s.request_timeout = Duration::from_millis(500);
        s.upstream_timeout = Duration::from_secs(5);
    })
    .await;
    let me = p.login("o_sandbox_demo").await;
    p.faults(Faults { latency_ms: 2_000, ..Faults::default() });
    let (status, body) = p.get(&me, "/coupons").await;
    assert_eq!((status, code(&body)), (504, "UPSTREAM_TIMEOUT"), "{body}");
    assert_eq!(body["error"]["retryable"], true);
}

/// Upstream calls of every list API so far.
fn list_calls(p: &TestProxy) -> u64 {
    p.calls("merchant_list") + p.calls("stock_list")
}

#[tokio::test]
async fn a_failing_partner_source_does_not_multiply_upstream_calls() {
    // A partner that has not authorised the merchant: WeChat Pay answers its queries NOAUTH.
    let p = TestProxy::with(|s| {
        s.partner_mchids.push("1900009999".into());
        s.cache_ttl = Duration::from_secs(1);
    })
    .await;
    let me = p.login("o_sandbox_demo").await;
    let (status, first) = p.get(&me, "/coupons").await;
    assert_eq!(status, 200);
    assert_eq!(
        first["missing"].as_array().map(Vec::len),
        Some(2),
        "代金券 and 消费金 are reported missing: {first}"
    );
    let one_fetch = list_calls(&p);
    for _ in 0..9 {
        assert_eq!(p.get(&me, "/coupons").await.0, 200);
    }
    assert_eq!(
        list_calls(&p),
        one_fetch,
        "a partial wallet is cached briefly: 10 requests, one fetch"
    );

    // Once the partial wallet is no longer fresh, the refused query is not asked again for a
    // minute: only the source that works is read.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let stock_lists = p.calls("stock_list");
    let (_, again) = p.get(&me, "/coupons").await;
    assert_eq!(again["missing"], first["missing"]);
    assert_eq!(p.calls("stock_list"), stock_lists, "the second fetch asks only for 商家券");
    assert!(list_calls(&p) > one_fetch, "and does ask for them");
}

#[tokio::test]
async fn one_users_upstream_fetches_are_limited_across_sessions() {
    let p = TestProxy::with(|s| {
        s.cache_ttl = Duration::ZERO;
        s.stale_ttl = Duration::ZERO;
        s.user_fetches_per_minute = 3;
    })
    .await;
    let (a, b) = (p.login("o_sandbox_demo").await, p.login("o_sandbox_demo").await);
    for me in [&a, &b, &a] {
        assert_eq!(p.get(me, "/coupons").await.0, 200);
    }
    let (status, body) = p.get(&b, "/coupons").await;
    assert_eq!(
        (status, code(&body)),
        (503, "UPSTREAM_BUSY"),
        "the fourth fetch in a minute, from either session: {body}"
    );
}

#[tokio::test]
async fn a_missing_route_and_a_wrong_method_get_their_own_answers() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    // A live-only route in sandbox mode, and one that never existed.
    for path in ["/oauth/login", "/nothing-here"] {
        let (status, body) = p.get(&me, path).await;
        assert_eq!((status, code(&body)), (404, "NOT_FOUND"), "{path}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains("接口不存在"),
            "not a coupon's message: {body}"
        );
    }
    for method in ["TRACE", "PUT", "DELETE"] {
        let r = p
            .http
            .request(method.parse().unwrap(), p.url("/coupons"))
            .header("cookie", &me)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405, "{method}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(code(&body), "METHOD_NOT_ALLOWED");
    }
}

#[tokio::test]
async fn an_offset_past_the_declared_limit_is_a_parameter_error() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    assert_eq!(p.get(&me, "/coupons?offset=100000").await.0, 200);
    for offset in ["100001", "18446744073709551616"] {
        let (status, body) = p.get(&me, &format!("/coupons?offset={offset}")).await;
        assert_eq!((status, code(&body)), (400, "INVALID_PARAMETER"), "{offset}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("offset"), "{body}");
    }
}
