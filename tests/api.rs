//! The widget's requests to the proxy, in Chromium, with the page's `fetch` replaced by a
//! stand-in that records each request and answers as a test needs (or never).

mod support;
use support::{empty_page, respond, FakeFetch};

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
    assert_eq!(err.code.to_string(), "TIMEOUT");
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
        counts: TabCounts { available: 1, used: 2, expired: 3, expired_pending: false },
        stale: true,
        skipped: 0,
        missing: vec![],
        truncated: false,
    };
    let fetch = FakeFetch::new(&respond(200, &serde_json::to_string(&page).unwrap()));
    assert_eq!(
        api::list_coupons("https://shop.example/api/v1", Tab::Used, 40, 20).await.unwrap(),
        page
    );
    let request = fetch.request(0);
    assert_eq!(request.url(), "https://shop.example/api/v1/coupons?tab=used&offset=40&limit=20");
    assert_eq!(
        request.credentials(),
        web_sys::RequestCredentials::Include,
        "the session cookie goes to another origin too"
    );
    assert_eq!(
        request.headers().get("accept").unwrap(),
        None,
        "a preload of the same URL (no headers) stays usable"
    );
}

#[wasm_bindgen_test]
async fn an_api_on_the_pages_own_origin_is_asked_with_the_default_credentials_mode() {
    // Same cookie, and the request can take the page's `<link rel=preload as=fetch crossorigin>`.
    let page = &empty_page(0);
    let fetch = FakeFetch::new(&respond(200, page));
    api::list_coupons("/api/v1", Tab::Available, 0, api::PAGE_SIZE).await.unwrap();
    let origin = web_sys::window().unwrap().location().origin().unwrap();
    api::list_coupons(&format!("{origin}/api/v1"), Tab::Used, 0, api::PAGE_SIZE).await.unwrap();
    for i in 0..2 {
        assert_eq!(fetch.request(i).credentials(), web_sys::RequestCredentials::SameOrigin);
    }
    assert!(
        fetch.request(0).url().ends_with("/api/v1/coupons?tab=available&offset=0&limit=50"),
        "the URL a page preloads"
    );
}

/// A host element as the loader leaves it: `couponWidgetFirstPage = { url, response }`.
fn host_with_early_answer(url: &str, response: &js_sys::Promise) -> web_sys::Element {
    let host = support::document().create_element("div").unwrap();
    let offer = js_sys::Object::new();
    js_sys::Reflect::set(&offer, &"url".into(), &url.into()).unwrap();
    js_sys::Reflect::set(&offer, &"response".into(), response).unwrap();
    js_sys::Reflect::set(&host, &api::EARLY_PROPERTY.into(), &offer).unwrap();
    host
}

#[wasm_bindgen_test]
async fn the_first_page_the_loader_started_is_taken_once_instead_of_asking_again() {
    let early = &empty_page(7);
    let later = &empty_page(8);
    let response = web_sys::Response::new_with_opt_str_and_init(Some(early), &{
        let init = web_sys::ResponseInit::new();
        init.set_status(200);
        init
    })
    .unwrap();
    let url = api::coupons_url("/early/api/v1", Tab::Available, 0, api::PAGE_SIZE);
    api::offer_early(&host_with_early_answer(
        &url,
        &js_sys::Promise::resolve(&wasm_bindgen::JsValue::from(response)),
    ));
    let fetch = FakeFetch::new(&respond(200, later));
    let page = api::list_coupons("/early/api/v1", Tab::Available, 0, api::PAGE_SIZE).await.unwrap();
    assert_eq!(page.total, 7, "the loader's answer");
    assert_eq!(fetch.count(), 0, "nothing asked again");
    // A refresh asks the proxy.
    assert_eq!(
        api::list_coupons("/early/api/v1", Tab::Available, 0, api::PAGE_SIZE).await.unwrap().total,
        8
    );
    assert_eq!(fetch.count(), 1);
}

#[wasm_bindgen_test]
async fn a_first_page_the_loader_could_not_fetch_is_asked_for_again() {
    let url = api::coupons_url("/failed/api/v1", Tab::Available, 0, api::PAGE_SIZE);
    api::offer_early(&host_with_early_answer(
        &url,
        &js_sys::Promise::reject(&"network down".into()),
    ));
    let page = &empty_page(3);
    let fetch = FakeFetch::new(&respond(200, page));
    assert_eq!(
        api::list_coupons("/failed/api/v1", Tab::Available, 0, api::PAGE_SIZE).await.unwrap().total,
        3
    );
    assert_eq!(fetch.count(), 1);
}

