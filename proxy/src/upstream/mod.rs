//! The WeChat Pay v3 client. Every request is signed, every response verified before a byte
//! of it is trusted; calls time out, and transient failures are retried with bounded
//! exponential backoff and jitter (claims too: they are idempotent on `out_request_no`).

mod calls;

pub use calls::{MerchantQuery, StockQuery};

use crate::config::Settings;
use bytes::Bytes;
use coupon_wechatpay::{self as wechatpay, Authorization, PrivateKey, PublicKey};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamError {
    Timeout,
    /// The merchant-wide upstream rate (`--upstream-rate-limit`) is used up: not sent.
    Throttled,
    Unreachable(String),
    /// WeChat answered with an error status and (usually) a `{code, message}` body.
    Rejected {
        status: u16,
        code: String,
        message: String,
    },
    /// The response could not be verified as WeChat Pay's: never served.
    BadSignature(String),
    /// Verified, but not a body the rules engine can read.
    Malformed(String),
}

impl UpstreamError {
    /// Worth sending again with the same parameters (a claim keeps its `out_request_no`).
    /// Document 003: `SYSTEM_ERROR` may come with HTTP 400 and is retried like a 500.
    fn is_transient(&self) -> bool {
        match self {
            UpstreamError::Timeout | UpstreamError::Unreachable(_) => true,
            UpstreamError::Rejected { status, code, .. } => *status == 429 || *status >= 500 || code == "SYSTEM_ERROR",
            UpstreamError::BadSignature(_) | UpstreamError::Malformed(_) | UpstreamError::Throttled => false,
        }
    }
}

impl std::fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpstreamError::Timeout => f.write_str("upstream timed out"),
            UpstreamError::Throttled => f.write_str("merchant-wide upstream rate limit reached"),
            UpstreamError::Unreachable(e) => write!(f, "upstream unreachable: {e}"),
            UpstreamError::Rejected { status, code, message } => write!(f, "upstream {status} {code}: {message}"),
            UpstreamError::BadSignature(e) => write!(f, "unverifiable upstream response: {e}"),
            UpstreamError::Malformed(e) => write!(f, "malformed upstream body: {e}"),
        }
    }
}

impl From<coupon_rules::Error> for UpstreamError {
    fn from(e: coupon_rules::Error) -> Self {
        UpstreamError::Malformed(e.to_string())
    }
}

pub struct Client {
    http: reqwest::Client,
    base: String,
    mchid: String,
    merchant_serial: String,
    key: PrivateKey,
    platform_key: PublicKey,
    platform_serial: String,
    attempts: u32,
    /// Upstream HTTP requests sent, retries included (for health and the benchmarks).
    sent: AtomicU64,
    /// The merchant-wide rate, counted in the shared store.
    rate_limit: Option<(std::sync::Arc<dyn crate::store::Store>, u32)>,
}

impl Client {
    pub fn new(settings: &Settings, base: String) -> Result<Client, String> {
        let http = reqwest::Client::builder()
            .timeout(settings.upstream_timeout)
            .connect_timeout(settings.upstream_timeout.min(Duration::from_secs(2)))
            .user_agent(concat!("coupon-proxy/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("http client: {e}"))?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_owned(),
            mchid: settings.mchid.clone(),
            merchant_serial: settings.merchant_serial.clone(),
            key: PrivateKey::from_pem(&settings.merchant_key_pem).map_err(|e| format!("merchant key: {e}"))?,
            platform_key: PublicKey::from_pem(&settings.platform_key_pem).map_err(|e| format!("platform key: {e}"))?,
            platform_serial: settings.platform_serial.clone(),
            attempts: 3,
            sent: AtomicU64::new(0),
            rate_limit: None,
        })
    }

    /// Counts every request against `limit` per second in `store` (shared by every instance):
    /// over it, a request waits for the next second, for a second at most, then is not sent.
    pub fn with_rate_limit(mut self, store: std::sync::Arc<dyn crate::store::Store>, limit: Option<u32>) -> Client {
        self.rate_limit = limit.map(|l| (store, l));
        self
    }

    async fn take_rate(&self) -> Result<(), UpstreamError> {
        let Some((store, limit)) = &self.rate_limit else { return Ok(()) };
        let give_up = std::time::Instant::now() + Duration::from_secs(1);
        loop {
            let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
            let second = (now_ms / 1_000).to_string();
            // A store that cannot count does not stop payments' coupons: the call goes ahead.
            let Ok(count) = store.increment(&crate::store::key(&["upstream-rate", &second]), Duration::from_secs(2)).await else { return Ok(()) };
            if count <= u64::from(*limit) {
                return Ok(());
            }
            if std::time::Instant::now() >= give_up {
                return Err(UpstreamError::Throttled);
            }
            tokio::time::sleep(Duration::from_millis(1_000 - now_ms % 1_000)).await;
        }
    }

    pub fn mchid(&self) -> &str {
        &self.mchid
    }

    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    pub async fn get(&self, path_and_query: &str) -> Result<Bytes, UpstreamError> {
        self.call("GET", path_and_query, Bytes::new()).await
    }

    pub async fn post(&self, path: &str, body: Vec<u8>) -> Result<Bytes, UpstreamError> {
        self.call("POST", path, Bytes::from(body)).await
    }

