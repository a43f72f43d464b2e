//! The 我的代金券 list in real Chromium against the running proxy and sandbox: tabs, paging
//! by scrolling, and a failed page that keeps what was loaded.

use coupon_e2e::{Browser, Demo};
use coupon_sandbox::Faults;
use fantoccini::Locator;
use std::time::Duration;

const CARDS: &str = "article.cw-card";

/// How many coupons the wallet's list holds (it draws only those near the screen).
async fn loaded(browser: &Browser) -> usize {
    let list = browser.wait_for("#wallet .cw-list[data-count]").await;
    list.attr("data-count").await.unwrap().unwrap().parse().unwrap()
}

async fn wait_for_loaded(browser: &Browser, n: usize) {
    for _ in 0..100 {
        if loaded(browser).await == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {n} coupons in the list, found {}", loaded(browser).await);
}

async fn tab_count(browser: &Browser, tab: &str) -> usize {
    let label = browser
        .wait_for(&format!(".cw-tabs__tab[data-tab={tab}] .cw-tabs__count"))
        .await
        .text()
        .await
        .unwrap();
    label.trim_matches(['(', ')']).parse().unwrap()
}

/// Coupons per page: the widget's `api::PAGE_SIZE`.
const PAGE: usize = 50;
#[tokio::test(flavor = "multi_thread")]
async fn scrolling_loads_every_page_and_each_tab_holds_its_count() {
    let demo = Demo::as_user("o_sandbox_many").await;
    let browser = &demo.browser;
    for tab in ["available", "used", "expired"] {
        browser.wait_for(&format!(".cw-tabs__tab[data-tab={tab}]")).await.click().await.unwrap();
        browser.wait_for(&format!(".cw-list[data-tab={tab}]")).await;
        browser.wait_settled().await;
        let expected = tab_count(browser, tab).await;
        assert!(expected > 0, "the many-coupon user has {tab} coupons");
        // Page by page until the list says it has everything.
        let mut shown = 0;
        for _ in 0..40 {
            browser.wait_settled().await;
            shown = loaded(browser).await;
            if browser.count(".cw-more__end").await == 1 {
                break;
            }
            browser.scroll_to_end().await;
        }
        assert_eq!(shown, expected, "{tab}: coupons loaded after scrolling equal the tab's count");
        assert!(expected <= PAGE || shown > PAGE, "more than one page was loaded");
        let drawn = browser.count(CARDS).await;
        assert!(
            drawn > 0 && drawn <= shown.min(25),
            "{tab}: only the cards near the screen are drawn ({drawn} of {shown})"
        );
        let selected = browser
            .client
            .find(Locator::Css(&format!(".cw-tabs__tab[data-tab={tab}]")))
            .await
            .unwrap();
        assert_eq!(selected.attr("aria-selected").await.unwrap().as_deref(), Some("true"));
    }
    demo.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_page_offers_retry_and_keeps_the_pages_already_shown() {
    // No caching, so that the next page really goes upstream, and no stale fallback.
    let demo = Demo::as_user_with("o_sandbox_many", |s| {
        s.cache_ttl = Duration::ZERO;
        s.stale_ttl = Duration::ZERO;
    })
    .await;
    let (proxy, browser) = (&demo.proxy, &demo.browser);
    browser.wait_for(CARDS).await;
    // The first page may have pulled in the second already (the end of a short first screen
    // is visible); wait for the list to settle at whole pages (a fixed pause lost that race
    // once in WebKit with the suite running in parallel).
    browser.wait_settled().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    browser.wait_settled().await;
    let before = loaded(browser).await;
    assert!(before >= PAGE && before % PAGE == 0, "{before}");
    proxy.sandbox.set_faults(Faults { system_error: 1_000, ..Faults::default() });
    // From the top, so that the list's end comes into view afresh (an end already in view when
    // the faults were set would not be seen to arrive again).
    browser.client.execute("scrollTo(0, 0)", vec![]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    browser.scroll_to_end().await;
    let alert = browser.wait_for(".cw-error--inline").await;
    assert!(alert.text().await.unwrap().contains("稍后重试"), "a readable error");
    assert_eq!(loaded(browser).await, before, "the pages already shown stay");
    proxy.sandbox.set_faults(Faults::default());
    browser
        .client
        .find(Locator::Css(".cw-error--inline button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_loaded(browser, before + PAGE).await;
    assert_eq!(
        browser.count(".cw-error--inline").await,
        0,
        "the error is gone once the page loads"
    );
    demo.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_shows_a_coupon_that_arrived_since() {
    let demo = Demo::as_user("o_sandbox_empty").await;
    let browser = &demo.browser;
    assert_eq!(browser.wait_for(".cw-empty").await.text().await.unwrap(), "暂无可用的券");
    // A coupon is claimed elsewhere (here: the same session, straight through the API).
    let claimed = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch('/api/v1/session').then(r => r.json()).then(s => fetch('/api/v1/claims', {
               method: 'POST', headers: {'content-type': 'application/json', 'x-csrf-token': s.csrf_token},
               body: JSON.stringify({stock_id: 'SBX_STOCK_CLAIM_500', client_key: 'from-elsewhere-1'})
             })).then(r => done(r.status));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(claimed, 200);
    assert_eq!(browser.count(CARDS).await, 0, "not shown until refreshed");
    browser.client.find(Locator::Css(".cw-wallet__refresh")).await.unwrap().click().await.unwrap();
    browser.wait_for_count(CARDS, 1).await;
    assert_eq!(browser.wait_for(".cw-card__name").await.text().await.unwrap(), "新人专享 满50减5");
    demo.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_refresh_keeps_what_was_shown_and_offers_retry() {
    let demo = Demo::start_with(|s| {
        s.cache_ttl = Duration::ZERO;
        s.stale_ttl = Duration::ZERO;
    })
    .await;
    let (proxy, browser) = (&demo.proxy, &demo.browser);
    browser.client.goto(&format!("http://{}/", proxy.addr)).await.unwrap();
    browser.wait_for("#wallet article.cw-card").await;
    browser.wait_settled().await;
    let before = loaded(browser).await;
    proxy.sandbox.set_faults(Faults { system_error: 1_000, ..Faults::default() });
    browser
        .client
        .find(Locator::Css("#wallet .cw-wallet__refresh"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let alert = browser.wait_for("#wallet .cw-error--inline").await;
    assert!(alert.text().await.unwrap().contains("稍后重试"));
    assert_eq!(loaded(browser).await, before, "the cards stay");
    assert!(browser.count("#wallet article.cw-card").await > 0, "and are drawn");
    proxy.sandbox.set_faults(Faults::default());
    browser
        .client
        .find(Locator::Css("#wallet .cw-error--inline button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for _ in 0..100 {
        if browser.count("#wallet .cw-error--inline").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(browser.count("#wallet .cw-error--inline").await, 0, "retry clears the error");
    assert_eq!(loaded(browser).await, before);
    demo.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_expired_tab_has_no_count_until_it_is_opened_and_read() {
    let demo = Demo::as_user("o_sandbox_demo").await;
    let browser = &demo.browser;
    let count = |tab: &str| format!("#wallet .cw-tabs__tab[data-tab={tab}] .cw-tabs__count");
    browser.wait_for(&count("available")).await;
    assert_eq!(
        browser.count(&count("expired")).await,
        0,
        "not read yet: no number, not a wrong one"
    );
    browser.wait_for("#wallet .cw-tabs__tab[data-tab=expired]").await.click().await.unwrap();
    browser.wait_for("#wallet .cw-list[data-tab=expired]").await;
    assert!(tab_count(browser, "expired").await > 0, "read once the tab is opened");
    demo.close().await;
}
