//! Harness for the end-to-end tests: the proxy (with its embedded sandbox) serving the built
//! widget from `dist/`, and a real browser: headless Chromium through chromedriver, or WebKit
//! through WebKitWebDriver (see [`Engine`]).
//!
//! `dist/` must hold a build (`trunk build --release`, which `scripts/test.sh` runs first).

use fantoccini::{Client, ClientBuilder, Locator};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

/// The proxy in sandbox mode and its sandbox, as the tests drive them.
pub struct DemoProxy {
    pub running: coupon_proxy::Running,
    /// The sandbox upstream: fault knobs and statistics.
    pub sandbox: coupon_sandbox::SharedSandbox,
}

impl std::ops::Deref for DemoProxy {
    type Target = coupon_proxy::Running;
    fn deref(&self) -> &coupon_proxy::Running {
        &self.running
    }
}

impl DemoProxy {
    pub async fn shutdown(self) {
        self.running.shutdown().await;
    }
}

/// The proxy in sandbox mode on a free loopback port, serving the built demo page.
pub async fn start_proxy() -> DemoProxy {
    start_proxy_with(|_| {}).await
}

/// [`start_proxy`] with adjusted settings.
pub async fn start_proxy_with(
    adjust: impl FnOnce(&mut coupon_proxy::config::Settings),
) -> DemoProxy {
    start(adjust, |router| router).await
}

/// The sandbox proxy on a free loopback port serving `dist/`, its settings adjusted and its
/// router wrapped.
async fn start(
    adjust: impl FnOnce(&mut coupon_proxy::config::Settings),
    wrap: impl FnOnce(axum::Router) -> axum::Router,
) -> DemoProxy {
    let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist");
    assert!(
        dist.join("index.html").exists(),
        "no widget build in {}: run `trunk build --release` first",
        dist.display()
    );
    let (mut settings, sandbox) =
        coupon_proxy::dev::sandbox_settings().await.expect("sandbox starts");
    settings.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    settings.static_dir = dist;
    adjust(&mut settings);
    let running = coupon_proxy::start_with(settings, wrap).await.expect("proxy starts");
    // As in `coupon-proxy` sandbox mode: a coupon redeemed at the sandbox comes back as a notification.
    coupon_proxy::dev::notify(&sandbox, running.addr);
    DemoProxy { running, sandbox }
}

/// Which browser engine the tests drive: `CW_E2E_BROWSER=chromium` (the default: Android
/// WeChat's engine, headless through chromedriver) or `webkit` (iOS WeChat's WKWebView is
/// WebKit: WebKitGTK's MiniBrowser through `WebKitWebDriver`, which needs a display — the test
/// script runs it under `xvfb-run`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Chromium,
    WebKit,
}

impl Engine {
    pub fn from_env() -> Engine {
        match std::env::var("CW_E2E_BROWSER").as_deref() {
            Ok("webkit") => Engine::WebKit,
            Ok("chromium") | Err(_) => Engine::Chromium,
            Ok(other) => panic!("CW_E2E_BROWSER={other}: expected chromium or webkit"),
        }
    }
}

/// Every request the proxy received, as `path?query`, in order.
#[derive(Clone, Default)]
pub struct RequestLog(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl RequestLog {
    /// The requests whose `path?query` starts with `prefix`.
    pub fn matching(&self, prefix: &str) -> Vec<String> {
        self.0.lock().unwrap().iter().filter(|r| r.starts_with(prefix)).cloned().collect()
    }
}

/// [`start_proxy`] with its router wrapped (routes a test adds beside the proxy's own).
pub async fn start_proxy_wrapped(wrap: impl FnOnce(axum::Router) -> axum::Router) -> DemoProxy {
    start(|_| {}, wrap).await
}

/// [`start_proxy`] with every request it receives written to the returned log.
pub async fn start_logged_proxy() -> (DemoProxy, RequestLog) {
    let log = RequestLog::default();
    let writer = log.clone();
    let proxy = start(
        |_| {},
        move |router| {
            router.layer(axum::middleware::from_fn(
                move |request: axum::extract::Request, next: axum::middleware::Next| {
                    let line =
                        request.uri().path_and_query().map_or_else(String::new, |p| p.to_string());
                    writer.0.lock().unwrap().push(line);
                    next.run(request)
                },
            ))
        },
    )
    .await;
    (proxy, log)
}

/// A WebDriver process and a browser session on it; both end when dropped.
pub struct Browser {
    pub client: Client,
    driver: tokio::process::Child,
    /// The GTK settings WebKitGTK reads, removed with the browser.
    _gtk_config: Option<tempfile::TempDir>,
}

/// What the browser's user has set on their phone, as media queries report it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Preferences {
    /// `prefers-color-scheme: dark` (WeChat passes the phone's dark mode to its pages).
    pub dark: bool,
    /// `prefers-reduced-motion: reduce`.
    pub reduced_motion: bool,
}