    async fn call(&self, method: &'static str, path_and_query: &str, body: Bytes) -> Result<Bytes, UpstreamError> {
        let api = api_of(method, path_and_query);
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.take_rate().await?;
            let started = std::time::Instant::now();
            let result = self.send_once(method, path_and_query, body.clone()).await;
            crate::metrics::upstream_call(api, &outcome(&result), started.elapsed().as_secs_f64());
            match result {
                Err(e) if e.is_transient() && attempt < self.attempts => {
                    crate::metrics::upstream_retry(api);
                    let wait = backoff(attempt);
                    tracing::info!(method, path = redact_path(path_and_query), attempt, error = %e, wait_ms = wait.as_millis() as u64, "retrying upstream call");
                    tokio::time::sleep(wait).await;
                }
                result => return result,
            }
        }
    }

    async fn send_once(&self, method: &'static str, path_and_query: &str, body: Bytes) -> Result<Bytes, UpstreamError> {
        let auth = Authorization::sign(&self.key, &self.mchid, &self.merchant_serial, method, path_and_query, &body, wechatpay::unix_now());
        let request = self
            .http
            .request(method.parse().expect("GET and POST are valid methods"), format!("{}{}", self.base, path_and_query))
            .header("Authorization", auth.header_value())
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(body);
        self.sent.fetch_add(1, Ordering::Relaxed);
        let response = request.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (timestamp, nonce, signature, serial) =
            (header("Wechatpay-Timestamp"), header("Wechatpay-Nonce"), header("Wechatpay-Signature"), header("Wechatpay-Serial"));
        let body = response.bytes().await.map_err(classify)?;
        let verified = self.verify(timestamp.as_deref(), nonce.as_deref(), signature.as_deref(), serial.as_deref(), &body);
        if (200..300).contains(&status) {
            verified?;
            return Ok(body);
        }
        // An error status: only a verified body is believed; an unsigned 5xx (a gateway's) still
        // counts as a transient failure so that it is retried.
        let (code, message) = match verified {
            Ok(()) => error_body(&body),
            Err(_) if status >= 500 || status == 429 => ("UNVERIFIED".into(), String::new()),
            Err(e) => return Err(e),
        };
        Err(UpstreamError::Rejected { status, code, message })
    }

    fn verify(&self, timestamp: Option<&str>, nonce: Option<&str>, signature: Option<&str>, serial: Option<&str>, body: &[u8]) -> Result<(), UpstreamError> {
        let bad = |why: &str| Err(UpstreamError::BadSignature(why.to_owned()));
        let (Some(timestamp), Some(nonce), Some(signature), Some(serial)) = (timestamp, nonce, signature, serial) else {
            return bad("missing Wechatpay-* signature headers");
        };
        if serial != self.platform_serial {
            return bad("Wechatpay-Serial does not match the configured platform key");
        }
        let Ok(ts) = timestamp.parse::<i64>() else { return bad("Wechatpay-Timestamp is not a number") };
        if (wechatpay::unix_now() - ts).abs() > wechatpay::MAX_CLOCK_SKEW_SECS {
            return bad("Wechatpay-Timestamp is more than 5 minutes off");
        }
        if !self.platform_key.verify(&wechatpay::response_message(timestamp, nonce, body), signature) {
            return bad("Wechatpay-Signature does not verify");
        }
        Ok(())
    }
}

/// Which of the four WeChat Pay calls a request is, for the metrics.
fn api_of(method: &str, path: &str) -> &'static str {
    match (method, path.contains("/busifavor/"), path.contains("/appids/")) {
        (_, true, true) => "merchant_detail",
        (_, true, false) => "merchant_list",
        ("POST", false, _) => "send_coupon",
        _ => "stock_list",
    }
}

/// How a call ended, as the metrics label it.
fn outcome(result: &Result<Bytes, UpstreamError>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(UpstreamError::Timeout) => "timeout".into(),
        Err(UpstreamError::Throttled) => "throttled".into(),
        Err(UpstreamError::Unreachable(_)) => "unreachable".into(),
        Err(UpstreamError::BadSignature(_)) => "bad_signature".into(),
        Err(UpstreamError::Malformed(_)) => "malformed".into(),
        Err(UpstreamError::Rejected { code, status, .. }) if code.is_empty() => format!("http_{status}"),
        Err(UpstreamError::Rejected { code, .. }) => code.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(40).collect(),
    }
}

fn classify(e: reqwest::Error) -> UpstreamError {
    if e.is_timeout() {
        UpstreamError::Timeout
    } else {
        UpstreamError::Unreachable(e.without_url().to_string())
    }
}

/// `{"code": "...", "message": "..."}`, WeChat's error body; tolerant of anything else.
fn error_body(body: &[u8]) -> (String, String) {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default().chars().take(200).collect::<String>();
    (s("code"), s("message"))
}

/// 100 ms, 200 ms, 400 ms … capped at 1 s, plus up to 100 ms of jitter.
fn backoff(attempt: u32) -> Duration {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 1];
    let _ = ring::rand::SystemRandom::new().fill(&mut b);
    let base = 100u64.saturating_mul(1 << attempt.saturating_sub(1).min(4)).min(1_000);
    Duration::from_millis(base + u64::from(b[0]) * 100 / 255)
}

/// Paths carry the openid; logs keep only its first characters.
pub fn redact_path(path: &str) -> String {
    match path.split_once("/users/") {
        Some((head, tail)) => {
            let (openid, rest) = tail.split_once('/').unwrap_or((tail, ""));
            format!("{head}/users/{}…/{rest}", openid.chars().take(4).collect::<String>())
        }
        None => path.to_owned(),
    }
}

/// RFC 3986's unreserved characters stay as they are; everything else is percent-encoded.
const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes a path segment or query value.
pub fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, COMPONENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn only_unreserved_characters_stay_as_they_are() {
        assert_eq!(encode("o_sandbox-demo.1~"), "o_sandbox-demo.1~");
        assert_eq!(encode("/pages/use?code=1&x=券"), "%2Fpages%2Fuse%3Fcode%3D1%26x%3D%E5%88%B8");
        let encoded = encode("a b%");
        assert_eq!(percent_encoding::percent_decode_str(&encoded).decode_utf8().unwrap(), "a b%");
    }
}
