//! Nothing on the demo page moves as the widgets load: the layout shift of its first 3 s, no
//! input, stays ≤ 0.02 (Chromium's own Layout Instability API where it has one, and in both
//! engines the same formula computed every frame by `e2e/probe/layout-shift.js`, which a copy
//! of the page loads before anything else).

use axum::response::{Html, IntoResponse};
use coupon_e2e::{start_proxy_wrapped, Browser};
use std::path::PathBuf;
use std::time::Duration;

const PROBE: &str = include_str!("../probe/layout-shift.js");

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_page_does_not_shift_as_the_widgets_load() {
    let page = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist/index.html"),
    )
    .expect("dist/ is built");
    // The build's minifier leaves out <head>: the probe goes first after the charset.
    let page = page.replacen(
        "<meta charset=utf-8>",
        "<meta charset=utf-8><script src=/layout-shift.js></script>",
        1,
    );
    assert!(page.contains("/layout-shift.js"), "the probe is first in the page");
    let proxy = start_proxy_wrapped(move |router| {
        router
            // The wasm arrives well after the page has painted, as on a phone's network.
            .layer(axum::middleware::from_fn(
                |request: axum::extract::Request, next: axum::middleware::Next| async move {
                    if request.uri().path().ends_with(".wasm") {
                        tokio::time::sleep(Duration::from_millis(600)).await;
                    }
                    next.run(request).await
                },
            ))
            .route(
                "/layout-shift.js",
                axum::routing::get(|| async {
                    ([("content-type", "text/javascript")], PROBE).into_response()
                }),
            )
            .route("/shift.html", axum::routing::get(move || async move { Html(page) }))
    })
    .await;
    let browser = Browser::launch().await;
    let mut worst = Vec::new();
    for user in ["o_sandbox_demo", "o_sandbox_many", "o_sandbox_empty"] {
        let url =
            format!("http://{}/api/v1/dev/login?user={user}&redirect=/shift.html", proxy.addr);
        browser.client.goto(&url).await.unwrap();
        browser.wait_for("#wallet .cw-wallet").await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let shift = browser.client.execute("return window.__cwShift", vec![]).await.unwrap();
        let ours = shift["ours"].as_f64().expect("the probe ran");
        let native = shift["native"].as_f64();
        let frames = shift["frames"].as_u64().unwrap();
        assert!(frames >= 30, "{user}: the probe looked at {frames} frames in 3 s");
        let sources = shift["sources"].clone();
        println!(
            "{user}: layout shift {ours:.4} (Layout Instability API: {native:?}); moved: {sources}"
        );
        if ours > 0.02 || native.is_some_and(|n| n > 0.02) {
            worst.push(format!("{user}: {ours:.4} (API {native:?}), moved: {sources}"));
        }
    }
    assert!(worst.is_empty(), "the page shifted as it loaded:\n{}", worst.join("\n"));
    browser.close().await;
    proxy.shutdown().await;
}

/// What the wallet shows: its drawings, the cards on screen, and the first card's box.
const LOOK: &str = "const wallet = document.querySelector('#wallet');
  const cards = [...wallet.querySelectorAll('article.cw-card')]
    .filter((c) => c.offsetParent && c.getBoundingClientRect().top < innerHeight);
  const box = cards[0] && cards[0].getBoundingClientRect();
  return {
    prerendered: wallet.querySelectorAll('.cw-prerendered').length,
    inert: !!wallet.querySelector('.cw-prerendered')?.inert,
    views: wallet.querySelectorAll('.cw-wallet').length,
    ids: cards.map((c) => c.dataset.couponId),
    first: box ? [box.x, box.y, box.width, box.height].map(Math.round).join() : '',
  };";

#[tokio::test(flavor = "multi_thread")]
async fn the_proxy_draws_the_first_screen_before_the_widget_starts_and_the_widget_takes_its_place()
{
    // The wasm held back for 3 s: what shows meanwhile is the proxy's drawing alone.
    let proxy = start_proxy_wrapped(|router| {
        router.layer(axum::middleware::from_fn(
            |request: axum::extract::Request, next: axum::middleware::Next| async move {
                if request.uri().path().ends_with(".wasm") {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                }
                next.run(request).await
            },
        ))
    })
    .await;
    let browser = Browser::launch().await;
    let url = format!("http://{}/api/v1/dev/login?user=o_sandbox_demo&redirect=/", proxy.addr);
    browser.client.goto(&url).await.unwrap();
    let look = || async { browser.client.execute(LOOK, vec![]).await.unwrap() };
    let mut before = look().await;
    for _ in 0..20 {
        if before["ids"].as_array().is_some_and(|ids| ids.len() >= 4) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        before = look().await;
    }
    assert_eq!(before["prerendered"], 1, "the first screen shows before the wasm: {before}");
    assert_eq!(before["inert"], true, "nothing in it can be tapped before it works: {before}");
    let started = browser
        .client
        .execute("return performance.getEntriesByName('cw-loader:started').length", vec![]);
    assert_eq!(started.await.unwrap(), 0, "the widget has not started yet");
    browser.wait_for_count("#wallet .cw-prerendered", 0).await;
    let after = look().await;
    assert_eq!(after["views"], 1, "the widget's own view alone: {after}");
    assert_eq!(after["ids"], before["ids"], "the same cards on screen");
    assert_eq!(after["first"], before["first"], "in the same place");
    browser.close().await;
    proxy.shutdown().await;
}