impl Browser {
    pub async fn launch() -> Browser {
        Browser::launch_with(Preferences::default()).await
    }

    /// A browser whose media queries report `preferences`: Chromium by its switches, WebKitGTK
    /// by the GTK theme it draws with.
    pub async fn launch_with(preferences: Preferences) -> Browser {
        let engine = Engine::from_env();
        let port = free_port();
        let program = match engine {
            Engine::Chromium => {
                std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into())
            }
            Engine::WebKit => {
                std::env::var("WEBKIT_WEBDRIVER").unwrap_or_else(|_| "WebKitWebDriver".into())
            }
        };
        let caps = capabilities(engine, preferences);
        let mut command = tokio::process::Command::new(&program);
        if preferences.dark {
            command.env("GTK_THEME", "Adwaita:dark");
        }
        // WebKitGTK reports reduced motion when GTK's animations are off (its settings.ini).
        let gtk_config = if preferences.reduced_motion {
            let dir = tempfile::Builder::new().prefix("cw-gtk-").tempdir().expect("a GTK folder");
            std::fs::create_dir_all(dir.path().join("gtk-3.0")).expect("a GTK config folder");
            std::fs::write(
                dir.path().join("gtk-3.0/settings.ini"),
                "[Settings]\ngtk-enable-animations=0\n",
            )
            .expect("GTK settings");
            command.env("XDG_CONFIG_HOME", dir.path());
            Some(dir)
        } else {
            None
        };
        let driver = command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{program} is installed (scripts/bootstrap.sh): {e}"));
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = String::new();
        for _ in 0..50 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    if engine == Engine::WebKit {
                        // A phone-sized window, as chromium's --window-size gives.
                        client.set_window_size(390, 900).await.expect("the window resizes");
                    }
                    // The engine asked for is the one driven.
                    let agent = client
                        .execute("return navigator.userAgent", vec![])
                        .await
                        .expect("a user agent");
                    let agent = agent.as_str().unwrap_or_default();
                    assert_eq!(
                        agent.contains("Chrome/"),
                        engine == Engine::Chromium,
                        "{engine:?} asked for, {agent} running"
                    );
                    let dark = client
                        .execute(
                            "return matchMedia('(prefers-color-scheme: dark)').matches",
                            vec![],
                        )
                        .await
                        .expect("media queries answer");
                    assert_eq!(dark, preferences.dark, "{engine:?} reports the scheme asked for");
                    let reduce = client
                        .execute(
                            "return matchMedia('(prefers-reduced-motion: reduce)').matches",
                            vec![],
                        )
                        .await
                        .expect("media queries answer");
                    assert_eq!(
                        reduce, preferences.reduced_motion,
                        "{engine:?} reports the motion asked for"
                    );
                    return Browser { client, driver, _gtk_config: gtk_config };
                }
                Err(e) => last_error = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("could not start a {engine:?} session: {last_error}");
    }

    /// Waits (up to 15 s) for an element to appear in the widget's own drawing: the proxy's
    /// drawing of the first screen, shown until the widget has drawn, is inert (a tap on it
    /// would be lost) and goes when the widget draws, so an element found in it is waited past.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        let in_widget =
            "const e = arguments[0]; return e.isConnected && !e.closest('.cw-prerendered')";
        for _ in 0..150 {
            let found = self
                .client
                .wait()
                .at_most(Duration::from_secs(15))
                .for_element(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("{css} never appeared: {e}"));
            let arg = serde_json::to_value(&found).expect("an element reference");
            // An element gone meanwhile is an error here: looked for again.
            let answer = self.client.execute(in_widget, vec![arg]).await.ok();
            if answer == Some(serde_json::Value::Bool(true)) {
                self.wait_still(css).await;
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} was only ever in the proxy's drawing of the first screen");
    }

    /// Waits (up to 2 s) until nothing on the page is moving and `css`'s box has kept its place
    /// for a frame: a sheet rises for a fifth of a second, and a tap aimed while it moves lands
    /// where it was, as a user's would. The box is checked as well because an engine may not
    /// list a CSS animation in `getAnimations()` before its first frame.
    pub async fn wait_still(&self, css: &str) {
        let still = "const [css, done] = arguments;
            const box = () => {
              const e = document.querySelector(css);
              if (!e) return '';
              const r = e.getBoundingClientRect();
              return [r.x, r.y, r.width, r.height].join();
            };
            const before = box();
            requestAnimationFrame(() => requestAnimationFrame(() => done(
              before === box()
                && document.getAnimations().every((a) => a.playState !== 'running'))));";
        for _ in 0..40 {
            let answer = self.client.execute_async(still, vec![css.into()]).await.ok();
            if answer == Some(serde_json::Value::Bool(true)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The details of every `name` event recorded in the page's `heard` list of `[name, detail]`
    /// pairs (the embedding pages' listeners keep one).
    pub async fn heard(&self, name: &str) -> serde_json::Value {
        let js = "return heard.filter(([n]) => n === arguments[0]).map(([, detail]) => detail)";
        self.client.execute(js, vec![name.into()]).await.expect("the page keeps `heard`")
    }

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.map_or(0, |v| v.len())
    }

    /// Closes the open sheet with its close button and waits until it is gone.
    pub async fn close_sheet(&self) {
        self.wait_for(".cw-sheet__close").await;
        self.client
            .execute("document.querySelector('.cw-sheet__close').click()", vec![])
            .await
            .unwrap();
        self.wait_for_count(".cw-sheet", 0).await;
    }

    /// Waits (up to 15 s) until `css` matches exactly `n` elements.
    pub async fn wait_for_count(&self, css: &str, n: usize) {
        for _ in 0..150 {
            if self.count(css).await == n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {n} × {css}, found {}", self.count(css).await);
    }

    /// Waits until the list has finished loading (no tab or page under way).
    pub async fn wait_settled(&self) {
        for _ in 0..150 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if self.count(".cw-wallet__panel[aria-busy=false]").await == 1
                && self.count(".cw-more__loading").await == 0
            {
                return;
            }
        }
        panic!("the list never settled");
    }

    /// Scrolls the list's end into view, as a user reaching the bottom does.
    pub async fn scroll_to_end(&self) {
        self.client
            .execute("document.querySelector('.cw-more').scrollIntoView()", vec![])
            .await
            .expect("scrolls");
    }

    /// Scrolls the page from top to bottom, half a screen per two frames (windowed lists draw
    /// rows as they near the screen), calling `visit` at each stop: a JavaScript function
    /// `(arg, atBottom) => value` that returns `undefined` to go on. Gives back the first other
    /// value it returns, or `null` when it reached the bottom without one (the page is then
    /// scrolled back to the top).
    pub async fn scroll_through(&self, visit: &str, arg: serde_json::Value) -> serde_json::Value {
        let script = format!(
            "const [arg, done] = arguments; const visit = {visit};
            let y = 0; scrollTo(0, 0);
            const step = () => {{
              const bottom = y >= document.documentElement.scrollHeight;
              const found = visit(arg, bottom);
              if (found !== undefined) return done(found);
              if (bottom) {{ scrollTo(0, 0); return done(null); }}
              y += innerHeight / 2; scrollTo(0, y);
              requestAnimationFrame(() => requestAnimationFrame(step));
            }};
            requestAnimationFrame(step);"
        );
        self.client.execute_async(&script, vec![arg]).await.expect("scrolls through the page")
    }

    /// The text of every element matching `css` that appears while the page is scrolled from
    /// top to bottom, in order of first appearance.
    pub async fn all_texts_while_scrolling(&self, css: &str) -> Vec<String> {
        let collect = "(() => { const seen = []; return (css, bottom) => {
              document.querySelectorAll(css).forEach(e => { if (!seen.includes(e.textContent)) seen.push(e.textContent); });
              return bottom ? seen : undefined;
            }; })()";
        serde_json::from_value(self.scroll_through(collect, css.into()).await)
            .expect("a list of texts")
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
        drop(self.driver);
    }
}

