//! The widget's requests to the proxy, in Chromium, with the page's `fetch` replaced by a
//! stand-in that records each request and answers as a test needs (or never).

mod support;
use support::{respond, FakeFetch};

use coupon_rules::api::{CouponPage, SessionInfo};
use coupon_rules::wallet::{Tab, TabCounts};
use coupon_widget::api;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_request_that_never_answers_ends_as_a_retryable_timeout() {
    let fetch =
        FakeFetch::new("return new Promise((_, reject) => request.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));");
    api::set_timeout_ms(50);
    let err = api::list_coupons("/api/v1", Tab::Available, 0, 20).await.unwrap_err();
    api::set_timeout_ms(api::TIMEOUT_MS);
    assert_eq!(err.code, "TIMEOUT");
    assert!(err.retryable);
    assert!(fetch.request(0).signal().aborted(), "the request itself was aborted");
}

#[wasm_bindgen_test]
async fn a_page_is_read_with_the_api_types_and_sent_with_the_session_cookie() {
    let page = CouponPage {
        coupons: vec![],
        total: 0,
        offset: 40,
        limit: 20,
        counts: TabCounts { available: 1, used: 2, expired: 3 },
        stale: true,
        skipped: 0,
        missing: vec![],
        truncated: false,
    };
    let fetch = FakeFetch::new(&respond(200, &serde_json::to_string(&page).unwrap()));
    assert_eq!(api::list_coupons("https://shop.example/api/v1", Tab::Used, 40, 20).await.unwrap(), page);
    let request = fetch.request(0);
    assert_eq!(request.url(), "https://shop.example/api/v1/coupons?tab=used&offset=40&limit=20");
    assert_eq!(request.credentials(), web_sys::RequestCredentials::Include, "the session cookie goes to another origin too");
    assert_eq!(request.headers().get("accept").unwrap().as_deref(), Some("application/json"));
}

#[wasm_bindgen_test]
async fn a_claim_sends_the_sessions_csrf_token() {
    let session = serde_json::to_string(&SessionInfo { csrf_token: "csrf-123".into(), expires_in: 60, mode: coupon_rules::api::Mode::Sandbox }).unwrap();
    let fetch = FakeFetch::new(&format!("if (request.method === 'GET') {{ {} }} {}", respond(200, &session), respond(200, r#"{"coupon_id":"C9"}"#)));
    let claimed = api::claim("/api/v1", "S1", "key-12345678").await.unwrap();
    assert_eq!(claimed.coupon_id, "C9");
    let post = fetch.request(1);
    assert_eq!(post.method(), "POST");
    assert_eq!(post.headers().get("x-csrf-token").unwrap().as_deref(), Some("csrf-123"));
    assert_eq!(post.headers().get("content-type").unwrap().as_deref(), Some("application/json"));
}

#[wasm_bindgen_test]
async fn failures_become_the_widgets_error_with_the_proxys_code_and_retry_rule() {
    let _fetch =
        FakeFetch::new(&respond(401, r#"{"error":{"code":"UNAUTHENTICATED","message":"请先登录","retryable":false,"login_url":"/api/v1/dev/login"}}"#));
    let err = api::list_coupons("/api/v1", Tab::Available, 0, 20).await.unwrap_err();
    assert_eq!((err.code.as_str(), err.retryable, err.login_url.as_deref()), ("UNAUTHENTICATED", false, Some("/api/v1/dev/login")));
    drop(_fetch);

    let _fetch = FakeFetch::new(&respond(200, r#"{"coupons":"not a list"}"#));
    assert_eq!(api::list_coupons("/api/v1", Tab::Available, 0, 20).await.unwrap_err().code, "BAD_RESPONSE");
    drop(_fetch);

    let _fetch = FakeFetch::new(&respond(502, "<html>bad gateway</html>"));
    let err = api::list_coupons("/api/v1", Tab::Available, 0, 20).await.unwrap_err();
    assert_eq!((err.code.as_str(), err.retryable), ("BAD_RESPONSE", true));
    drop(_fetch);

    let _fetch = FakeFetch::new("return Promise.reject(new TypeError('Failed to fetch'));");
    let err = api::list_coupons("/api/v1", Tab::Available, 0, 20).await.unwrap_err();
    assert_eq!((err.code.as_str(), err.retryable), ("NETWORK", true));
}
