//! The demo page's checkout in real Chromium against the running proxy and sandbox: open the
//! picker, pick a coupon, confirm, and see the payable amount.

use coupon_e2e::Demo;
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread")]
async fn open_pick_confirm_and_see_the_payable_amount() {
    let demo = Demo::on_page("/").await;
    let browser = &demo.browser;
    // ¥128 order: the demo user's ¥100 消费金 saves the most.
    let cell = browser.wait_for(".cw-cell .cw-cell__value").await;
    assert_eq!(cell.text().await.unwrap(), "-¥100.00");
    // The page heard the best pick without anyone opening the picker.
    let payable = browser.wait_for("#payable").await;
    for _ in 0..50 {
        if payable.text().await.unwrap() == "¥28.00" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(payable.text().await.unwrap(), "¥28.00", "¥128 − ¥100, before any tap");
    browser.client.find(Locator::Css(".cw-cell")).await.unwrap().click().await.unwrap();
    let sheet = browser.wait_for("[role=dialog]").await;
    // The coupons that do not apply come last: scrolled down to, they are drawn, each saying why.
    let scroll_sheet =
        |top: &str| format!("document.querySelector('.cw-sheet__panel').scrollTop = {top}");
    browser.client.execute(&scroll_sheet("1e9"), vec![]).await.unwrap();
    let reason = browser.wait_for("[role=dialog] .cw-option__reason").await;
    assert!(!reason.text().await.unwrap().is_empty(), "coupons that do not apply say why");
    // Back up, and pick the ¥20-off 商家券 (满100减20) instead.
    browser.client.execute(&scroll_sheet("0"), vec![]).await.unwrap();
    browser
        .wait_for("[role=dialog] [data-coupon-id=SBXM000001] input")
        .await
        .click()
        .await
        .unwrap();
    sheet.find(Locator::Css(".cw-picker__confirm")).await.unwrap().click().await.unwrap();
    for _ in 0..50 {
        if payable.text().await.unwrap() == "¥108.00" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(payable.text().await.unwrap(), "¥108.00", "¥128 − ¥20");
    let log = browser.wait_for("#events li").await.text().await.unwrap();
    assert!(
        log.starts_with("cw:select")
            && log.contains("\"saving\":2000")
            && log.contains("\"confirmed\":true"),
        "{log}"
    );
    // A smaller order re-ranks at once: under ¥100 the ¥20 coupon no longer applies.
    let amount = browser.client.find(Locator::Css("#amount")).await.unwrap();
    amount.clear().await.unwrap();
    amount.send_keys("60").await.unwrap();
    let mut value = String::new();
    for _ in 0..50 {
        value = browser
            .client
            .find(Locator::Css(".cw-cell__value"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if value == "-¥60.00" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(value, "-¥60.00", "the ¥100 balance covers a ¥60 order");
    demo.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_page_runs_under_a_strict_content_security_policy() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist/index.html");
    let html = std::fs::read_to_string(dist).unwrap();
    assert!(html.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"), "the CSP is in place");
    assert!(!html.contains("'unsafe-inline'") && !html.contains("'unsafe-eval'"), "and strict");
    // One inline script, the loader, allowed by its hash (the browser below enforces it: with a
    // wrong hash nothing would render). Every other <script> names a file.
    let inline: Vec<&str> = html
        .split("<script")
        .skip(1)
        .filter(|tag| !tag.split('>').next().unwrap_or_default().contains("src="))
        .collect();
    assert_eq!(inline.len(), 1, "only the loader is inline");
    assert!(inline[0].contains("couponWidgetFirstPage"), "and it is the loader");
    // And the page works: both views render.
    let demo = Demo::on_page("/").await;
    let browser = &demo.browser;
    browser.wait_for(".cw-cell__value").await;
    browser.wait_for("article.cw-card").await;
    let global = browser.client.execute("return typeof window.wasmBindings", vec![]).await.unwrap();
    assert_eq!(global, "undefined", "the widget leaves no globals behind");
    // Windowed lists size their spacers through CSSOM, which the CSP allows (a style
    // attribute in markup it would block): with 300 coupons the spacer below the drawn
    // cards really takes its height.
    demo.login("o_sandbox_many").await;
    browser.wait_for("#wallet article.cw-card").await;
    browser.wait_settled().await;
    let heights = browser
        .client
        .execute(
            "const s = document.querySelector('#wallet .cw-list > .cw-window__spacer:last-child');
             return [s.style.height, getComputedStyle(s).height];",
            vec![],
        )
        .await
        .unwrap();
    let (declared, computed) = (heights[0].as_str().unwrap(), heights[1].as_str().unwrap());
    assert!(
        declared.ends_with("px") && declared != "0px",
        "the list has cards below the screen: {declared}"
    );
    let px = |v: &str| v.trim_end_matches("px").parse::<f64>().unwrap();
    assert!(
        (px(declared) - px(computed)).abs() < 1.0,
        "the style applies under the CSP: {declared} vs {computed}"
    );
    demo.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_coupon_used_since_the_list_loaded_is_dropped_at_confirm_and_the_next_best_drafted() {
    let demo = Demo::as_user("o_sandbox_demo").await;
    let browser = &demo.browser;
    let cell = browser.wait_for(".cw-cell .cw-cell__value").await;
    assert_eq!(cell.text().await.unwrap(), "-¥100.00");
    browser.client.find(Locator::Css(".cw-cell")).await.unwrap().click().await.unwrap();
    let pick = "[role=dialog] label[data-coupon-id=SBXM000001] input";
    browser.wait_for(pick).await;
    // Into the middle of the sheet, as a user scrolls to it: clear of the sticky confirm button.
    let centre = "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' })";
    browser.client.execute(centre, vec![pick.into()]).await.unwrap();
    browser.wait_for(pick).await.click().await.unwrap();
    // Used at another till while the sheet is open: nothing has told the widget.
    assert!(demo.proxy.sandbox.redeem("o_sandbox_demo", "SBXM000001"));
    let confirm = browser.wait_for(".cw-picker__confirm").await;
    confirm.click().await.unwrap();
    let notice = browser.wait_for(".cw-picker__notice").await.text().await.unwrap();
    assert!(notice.contains("满100减20") && notice.contains("已使用"), "{notice}");
    browser.wait_for_count("[role=dialog] label[data-coupon-id=SBXM000001]", 0).await;
    assert_eq!(browser.count("[role=dialog]").await, 1, "the sheet stays open on the next best");
    let told = "return [...document.querySelectorAll('#events li')]
                  .filter((li) => li.textContent.startsWith('cw:select')).length";
    let told = browser.client.execute(told, vec![]).await.unwrap();
    assert_eq!(told, 1, "the host heard only the first best pick: the confirm did not commit");
    browser.wait_for(".cw-picker__confirm").await.click().await.unwrap();
    browser.wait_for_count("[role=dialog]", 0).await;
    let log = browser.wait_for("#events li").await.text().await.unwrap();
    assert!(log.contains("\"saving\":10000") && log.contains("\"confirmed\":true"), "{log}");
    demo.close().await;
}
