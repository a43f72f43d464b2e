//! The sheet rises as it opens, unless the user asked the phone for less motion
//! (`prefers-reduced-motion`): then it is simply there.

use coupon_e2e::{Demo, Preferences};

/// Opens the picker's sheet and returns how its panel is animated (name, duration) and the
/// animations that started in the page meanwhile.
async fn animation_on_opening(reduced_motion: bool) -> serde_json::Value {
    let preferences = Preferences { reduced_motion, ..Preferences::default() };
    let demo = Demo::start_preferring(preferences, |_| {}).await;
    demo.login("o_sandbox_demo").await;
    let browser = &demo.browser;
    browser.wait_for("#picker .cw-cell__value").await;
    let open = "window.started = [];
                document.addEventListener('animationstart', (e) => started.push(e.animationName), true);
                document.querySelector('#picker .cw-cell').click();";
    browser.client.execute(open, vec![]).await.unwrap();
    browser.wait_for("[role=dialog] .cw-option").await;
    let read = "const panel = getComputedStyle(document.querySelector('.cw-sheet__panel'));
                return [panel.animationName, panel.animationDuration, [...new Set(started)].sort()]";
    let animated = browser.client.execute(read, vec![]).await.unwrap();
    demo.close().await;
    animated
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sheet_rises_unless_the_user_asked_for_less_motion() {
    let moving = animation_on_opening(false).await;
    assert_eq!(moving, serde_json::json!(["cw-rise", "0.2s", ["cw-fade-in", "cw-rise"]]));
    let still = animation_on_opening(true).await;
    assert_eq!(still[1], "0s", "nothing moves under prefers-reduced-motion: {still}");
}