#[wasm_bindgen_test]
async fn the_picker_reads_every_page_of_usable_coupons_in_order() {
    let coupons = coupon_rules::sample::mixed_coupons(120, coupon_widget::now());
    let pages: std::collections::HashMap<String, String> = (0..120)
        .step_by(api::PAGE_SIZE)
        .map(|offset| {
            let page = CouponPage {
                coupons: coupons[offset..(offset + api::PAGE_SIZE).min(120)].to_vec(),
                total: 120,
                offset,
                limit: api::PAGE_SIZE,
                counts: TabCounts { available: 120, used: 0, expired: 0, expired_pending: false },
                stale: false,
                skipped: 0,
                missing: vec![],
                truncated: false,
            };
            (offset.to_string(), serde_json::to_string(&page).unwrap())
        })
        .collect();
    let fetch = FakeFetch::new(&format!(
        "const pages = {}; const offset = new URL(request.url, location.href).searchParams.get('offset');
         return Promise.resolve(new Response(pages[offset], {{ status: 200 }}));",
        serde_json::to_string(&pages).unwrap()
    ));
    let all = api::all_available("/pages/api/v1").await.unwrap();
    assert_eq!(
        all.iter().map(|c| &c.id).collect::<Vec<_>>(),
        coupons.iter().map(|c| &c.id).collect::<Vec<_>>()
    );
    assert_eq!(fetch.count(), 3, "offsets 0, 50 and 100");
}

#[wasm_bindgen_test]
async fn two_views_asking_for_the_same_page_at_once_share_one_request() {
    let page = &empty_page(0);
    let fetch = FakeFetch::new(&respond(200, page));
    let (a, b) = futures_util::future::join(
        api::list_coupons("/api/v1", Tab::Available, 0, 50),
        api::list_coupons("/api/v1", Tab::Available, 0, 50),
    )
    .await;
    assert_eq!(a.unwrap(), b.unwrap());
    assert_eq!(fetch.count(), 1, "one request for both");
    // Once answered, the next ask (a refresh) goes to the proxy again.
    api::list_coupons("/api/v1", Tab::Available, 0, 50).await.unwrap();
    assert_eq!(fetch.count(), 2);
}

#[wasm_bindgen_test]
async fn a_claim_sends_the_sessions_csrf_token() {
    let session = serde_json::to_string(&SessionInfo {
        csrf_token: "csrf-123".into(),
        expires_in: 60,
        mode: coupon_rules::api::Mode::Sandbox,
    })
    .unwrap();
    let fetch = FakeFetch::new(&format!(
        "if (request.method === 'GET') {{ {} }} {}",
        respond(200, &session),
        respond(200, r#"{"coupon_id":"C9"}"#)
    ));
    let claimed = api::claim("/api/v1", "S1", "key-12345678").await.unwrap();
    assert_eq!(claimed.coupon_id, "C9");
    let post = fetch.request(1);
    assert_eq!(post.method(), "POST");
    assert_eq!(post.headers().get("x-csrf-token").unwrap().as_deref(), Some("csrf-123"));
    assert_eq!(post.headers().get("content-type").unwrap().as_deref(), Some("application/json"));
}

#[wasm_bindgen_test]
async fn failures_become_the_widgets_error_with_the_proxys_code_and_retry_rule() {
    let _fetch = FakeFetch::new(&respond(
        401,
        r#"{"error":{"code":"UNAUTHENTICATED","message":"请先登录","retryable":false,"login_url":"/api/v1/dev/login"}}"#,
    ));
    let err = api::list_coupons("/api/v1", Tab::Available, 0, 20).await.unwrap_err();
    assert_eq!(
        (err.code.to_string().as_str(), err.retryable, err.login_url.as_deref()),
        ("UNAUTHENTICATED", false, Some("/api/v1/dev/login"))
    );
    drop(_fetch);

    let _fetch = FakeFetch::new(&respond(200, r#"{"coupons":"not a list"}"#));
    assert_eq!(
        api::list_coupons("/api/v1", Tab::Available, 0, 20).await.unwrap_err().code.to_string(),
        "BAD_RESPONSE"
    );
    drop(_fetch);

    let _fetch = FakeFetch::new(&respond(502, "<html>bad gateway</html>"));
    let err = api::list_coupons("/api/v1", Tab::Available, 0, 20).await.unwrap_err();
    assert_eq!((err.code.to_string().as_str(), err.retryable), ("BAD_RESPONSE", true));
    drop(_fetch);

    let _fetch = FakeFetch::new("return Promise.reject(new TypeError('Failed to fetch'));");
    let err = api::list_coupons("/api/v1", Tab::Available, 0, 20).await.unwrap_err();
    assert_eq!((err.code.to_string().as_str(), err.retryable), ("NETWORK", true));
}
