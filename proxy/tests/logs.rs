//! What the proxy logs never holds: the private key, the session secret, a session cookie, a
//! CSRF token, a full openid or coupon code, or a client's hostile request id — checked on the
//! logs of a run with failures in it.

mod common;
use common::*;
use coupon_sandbox::Faults;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn logs_hold_no_secrets_and_no_full_openids() {
    let captured = CapturedLogs::default();
    let sink = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter("debug")
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .init();

    let p = TestProxy::with(|s| {
        s.session_secret = b"a-session-secret-that-must-never-be-logged".to_vec()
    })
    .await;
    let me = p.login("o_sandbox_demo").await;
    let csrf = p.csrf(&me).await;
    p.get(&me, "/coupons").await;
    p.faults(Faults { system_error: 2, bad_signature: 1, malformed_body: 1, ..Faults::default() });
    p.get(&me, "/coupons/merchant/SBXM000001").await;
    p.get(&me, "/coupons/merchant/SBXM000002").await;
    p.get(&me, "/coupons/merchant/SBXM000003").await;
    p.post(
        &me,
        Some(&csrf),
        "/claims",
        &json!({ "stock_id": "SBX_STOCK_SOLD_OUT", "client_key": "log-test-1" }),
    )
    .await;
    // WeChat Pay failing for a user whose wallet is not cached: a 502.
    p.faults(Faults { system_error: 1_000, ..Faults::default() });
    let other = p.login("o_sandbox_empty").await;
    assert_eq!(p.get(&other, "/coupons").await.0, 502);
    p.faults(Faults::default());
    let hostile_id = "<img src=x onerror=alert(1)>";
    let r = p.http.get(p.url("/health")).header("x-request-id", hostile_id).send().await.unwrap();
    assert_ne!(r.headers()["x-request-id"], hostile_id, "a hostile request id is replaced");
    let r = p.http.get(p.url("/health")).header("x-request-id", "lb-7f3a-01").send().await.unwrap();
    assert_eq!(r.headers()["x-request-id"], "lb-7f3a-01", "a load balancer's id is kept");

    let logs = captured.text();
    assert!(logs.contains("retrying upstream call"), "the run did log its failures:\n{logs}");
    // A request that failed upstream is logged once, with its code, inside its request's span.
    let failed: Vec<&str> = logs.lines().filter(|l| l.contains("request failed")).collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert!(
        failed[0].contains("code=UPSTREAM_ERROR") && failed[0].contains("request{id="),
        "{}",
        failed[0]
    );
    let key_body: String =
        coupon_sandbox::identity::MERCHANT_KEY.lines().nth(1).unwrap().to_owned();
    assert!(logs.contains("lb-7f3a-01"), "the kept id is in the logs");
    for secret in [
        "SBXM000001",
        "onerror",
        "PRIVATE KEY",
        &key_body,
        "a-session-secret-that-must-never-be-logged",
        &csrf,
        me.split_once('=').unwrap().1,
        "o_sandbox_demo",
    ] {
        assert!(!logs.contains(secret), "the logs contain {secret:?}");
    }
}
