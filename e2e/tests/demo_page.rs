//! The demo page, loaded from the running proxy in real Chromium, shows the user's coupons
//! fetched through the proxy from the sandbox over signed HTTP.

use coupon_e2e::{start_logged_proxy, Browser, Demo};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_page_shows_the_users_coupons_from_the_sandbox() {
    let demo = Demo::on_page("/").await;
    let (proxy, browser) = (&demo.proxy, &demo.browser);
    browser.wait_for("article.cw-card").await;
    let listed: usize = browser
        .wait_for("#wallet .cw-list[data-count]")
        .await
        .attr("data-count")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert!(listed >= 10, "the demo user's usable coupons are listed, got {listed}");
    let names: Vec<String> = futures_names(browser).await;
    assert!(names.iter().any(|n| n == "满100减20"), "a 商家券 from the sandbox: {names:?}");
    assert!(names.iter().any(|n| n == "会员消费金"), "a 消费金 from the sandbox: {names:?}");
    let sandbox = &proxy.sandbox;
    assert!(
        sandbox.stats().merchant_list.load(std::sync::atomic::Ordering::Relaxed) >= 1,
        "fetched upstream, not faked"
    );
    demo.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_documented_example_coupon_goes_through_the_whole_pipe() {
    let demo = Demo::as_user("o_sandbox_seed").await;
    let browser = &demo.browser;
    // Seed 003's coupon is valid in 2019 only, so it is under 已过期, not 可用.
    let empty = browser.wait_for(".cw-empty").await;
    assert_eq!(empty.text().await.unwrap(), "暂无可用的券");
    let expired_tab = browser.wait_for(".cw-tabs__tab[data-tab=expired]").await;
    // Not read from WeChat Pay until opened: no count yet.
    assert_eq!(expired_tab.text().await.unwrap(), "已过期");
    expired_tab.click().await.unwrap();
    browser.wait_for("article.cw-card[data-coupon-id='98674556']").await;
    // The 商家券 (seeds 001/003) and seed 000's 消费金, created by a partner merchant and asked
    // for with its creator and status EXPIRED.
    assert_eq!(expired_tab.text().await.unwrap(), "已过期(2)");
    let card = browser.wait_for("article.cw-card[data-coupon-id='123446565767']").await;
    let text = |css: &'static str| {
        let card = card.clone();
        async move { card.find(Locator::Css(css)).await.unwrap().text().await.unwrap() }
    };
    assert_eq!(text(".cw-card__name").await, "商家券");
    assert_eq!(text(".cw-card__value").await, "¥0.05");
    assert_eq!(text(".cw-card__condition").await, "满¥1可用");
    assert_eq!(text(".cw-card__validity").await, "2019.12.30 – 2019.12.31");
    assert_eq!(text(".cw-card__stamp").await, "已过期");
    demo.close().await;
}

/// Every card name the wallet shows, scrolling the page from top to bottom (the list draws
/// only the cards near the screen).
async fn futures_names(browser: &Browser) -> Vec<String> {
    browser.all_texts_while_scrolling("#wallet .cw-card__name").await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_downloads_each_file_once_and_asks_for_its_coupons_once() {
    let (proxy, log) = start_logged_proxy().await;
    let browser = Browser::launch().await;
    browser.client.goto(&format!("http://{}/", proxy.addr)).await.unwrap();
    browser.wait_for("#wallet .cw-card__open").await;
    browser.wait_for("#picker .cw-cell").await;
    browser.wait_settled().await;
    // The picker and the wallet share the first page, which the page asked for early.
    assert_eq!(
        log.matching("/api/v1/coupons"),
        ["/api/v1/coupons?tab=available&offset=0&limit=50"],
        "as the proxy saw them"
    );
    // The wasm is the largest file by far: never downloaded twice.
    assert_eq!(
        log.matching("/coupon-widget-").len(),
        2,
        "the JS and the wasm, once each: {:?}",
        log.matching("/")
    );
    // The QR code and barcode encoders wait until a use sheet shows a code.
    assert_eq!(
        log.matching("/coupon-codes-"),
        Vec::<String>::new(),
        "nothing of the codes module on the first screen"
    );
    for _ in 0..2 {
        use_at_the_till(&browser, "满100减20").await;
        browser.wait_for(".cw-use--offline svg.cw-qr path").await;
        browser.wait_for(".cw-use--offline svg.cw-barcode path").await;
        browser.close_sheet().await;
    }
    assert_eq!(
        log.matching("/coupon-codes-").len(),
        2,
        "its JS and its wasm, once each, for both sheets: {:?}",
        log.matching("/")
    );
    browser.close().await;
    proxy.shutdown().await;
}

/// Scrolls the wallet to the card named `name` and taps its use button (an OFF_LINE coupon:
/// its sheet shows the code to scan).
async fn use_at_the_till(browser: &Browser, name: &str) {
    let tap = "(name) => {
          const card = [...document.querySelectorAll('#wallet article.cw-card')].find(c => c.getAttribute('aria-label') === name);
          const button = card?.querySelector('.cw-card__use');
          if (button) { button.click(); return true; }
        }";
    let tapped = browser.scroll_through(tap, name.into()).await;
    assert_eq!(tapped, serde_json::Value::Bool(true), "{name} is in the wallet");
}
