//! The npm package as a merchant's front end meets it: `npm pack` over what the build wrote
//! (`dist/npm`), the tarball installed into a tiny Vite app (`e2e/vite-app`, whose own code
//! creates the elements after start-up), `vite build`, and the built app loaded through the
//! proxy: the wallet draws and the picker's first `cw:select` arrives.

use coupon_e2e::{start_proxy_with, Browser};
use std::path::{Path, PathBuf};
use std::process::Command;

fn run(what: &str, command: &mut Command) {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The packed tarball, installed into the Vite app, built into `out`.
fn build_the_app(out: &Path) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let app = root.join("e2e/vite-app");
    assert!(root.join("dist/npm/package.json").exists(), "run `trunk build --release` first");
    assert!(app.join("node_modules/.bin/vite").exists(), "run scripts/bootstrap.sh (vite)");
    run(
        "npm pack",
        Command::new("npm")
            .current_dir(&root)
            .args(["pack", "./dist/npm", "--silent", "--pack-destination"])
            .arg(out),
    );
    let tarball = std::fs::read_dir(out)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "tgz"))
        .expect("npm pack wrote a tarball");
    run(
        "npm install of the tarball",
        Command::new("npm")
            .current_dir(&app)
            .args(["install", "--no-save", "--no-audit", "--no-fund", "--silent"])
            .arg(&tarball),
    );
    run(
        "vite build",
        Command::new(app.join("node_modules/.bin/vite"))
            .current_dir(&app)
            .args(["build", "--emptyOutDir", "--logLevel", "warn", "--outDir"])
            .arg(out.join("site")),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_packed_package_works_in_a_vite_app() {
    let out = tempfile::Builder::new().prefix("cw-vite-").tempdir().unwrap();
    build_the_app(out.path());
    let site = out.path().join("site");
    let proxy = start_proxy_with(|s| s.static_dir = site.clone()).await;
    let browser = Browser::launch().await;
    let url = format!("http://{}/api/v1/dev/login?user=o_sandbox_demo&redirect=/", proxy.addr);
    browser.client.goto(&url).await.unwrap();
    browser.wait_for("[data-widget-ready]").await;
    browser.wait_for("coupon-wallet article.cw-card").await;
    let first_select = "const [done] = arguments; const t = setInterval(() => {
                          const s = heard.find(([n]) => n === 'cw:select');
                          if (s) { clearInterval(t); done(s[1]); }
                        }, 50);";
    let select = browser.client.execute_async(first_select, vec![]).await.unwrap();
    assert_eq!(select["saving"], 10_000, "the ¥100 消费金 on the app's ¥128 order: {select}");
    assert_eq!(browser.heard("cw:error").await, serde_json::json!([]), "no errors");
    // The property the app set before the element was defined reached the widget.
    let scheme = browser
        .client
        .execute("return document.querySelector('coupon-picker').className", vec![])
        .await
        .unwrap();
    assert_eq!(scheme, "cw-root");
    browser.close().await;
    proxy.shutdown().await;
}
