//! 领取 on the demo page in real Chromium against the running proxy and sandbox.

use coupon_e2e::Demo;
use std::sync::atomic::Ordering;

#[tokio::test(flavor = "multi_thread")]
async fn a_double_tap_claims_once_and_the_coupon_joins_the_list_without_a_reload() {
    let demo = Demo::as_user("o_sandbox_empty").await;
    let (proxy, browser) = (&demo.proxy, &demo.browser);
    browser.wait_for("#wallet .cw-empty").await;
    let button = "#wallet .cw-claim[data-stock-id=SBX_STOCK_CLAIM_500] .cw-claim__button";
    browser.wait_for(button).await;
    // Two taps in the same instant.
    browser
        .client
        .execute(
            &format!("const b = document.querySelector('{button}'); b.click(); b.click();"),
            vec![],
        )
        .await
        .unwrap();
    let message = browser.wait_for("#wallet .cw-claim__message").await;
    assert_eq!(message.text().await.unwrap(), "领取成功");
    browser.wait_for_count("#wallet article.cw-card", 1).await;
    assert_eq!(
        browser
            .wait_for("#wallet .cw-tabs__tab[data-tab=available] .cw-tabs__count")
            .await
            .text()
            .await
            .unwrap(),
        "(1)"
    );
    let log = browser.wait_for("#events li").await.text().await.unwrap();
    assert!(log.starts_with("cw:claim"), "{log}");
    let sandbox = &proxy.sandbox;
    assert_eq!(
        sandbox.stats().send_coupon.load(Ordering::Relaxed),
        1,
        "one issue request upstream"
    );
    // After a reload the wallet still holds exactly one.
    browser.client.refresh().await.unwrap();
    browser.wait_for("#wallet article.cw-card").await;
    browser.wait_settled().await;
    assert_eq!(browser.count("#wallet article.cw-card").await, 1);
    demo.close().await;
}

const CLAIM_ROW: &str = "#wallet .cw-claim[data-stock-id=SBX_STOCK_CLAIM_500]";

#[tokio::test(flavor = "multi_thread")]
async fn a_run_out_stock_is_not_offered_and_one_run_out_since_the_page_loaded_says_so() {
    let demo = Demo::as_user("o_sandbox_empty").await;
    let browser = &demo.browser;
    let limit = browser.wait_for(&format!("{CLAIM_ROW} .cw-claim__limit")).await;
    assert_eq!(limit.text().await.unwrap(), "每人限领3张", "查询批次详情's per-user limit");
    let sold_out = "#wallet .cw-claim[data-stock-id=SBX_STOCK_SOLD_OUT]";
    assert_eq!(browser.count(sold_out).await, 0, "a stock with no coupons left is not offered");
    assert!(demo.proxy.sandbox.update_stock("SBX_STOCK_CLAIM_500", |s| s.remaining = 0));
    browser.wait_for(&format!("{CLAIM_ROW} .cw-claim__button")).await.click().await.unwrap();
    let message = browser.wait_for("#wallet .cw-claim__message--error").await;
    assert_eq!(message.text().await.unwrap(), "来晚了，券已被领完");
    assert_eq!(browser.count("#wallet article.cw-card").await, 0);
    demo.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_at_the_stocks_limit_is_told_before_a_claim_is_refused() {
    let demo = Demo::as_user("o_sandbox_empty").await;
    let browser = &demo.browser;
    let button = format!("{CLAIM_ROW} .cw-claim__button");
    for n in 1..=3 {
        browser.wait_for(&button).await.click().await.unwrap();
        browser.wait_for_count("#wallet article.cw-card", n).await;
    }
    for reloaded in [false, true] {
        if reloaded {
            browser.client.refresh().await.unwrap();
        }
        browser.wait_for(&format!("{button}:disabled")).await;
        let text = browser.wait_for(&button).await.text().await.unwrap();
        assert_eq!(text, "已达上限", "reloaded: {reloaded}");
    }
    use std::sync::atomic::Ordering::Relaxed;
    assert_eq!(demo.proxy.sandbox.stats().send_coupon.load(Relaxed), 3, "no fourth try upstream");
    demo.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_a_timeout_still_issues_exactly_one_coupon() {
    use coupon_sandbox::Faults;
    let demo = Demo::as_user_with("o_sandbox_empty", |s| {
        s.upstream_timeout = std::time::Duration::from_millis(300)
    })
    .await;
    let (proxy, browser) = (&demo.proxy, &demo.browser);
    let sandbox = &proxy.sandbox;
    // The sandbox issues the coupon, but every answer arrives too late.
    sandbox.set_faults(Faults { latency_ms: 700, ..Faults::default() });
    let button = "#wallet .cw-claim[data-stock-id=SBX_STOCK_CLAIM_500] .cw-claim__button";
    browser.wait_for(button).await.click().await.unwrap();
    let error = browser.wait_for("#wallet .cw-claim__message--error").await;
    assert!(error.text().await.unwrap().contains("超时"), "a readable timeout");
    assert!(sandbox.stats().send_coupon.load(Ordering::Relaxed) >= 1, "upstream did issue it");
    sandbox.set_faults(Faults::default());
    browser.client.find(fantoccini::Locator::Css(button)).await.unwrap().click().await.unwrap();
    let message =
        browser.wait_for("#wallet .cw-claim__message:not(.cw-claim__message--error)").await;
    assert_eq!(message.text().await.unwrap(), "领取成功");
    browser.client.refresh().await.unwrap();
    browser.wait_for("#wallet article.cw-card").await;
    browser.wait_settled().await;
    assert_eq!(
        browser.count("#wallet article.cw-card").await,
        1,
        "the retry reused the claim's key: one coupon"
    );
    demo.close().await;
}
