//! A repeat visit: the browser shows its own copy of the loader's answers at once (the proxy's
//! private stale-while-revalidate) and the widget asks the proxy again at once, so a coupon used
//! since is gone within a round trip; the copy is this session's only.

use coupon_e2e::Demo;
use std::time::Duration;

const USER: &str = "o_sandbox_demo";
/// 微信支付代金券 满50减5: a 代金券 on the demo user's first page.
const COUPON: &str = "SBXS000001";
const FIRST_PAGE: &str = "/api/v1/coupons?tab=available&offset=0&limit=50";

/// The bytes each request of the page for a URL containing `part` transferred, in order (0: the
/// browser's cache answered).
async fn transferred(demo: &Demo, part: &str) -> Vec<u64> {
    let js = "return performance.getEntriesByType('resource')
        .filter((e) => e.name.includes(arguments[0])).map((e) => e.transferSize)";
    let sizes = demo.browser.client.execute(js, vec![part.into()]).await.unwrap();
    sizes.as_array().unwrap().iter().map(|s| s.as_u64().unwrap()).collect()
}

/// Waits (up to 10 s) until the page has made `n` requests for URLs containing `part`.
async fn requests(demo: &Demo, part: &str, n: usize) -> Vec<u64> {
    for _ in 0..100 {
        let sizes = transferred(demo, part).await;
        if sizes.len() >= n {
            return sizes;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{part}: {:?}, not {n} requests", transferred(demo, part).await);
}

async fn listed(demo: &Demo, id: &str) -> bool {
    demo.browser.wait_for("#wallet .cw-card__open").await;
    demo.browser.wait_settled().await;
    let find = "(id) => {
          if (document.querySelector(`#wallet article[data-coupon-id='${id}']`)) return true;
        }";
    demo.browser.scroll_through(find, id.into()).await == serde_json::Value::Bool(true)
}

/// Waits until the proxy lists `id` under 已使用 (the till's notification has arrived).
async fn proxy_has_it_used(demo: &Demo, id: &str) {
    let js = "const [id, done] = arguments;
        fetch('/api/v1/coupons?tab=used&offset=0&limit=50', { cache: 'no-store' })
          .then((r) => r.json()).then((p) => done(p.coupons.some((c) => c.id === id)), () => done(false));";
    for _ in 0..100 {
        let used = demo.browser.client.execute_async(js, vec![id.into()]).await.unwrap();
        if used == serde_json::Value::Bool(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the proxy never listed {id} as used");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeat_visit_shows_the_browsers_copy_then_what_the_proxy_answers_at_once() {
    let demo = Demo::as_user(USER).await;
    assert!(listed(&demo, COUPON).await, "listed under 可用 on the first visit");
    for part in [FIRST_PAGE, "/api/v1/claimable", "/api/v1/first-screen"] {
        let sizes = transferred(&demo, part).await;
        assert_eq!(sizes.len(), 1, "{part}: asked once on a first visit, not again: {sizes:?}");
        assert!(sizes[0] > 0, "{part}: from the proxy: {sizes:?}");
    }

    // Used at a till while the user was away.
    assert!(demo.proxy.sandbox.redeem(USER, COUPON));
    proxy_has_it_used(&demo, COUPON).await;
    let page = format!("http://{}/", demo.proxy.addr);
    demo.browser.client.goto(&page).await.unwrap();
    // WebKitGTK's automation session keeps no HTTP cache (even the immutable wasm comes again):
    // there every answer is the proxy's, and none is asked for twice.
    let cached = requests(&demo, ".wasm", 1).await[0] == 0;
    if cached {
        for part in ["/api/v1/claimable", "/api/v1/first-screen"] {
            assert_eq!(requests(&demo, part, 1).await[0], 0, "{part}: the browser's copy, no wait");
        }
        let sizes = requests(&demo, FIRST_PAGE, 2).await;
        assert_eq!(sizes[0], 0, "the first page: the browser's copy, no wait");
        assert!(sizes[1] > 0, "then asked again past the cache at once: {sizes:?}");
    }
    assert!(!listed(&demo, COUPON).await, "and the coupon used since is gone from 可用");
    if !cached {
        assert_eq!(transferred(&demo, FIRST_PAGE).await.len(), 1, "no cache: asked once");
    }
    demo.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn another_session_in_the_same_browser_never_sees_the_copy() {
    let demo = Demo::as_user(USER).await;
    assert!(listed(&demo, COUPON).await);
    // Another user logs in on this phone: a new session cookie, so no copy matches it.
    demo.login("o_sandbox_empty").await;
    demo.browser.wait_for("#wallet .cw-empty").await;
    for part in [FIRST_PAGE, "/api/v1/claimable", "/api/v1/first-screen"] {
        let sizes = requests(&demo, part, 1).await;
        assert!(sizes[0] > 0, "{part}: from the proxy, not the other session's copy: {sizes:?}");
    }
    assert_eq!(demo.browser.count("#wallet article.cw-card").await, 0);
    demo.close().await;
}
