//! WeChat's font-size setting on a 320 px phone: the WebView enlarges every text size (text
//! zoom), here to 200%, by doubling each of the widget's font sizes as a host can. Nothing may
//! be cut off, overlap, or push the page sideways, in the wallet, the picker or a sheet.

use coupon_e2e::Demo;

/// Doubles the widget's text, narrows the window to 320 px and returns what is wrong.
const PROBLEMS: &str = r#"
const problems = [];
const sideways = document.documentElement.scrollWidth - document.documentElement.clientWidth;
if (sideways > 0) {
  const wide = [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
    .map((el) => el.className || el.tagName).slice(0, 5);
  problems.push('the page scrolls sideways by ' + sideways + 'px: ' + wide.join(', '));
}
const texts = document.querySelectorAll('.cw-root :is(h2, h3, p, span, button, dt, dd, label, strong)');
let checked = 0;
for (const el of texts) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || getComputedStyle(el).visibility === 'hidden') continue;
  checked++;
  const name = el.className || el.tagName;
  if (r.right > innerWidth + 0.5 || r.left < -0.5) problems.push(name + ' runs off the screen: ' + r.left + '–' + r.right);
  const style = getComputedStyle(el);
  const words = el.textContent.trim();
  // Squeezed into a column: two characters a line or fewer.
  const line = parseFloat(style.lineHeight) || 1.2 * parseFloat(style.fontSize);
  const content = r.height - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
  const lines = Math.round(content / line);
  if (words.length >= 4 && lines > 1 && lines >= words.length / 2)
    problems.push(name + ' (' + words + ') is squeezed into ' + lines + ' lines of ' + Math.round(r.width) + 'px');
  const clips = style.overflowX !== 'visible' || style.overflowY !== 'visible';
  const ellipsis = style.textOverflow === 'ellipsis' || style.webkitLineClamp !== 'none' && style.webkitLineClamp !== '';
  if (clips && !ellipsis && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1))
    problems.push(name + ' is cut off: ' + el.scrollWidth + 'x' + el.scrollHeight + ' in ' + el.clientWidth + 'x' + el.clientHeight);
}
// Within a card, its value and its words sit side by side without overlapping, and the use
// button stays inside the card.
for (const card of document.querySelectorAll('.cw-card')) {
  const box = card.getBoundingClientRect();
  if (box.height === 0) continue;
  const value = card.querySelector('.cw-card__value-box')?.getBoundingClientRect();
  const info = card.querySelector('.cw-card__info')?.getBoundingClientRect();
  if (value && info && value.right > info.left + 0.5 && value.bottom > info.top + 0.5 && info.bottom > value.top + 0.5 && info.right > value.left + 0.5)
    problems.push(card.dataset.couponId + ': the value overlaps the words');
  const use = card.querySelector('.cw-card__use')?.getBoundingClientRect();
  if (use && (use.right > box.right + 0.5 || use.bottom > box.bottom + 0.5))
    problems.push(card.dataset.couponId + ': the use button leaves the card');
}
return [checked, problems];
"#;

/// Through the CSSOM, which the page's CSP allows (a <style> element it would block).
const LARGE_TEXT: &str = "const sizes = { '--cw-font-size': '28px', '--cw-font-size-small': '24px',
        '--cw-font-size-value': '52px', '--cw-font-size-title': '32px' };
    for (const root of document.querySelectorAll('.cw-root'))
      for (const [name, size] of Object.entries(sizes)) root.style.setProperty(name, size);
    return getComputedStyle(document.querySelector('#wallet .cw-card__value')).fontSize;";

async fn check(demo: &Demo, state: &str) {
    demo.browser.wait_still(".cw-root").await;
    let found = demo.browser.client.execute(PROBLEMS, vec![]).await.unwrap();
    let checked = found[0].as_u64().unwrap();
    assert!(checked > 10, "{state}: checked {checked} texts");
    let problems: Vec<String> = serde_json::from_value(found[1].clone()).unwrap();
    assert!(problems.is_empty(), "{state} at 200% text, 320 px:\n{}", problems.join("\n"));
}

/// Opens a sheet by running `tap`, waits for `inside` in it and checks it.
async fn open_and_check(demo: &Demo, tap: &str, inside: &str, state: &str) {
    demo.browser.client.execute(tap, vec![]).await.unwrap();
    demo.browser.wait_for(&format!("[role=dialog] {inside}")).await;
    check(demo, state).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn at_200_percent_text_on_a_320_px_phone_nothing_is_cut_off_or_overlaps() {
    let demo = Demo::as_user("o_sandbox_demo").await;
    let browser = &demo.browser;
    // A 320 px viewport in either engine (WebKitGTK's window is never that narrow): the demo
    // page again, in a frame that wide.
    browser.wait_for("#wallet article.cw-card").await;
    let frame = "const frame = document.createElement('iframe');
                 frame.src = '/'; frame.width = '320'; frame.height = '800'; frame.style.border = '0';
                 document.body.replaceChildren(frame);";
    browser.client.execute(frame, vec![]).await.unwrap();
    browser.client.enter_frame(0).await.unwrap();
    browser.wait_for("#wallet article.cw-card").await;
    browser.wait_for("#picker .cw-cell__value").await;
    let value = browser.client.execute(LARGE_TEXT, vec![]).await.unwrap();
    assert_eq!(value, "52px", "the text is enlarged");
    let width = browser.client.execute("return innerWidth", vec![]).await.unwrap();
    assert!(width.as_u64().unwrap() <= 320, "a 320 px viewport: {width}");
    check(&demo, "the page").await;
    // Every card, as the user scrolls to it.
    let cards = browser.count("#wallet article.cw-card").await;
    for i in 0..cards {
        let scroll =
            format!("document.querySelectorAll('#wallet article.cw-card')[{i}]?.scrollIntoView()");
        browser.client.execute(&scroll, vec![]).await.unwrap();
        check(&demo, &format!("card {i}")).await;
    }
    // The picker's sheet, and a use sheet.
    open_and_check(
        &demo,
        "scrollTo(0, 0); document.querySelector('#picker .cw-cell').click()",
        ".cw-option",
        "the picker's sheet",
    )
    .await;
    browser.close_sheet().await;
    open_and_check(
        &demo,
        "document.querySelector('#wallet .cw-card__use:not([disabled])').click()",
        ".cw-use",
        "a use sheet",
    )
    .await;
    demo.close().await;
}
