//! axe-core (installed by the bootstrap from the npm registry) audits the demo page as a user
//! meets it: both views, the 领取 rows, the detail sheet, every use sheet and the picker's
//! sheet, in Chinese and in English. Any violation fails, named with its nodes.

use coupon_e2e::{Browser, Demo, Preferences};
use std::time::Duration;

const AXE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/axe/node_modules/axe-core/axe.min.js");

/// Every violation axe finds on the page as it is now, as `rule (impact): nodes`.
async fn audit(browser: &Browser, state: &str) -> Vec<String> {
    let loaded = browser.client.execute("return typeof axe === 'object'", vec![]).await.unwrap();
    if loaded != serde_json::Value::Bool(true) {
        let source =
            std::fs::read_to_string(AXE).expect("axe-core is installed (scripts/bootstrap.sh)");
        browser.client.execute(&source, vec![]).await.expect("axe-core loads into the page");
    }
    let script = "const [done] = arguments;
        axe.run(document, { resultTypes: ['violations'] })
          .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
          .catch(e => done(['axe could not run: ' + e]));";
    let found = browser.client.execute_async(script, vec![]).await.expect("axe runs");
    let found: Vec<String> = serde_json::from_value(found).unwrap();
    found.into_iter().map(|v| format!("[{state}] {v}")).collect()
}

/// Waits for a sheet to open; `None` if none does within a second.
async fn sheet_title(browser: &Browser) -> Option<String> {
    for _ in 0..10 {
        if browser.count(".cw-sheet").await > 0 {
            return Some(browser.wait_for(".cw-sheet__title").await.text().await.unwrap());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// Scrolls the widget in `scope` back to its top: the list draws only the cards near the
/// screen, and axe scrolls the page as it checks contrast.
async fn reveal(browser: &Browser, scope: &str) {
    browser
        .client
        .execute(&format!("document.querySelector('{scope}').scrollIntoView()"), vec![])
        .await
        .unwrap();
    browser.wait_for(&format!("{scope} .cw-card__open")).await;
}

/// Audits the page, then each sheet a user can open from the widgets in `scope`.
async fn audit_with_sheets(
    browser: &Browser,
    scope: &str,
    lang: &str,
    violations: &mut Vec<String>,
) -> Vec<String> {
    violations.extend(audit(browser, &format!("{lang}: page")).await);
    let mut sheets = Vec::new();
    reveal(browser, scope).await;
    browser
        .client
        .execute(&format!("document.querySelector('{scope} .cw-card__open').click()"), vec![])
        .await
        .unwrap();
    let title = sheet_title(browser).await.expect("the detail sheet opens");
    violations.extend(audit(browser, &format!("{lang}: detail sheet {title}")).await);
    sheets.push(title);
    browser.close_sheet().await;
    // Every use button shown: each opens the sheet for its coupon's use method.
    reveal(browser, scope).await;
    let buttons = browser.count(&format!("{scope} .cw-card__use:not([disabled])")).await;
    for i in 0..buttons {
        reveal(browser, scope).await;
        browser.client.execute(&format!("document.querySelectorAll('{scope} .cw-card__use:not([disabled])')[{i}].click()"), vec![]).await.unwrap();
        if let Some(title) = sheet_title(browser).await {
            if !sheets.contains(&title) {
                violations.extend(audit(browser, &format!("{lang}: use sheet {title}")).await);
                sheets.push(title);
            }
            browser.close_sheet().await;
        }
    }
    sheets
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_page_has_no_accessibility_violations_in_either_language() {
    audit_the_demo_page(Preferences::default()).await;
}

/// The same audit on a phone in dark mode: the page and every widget on it follow it.
#[tokio::test(flavor = "multi_thread")]
async fn in_dark_mode_the_demo_page_has_no_accessibility_violations_either() {
    audit_the_demo_page(Preferences { dark: true, ..Preferences::default() }).await;
}

async fn audit_the_demo_page(preferences: Preferences) {
    let demo = Demo::start_preferring(preferences, |_| {}).await;
    let browser = &demo.browser;
    let mut violations = Vec::new();

    // A user with nothing yet: the 领取 rows.
    demo.login("o_sandbox_empty").await;
    browser.wait_for("#wallet .cw-claim__button").await;
    browser.wait_for("#wallet .cw-empty").await;
    violations.extend(audit(browser, "zh-CN: 领取").await);

    // The demo user: both views, and every sheet.
    demo.login("o_sandbox_demo").await;
    browser.wait_for("#wallet .cw-card__open").await;
    browser.wait_settled().await;
    let schemes = browser
        .client
        .execute(
            "return [...document.querySelectorAll('.cw-root')].map((el) => el.dataset.cwScheme)
                .concat(getComputedStyle(document.body).backgroundColor)",
            vec![],
        )
        .await
        .unwrap();
    let want = if preferences.dark { "dark" } else { "light" };
    let body = if preferences.dark { "rgb(17, 17, 17)" } else { "rgb(237, 237, 237)" };
    assert_eq!(schemes, serde_json::json!([want, want, body]), "both widgets and the page");
    let sheets = audit_with_sheets(browser, "#wallet", "zh-CN", &mut violations).await;
    assert!(
        sheets.len() >= 3,
        "the detail sheet and at least two use sheets were audited: {sheets:?}"
    );
    browser.wait_for("#picker .cw-cell").await;
    browser
        .client
        .execute("document.querySelector('#picker .cw-cell').click()", vec![])
        .await
        .unwrap();
    let title = sheet_title(browser).await.expect("the picker's sheet opens");
    violations.extend(audit(browser, &format!("zh-CN: picker sheet {title}")).await);
    browser.close_sheet().await;

    // The same views in English, mounted from JavaScript beside the Chinese ones.
    let mount = "const [done] = arguments;
        import(document.querySelector('link[rel=modulepreload]').href).then(m => {
          for (const view of ['picker', 'wallet']) {
            const el = document.createElement('div');
            el.id = view + '-en';
            el.lang = 'en';
            document.getElementById(view).after(el);
            // The handle is dropped: the widget stays until unmount.
            m.mount(el, { view, locale: 'en', order: { total: 12800 } });
          }
          done(true);
        }).catch(e => done(String(e)));";
    assert_eq!(
        browser.client.execute_async(mount, vec![]).await.unwrap(),
        serde_json::Value::Bool(true)
    );
    reveal(browser, "#wallet-en").await;
    browser.wait_for("#picker-en .cw-cell").await;
    let sheets = audit_with_sheets(browser, "#wallet-en", "en", &mut violations).await;
    // The detail sheet is titled with the coupon's own (Chinese) name; the use sheets speak English.
    assert!(
        sheets.len() >= 3 && sheets[1..].iter().all(|t| t.is_ascii()),
        "English sheets: {sheets:?}"
    );
    browser
        .client
        .execute("document.querySelector('#picker-en .cw-cell').click()", vec![])
        .await
        .unwrap();
    let title = sheet_title(browser).await.expect("the English picker's sheet opens");
    violations.extend(audit(browser, &format!("en: picker sheet {title}")).await);
    browser.close_sheet().await;

    assert!(
        violations.is_empty(),
        "axe-core found {} violations:\n{}",
        violations.len(),
        violations.join("\n")
    );
    demo.close().await;
}
