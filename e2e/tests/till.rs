//! At the till: a use sheet that is open while its coupon is redeemed says 已使用 by itself,
//! and the wallet counts and lists the coupon as used, and the picker stops offering it, with no
//! reload: pushed to it by the proxy, or where the push is off, by its own poll.

use coupon_e2e::Demo;
use std::time::Instant;

const USER: &str = "o_sandbox_demo";
/// 微信支付代金券 满50减5: a 代金券, used by paying with the WeChat payment code.
const COUPON: &str = "SBXS000001";

async fn available_count(demo: &Demo) -> String {
    let js = "return document.querySelector('#wallet .cw-tabs__tab .cw-tabs__count').textContent";
    demo.browser.client.execute(js, vec![]).await.unwrap().as_str().unwrap().to_owned()
}

/// Whether the picker's sheet, opened and scrolled through, offers `id` as a choice; closes it.
async fn picker_offers(demo: &Demo, id: &str) -> bool {
    let b = &demo.browser;
    b.client.execute("document.querySelector('#picker .cw-cell').click()", vec![]).await.unwrap();
    b.wait_for("[role=dialog] .cw-options").await;
    let look = "const [id, done] = arguments;
        const panel = document.querySelector('.cw-sheet__panel');
        let y = 0;
        const step = () => {
          if (document.querySelector(`[role=dialog] label[data-coupon-id='${id}']`)) return done(true);
          if (y >= panel.scrollHeight) return done(false);
          y += panel.clientHeight / 2; panel.scrollTop = y;
          requestAnimationFrame(() => requestAnimationFrame(step));
        };
        requestAnimationFrame(step);";
    let offered = b.client.execute_async(look, vec![id.into()]).await.unwrap();
    b.close_sheet().await;
    offered == serde_json::Value::Bool(true)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_open_use_sheet_turns_to_used_when_the_till_redeems_the_coupon() {
    at_the_till(true).await;
}

/// Behind a front proxy that cuts streams (`--push-updates false` here), the sheet polls.
#[tokio::test(flavor = "multi_thread")]
async fn with_no_push_the_sheet_polls_and_still_turns_to_used() {
    at_the_till(false).await;
}

async fn at_the_till(push: bool) {
    let demo = Demo::as_user_with(USER, |s| s.push_updates = push).await;
    let b = &demo.browser;
    b.wait_for("#wallet .cw-card__open").await;
    b.wait_settled().await;
    let before = available_count(&demo).await;
    assert!(picker_offers(&demo, COUPON).await, "the checkout offers the 代金券 before the till");
    let tap = "(id) => {
          const button = document.querySelector(`#wallet article[data-coupon-id='${id}'] .cw-card__use`);
          if (button) { button.click(); return true; }
        }";
    assert_eq!(b.scroll_through(tap, COUPON.into()).await, serde_json::Value::Bool(true));
    b.wait_for(".cw-use--payment-code").await;

    let redeemed = Instant::now();
    assert!(demo.proxy.sandbox.redeem(USER, COUPON), "the sandbox's till redeems it");
    b.wait_for(".cw-use--used").await;
    let seen = redeemed.elapsed();
    let text = b.wait_for(".cw-use--used").await.text().await.unwrap();
    assert!(text.contains("已使用") && text.contains("使用时间"), "{text}");
    assert_eq!(b.count(".cw-use--payment-code").await, 0, "the instruction is gone");
    let after = available_count(&demo).await;
    assert_ne!(after, before, "可用's count changes while the sheet is open ({before} → {after})");
    let how = if push { "pushed" } else { "polled" };
    eprintln!("the sheet said 已使用 {} ms after the redemption ({how})", seen.as_millis());

    b.close_sheet().await;
    b.wait_for_count("#wallet .cw-wallet__panel--pending", 0).await;
    b.wait_settled().await;
    let find = "(id) => {
          if (document.querySelector(`#wallet article[data-coupon-id='${id}']`)) return true;
        }";
    assert_eq!(
        b.scroll_through(find, COUPON.into()).await,
        serde_json::Value::Null,
        "closed, the sheet leaves a wallet that lists the coupon under 已使用, not 可用"
    );
    assert!(!picker_offers(&demo, COUPON).await, "and a checkout that no longer offers it");
    demo.close().await;
}
