//! The one-line embed: `embed.html` (written by the build) carries the stylesheet, the loader as
//! a file and two custom elements, no inline script. The widgets draw, report, re-rank when
//! the page changes an attribute, and leave nothing behind when removed.

use coupon_e2e::Demo;

#[tokio::test(flavor = "multi_thread")]
async fn the_external_loader_and_the_custom_elements_embed_the_widget() {
    let demo = Demo::start_with(|_| {}).await;
    let browser = &demo.browser;
    // The event listener is on the page before the widget could speak.
    let url = format!(
        "http://{}/api/v1/dev/login?user=o_sandbox_demo&redirect=/embed.html",
        demo.proxy.addr
    );
    browser.client.goto(&url).await.unwrap();
    let heard = "window.heard = []; for (const name of ['cw:select', 'cw:error'])
                   document.addEventListener(name, (e) => heard.push([name, e.detail]));";
    browser.client.execute(heard, vec![]).await.unwrap();
    browser.wait_for("coupon-wallet article.cw-card").await;
    let cell = browser.wait_for("coupon-picker .cw-cell .cw-cell__value").await;
    assert_eq!(cell.text().await.unwrap(), "-¥100.00", "the ¥100 消费金 on a ¥128 order");

    // A smaller order, set as a framework would: the property, then the attribute.
    browser
        .client
        .execute("document.querySelector('coupon-picker').orderTotal = 6000", vec![])
        .await
        .unwrap();
    let told = "const [done] = arguments; const t = setInterval(() => {
                  const last = heard.filter(([n]) => n === 'cw:select').pop();
                  if (last && last[1].payable === 0) { clearInterval(t); done(last[1]); }
                }, 50);";
    let select = browser.client.execute_async(told, vec![]).await.unwrap();
    assert_eq!(select["saving"], 6000, "the balance covers a ¥60 order: {select}");
    assert_eq!(select["confirmed"], false);
    let loader = "return [...document.scripts].map((s) => [s.src.replace(location.origin, ''), s.text.length])";
    assert_eq!(
        browser.client.execute(loader, vec![]).await.unwrap(),
        serde_json::json!([["/coupon-widget-loader.js", 0]]),
        "one script, a file"
    );

    // Removed: the element is left as the page wrote it.
    let removed = "const el = document.querySelector('coupon-wallet'); el.remove();
                   return [el.childElementCount, el.className, el.hasAttribute('data-cw-scheme')]";
    let after = browser.client.execute(removed, vec![]).await.unwrap();
    assert_eq!(after, serde_json::json!([0, "", false]));
    assert_eq!(browser.heard("cw:error").await, serde_json::json!([]), "no errors");
    demo.close().await;
}
