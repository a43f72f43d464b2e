//! A proxy with its embedded sandbox on loopback, and a browser-like HTTP client.
#![allow(dead_code)]

use coupon_proxy::config::Settings;
use coupon_proxy::Running;
use coupon_sandbox::{Faults, SharedSandbox};
use serde_json::Value;
use std::net::SocketAddr;

pub struct TestProxy {
    pub running: Running,
    sandbox: SharedSandbox,
    pub http: reqwest::Client,
}

impl TestProxy {
    pub async fn start() -> TestProxy {
        TestProxy::with(|_| {}).await
    }

    pub async fn with(adjust: impl FnOnce(&mut Settings)) -> TestProxy {
        let (mut s, sandbox) = coupon_proxy::dev::sandbox_settings().await.expect("sandbox starts");
        s.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        s.static_dir = std::env::temp_dir();
        // scripts/test.sh runs the whole suite a second time on a real Redis.
        if let Ok(url) = std::env::var("CW_TEST_REDIS_URL") {
            s.redis_url = Some(url);
            s.redis_prefix = Some(format!("test-{}:", coupon_proxy::random_token()));
        }
        adjust(&mut s);
        let running = coupon_proxy::start(s).await.expect("proxy starts");
        let http =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        TestProxy { running, sandbox, http }
    }

    /// A second instance with this one's settings and sandbox: on Redis, the two share state.
    pub async fn twin(&self) -> TestProxy {
        let running =
            coupon_proxy::start(self.running.app.settings.clone()).await.expect("twin starts");
        TestProxy { running, sandbox: self.sandbox.clone(), http: self.http.clone() }
    }

    /// What the metrics listener (`--metrics-listen`) serves.
    pub async fn metrics(&self) -> String {
        let addr = self.running.metrics_addr.expect("a metrics listener");
        let r = self.http.get(format!("http://{addr}/metrics")).send().await.unwrap();
        r.text().await.unwrap()
    }

    /// Has the sandbox send its notifications (a 代金券's 核销) to this proxy, each delivered
    /// `1 + duplicates` times.
    pub fn notify_me(&self, duplicates: u32) {
        let target = coupon_proxy::dev::notify_target(self.running.addr);
        self.sandbox()
            .set_notify_target(Some(coupon_sandbox::notify::NotifyTarget { duplicates, ..target }));
    }

    /// POSTs a notification as WeChat Pay would; the status answered.
    pub async fn deliver(&self, d: &coupon_sandbox::notify::Delivery) -> u16 {
        let url = coupon_proxy::dev::notify_target(self.running.addr).url;
        let mut r = self.http.post(url).body(d.body.clone());
        for (name, value) in &d.headers {
            r = r.header(*name, value);
        }
        r.send().await.unwrap().status().as_u16()
    }

    /// Waits (up to 5 s) until the sandbox's notifications have been answered 2xx `n` times.
    pub async fn notifications_acknowledged(&self, n: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        for _ in 0..100 {
            if self.sandbox().stats().notifications_acknowledged.load(Relaxed) >= n {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the sandbox's notifications were not acknowledged {n} times");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/api/v1{path}", self.running.addr)
    }

    pub fn sandbox(&self) -> &SharedSandbox {
        &self.sandbox
    }

    pub fn faults(&self, f: Faults) {
        self.sandbox().set_faults(f);
    }

    pub fn calls(&self, which: &str) -> u64 {
        use std::sync::atomic::Ordering::Relaxed;
        let s = self.sandbox().stats();
        match which {
            "merchant_list" => s.merchant_list.load(Relaxed),
            "stock_list" => s.stock_list.load(Relaxed),
            "send_coupon" => s.send_coupon.load(Relaxed),
            "merchant_detail" => s.merchant_detail.load(Relaxed),
            "stock_detail" => s.stock_detail.load(Relaxed),
            "stock_query" => s.stock_query.load(Relaxed),
            "stock_items" => s.stock_items.load(Relaxed),
            "merchant_use" => s.merchant_use.load(Relaxed),
            "over_rate" => s.over_rate.load(Relaxed),
            _ => panic!("{which}"),
        }
    }

    /// Logs in as a sandbox user; returns the `Cookie` header value.
    pub async fn login(&self, user: &str) -> String {
        let r = self
            .http
            .get(self.url(&format!("/dev/login?user={user}&redirect=/")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let set = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
        set.split(';').next().unwrap().to_owned()
    }

    pub async fn get(&self, cookie: &str, path: &str) -> (u16, Value) {
        let r = self.http.get(self.url(path)).header("cookie", cookie).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn csrf(&self, cookie: &str) -> String {
        let (status, body) = self.get(cookie, "/session").await;
        assert_eq!(status, 200, "{body}");
        body["csrf_token"].as_str().unwrap().to_owned()
    }

    /// A 领取 of `stock_id`, one intent named by `client_key`.
    pub async fn claim(
        &self,
        cookie: &str,
        csrf: &str,
        stock_id: &str,
        client_key: &str,
    ) -> (u16, Value) {
        let body = serde_json::json!({ "stock_id": stock_id, "client_key": client_key });
        self.post(cookie, Some(csrf), "/claims", &body).await
    }

    /// A POST with the CSRF token this instance gives the session.
    pub async fn post_with_csrf(&self, cookie: &str, path: &str, body: &Value) -> (u16, Value) {
        let csrf = self.csrf(cookie).await;
        self.post(cookie, Some(&csrf), path, body).await
    }

    pub async fn post(
        &self,
        cookie: &str,
        csrf: Option<&str>,
        path: &str,
        body: &Value,
    ) -> (u16, Value) {
        let mut r = self.http.post(self.url(path)).header("cookie", cookie).json(body);
        if let Some(t) = csrf {
            r = r.header("x-csrf-token", t);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// The ids of a wallet page's coupons, in order.
pub fn ids(body: &Value) -> Vec<String> {
    let coupons = body["coupons"].as_array().expect("a page of coupons");
    coupons.iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

/// Log output captured in memory (a `tracing_subscriber` writer), to read what was logged.
#[derive(Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