/// The browser's own options: headless Chromium at a phone's width, or WebKitGTK's MiniBrowser
/// under automation.
fn capabilities(
    engine: Engine,
    preferences: Preferences,
) -> serde_json::Map<String, serde_json::Value> {
    let (name, options) = match engine {
        Engine::Chromium => {
            let mut args = vec![
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
                "--window-size=390,900",
            ];
            if preferences.dark {
                args.push("--force-dark-mode");
            }
            if preferences.reduced_motion {
                args.push("--force-prefers-reduced-motion");
            }
            (
                "goog:chromeOptions",
                serde_json::json!({
                    "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                    "args": args,
                }),
            )
        }
        Engine::WebKit => (
            "webkitgtk:browserOptions",
            serde_json::json!({
                "binary": std::env::var("WEBKIT_BROWSER").unwrap_or_else(|_| "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser".into()),
                "args": ["--automation"],
            }),
        ),
    };
    serde_json::Map::from_iter([(name.to_owned(), options)])
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The start of nearly every end-to-end test: the proxy with its sandbox, and a browser, logged
/// in as a sandbox user where the test says so; [`Demo::close`] ends both.
pub struct Demo {
    pub proxy: DemoProxy,
    pub browser: Browser,
}

impl Demo {
    /// The proxy with adjusted settings and a browser that has opened nothing yet.
    pub async fn start_with(adjust: impl FnOnce(&mut coupon_proxy::config::Settings)) -> Demo {
        Demo::start_preferring(Preferences::default(), adjust).await
    }

    /// [`Demo::start_with`], in a browser whose user has set `preferences`.
    pub async fn start_preferring(
        preferences: Preferences,
        adjust: impl FnOnce(&mut coupon_proxy::config::Settings),
    ) -> Demo {
        let proxy = start_proxy_with(adjust).await;
        Demo { proxy, browser: Browser::launch_with(preferences).await }
    }

    /// [`Demo::start_with`] the default settings, on the demo page as `user`.
    pub async fn as_user(user: &str) -> Demo {
        Demo::as_user_with(user, |_| {}).await
    }

    /// [`Demo::start_with`], on the demo page as `user`.
    pub async fn as_user_with(
        user: &str,
        adjust: impl FnOnce(&mut coupon_proxy::config::Settings),
    ) -> Demo {
        let demo = Demo::start_with(adjust).await;
        demo.login(user).await;
        demo
    }

    /// Logs the browser in as sandbox `user` through the development login, back to the demo page.
    pub async fn login(&self, user: &str) {
        let url = format!("http://{}/api/v1/dev/login?user={user}&redirect=/", self.proxy.addr);
        self.browser.client.goto(&url).await.unwrap();
    }

    pub async fn close(self) {
        self.browser.close().await;
        self.proxy.shutdown().await;
    }
}

impl Demo {
    /// [`Demo::start_with`] the default settings, the browser on `path` of the proxy.
    pub async fn on_page(path: &str) -> Demo {
        let demo = Demo::start_with(|_| {}).await;
        demo.browser.client.goto(&format!("http://{}{path}", demo.proxy.addr)).await.unwrap();
        demo
    }
}
