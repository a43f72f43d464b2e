//! The WeChat Pay v3 client. Every request is signed and names the platform key it wants
//! answers signed with; every response is verified before a byte of it is trusted (`platform`
//! holds the keys and keeps the certificates current); calls time out, and transient failures
//! are retried with bounded exponential backoff and jitter (claims too: they are idempotent on
//! `out_request_no`), once against WeChat's backup domain when the primary cannot be reached.

mod calls;
mod platform;

pub use calls::{Callbacks, MerchantQuery, StockQuery};

use crate::config::Settings;
use bytes::Bytes;
use coupon_wechatpay::{self as wechatpay, Authorization, PrivateKey, SignedHeaders, Unverified};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The codes WeChat Pay documents for these APIs: an unsigned answer's code is shown (in logs,
/// metrics and `upstream_code`) only when it is one of them.
const KNOWN_CODES: [&str; 16] = [
    "SIGN_ERROR",
    "PARAM_ERROR",
    "INVALID_REQUEST",
    "NOAUTH",
    "APPID_MCHID_NOT_MATCH",
    "MCH_NOT_EXISTS",
    "FREQUENCY_LIMITED",
    "SYSTEM_ERROR",
    "RESOURCE_NOT_EXISTS",
    "USER_NOT_EXISTS",
    "NOT_FOUND",
    "NOT_ENOUGH",
    "RULELIMIT",
    "RULE_LIMIT",
    "USER_ACCOUNT_ABNORMAL",
    "REQUEST_BLOCKED",
];

/// `code` when it is one WeChat Pay documents.
pub fn known_wechat_code(code: &str) -> Option<&'static str> {
    KNOWN_CODES.iter().find(|c| **c == code).copied()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamError {
    Timeout,
    /// The merchant-wide upstream rate (`--upstream-rate-limit`) is used up: not sent.
    Throttled,
    Unreachable(String),
    /// WeChat answered with an error status and (usually) a `{code, message}` body. An unsigned
    /// one (`signed: false`: WeChat signs nothing when the request's signature was wrong, so a
    /// `401 SIGN_ERROR` comes this way) keeps its code for logs and metrics only.
    Rejected {
        status: u16,
        code: String,
        message: String,
        signed: bool,
    },
    /// The response could not be verified as WeChat Pay's: never served.
    BadSignature(Unverified),
    /// Verified, but not a body the rules engine can read.
    Malformed(String),
}

impl UpstreamError {
    /// Worth sending again with the same parameters (a claim keeps its `out_request_no`).
    /// Document 003: `SYSTEM_ERROR` may come with HTTP 400 and is retried like a 500. A probe
    /// signature replaces one answer, not the next.
    fn is_transient(&self) -> bool {
        match self {
            UpstreamError::Timeout | UpstreamError::Unreachable(_) => true,
            UpstreamError::Rejected { status, code, signed, .. } => {
                *status == 429 || *status >= 500 || (*signed && code == "SYSTEM_ERROR")
            }
            UpstreamError::BadSignature(why) => *why == Unverified::Probe,
            UpstreamError::Malformed(_) | UpstreamError::Throttled => false,
        }
    }

    /// A refusal WeChat means (not found, not this merchant's, bad setup): asking again or
    /// serving a kept copy would hide its cause. Busy and system errors are not.
    pub fn is_refusal(&self) -> bool {
        matches!(self, UpstreamError::Rejected { status: 400..=499, .. })
            && !matches!(self.wechat_code(), Some("FREQUENCY_LIMITED" | "SYSTEM_ERROR"))
    }

    /// WeChat's own code, when it answered with one (signed or not).
    pub fn wechat_code(&self) -> Option<&str> {
        match self {
            UpstreamError::Rejected { code, .. } if !code.is_empty() => Some(code),
            _ => None,
        }
    }
}

impl std::fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpstreamError::Timeout => f.write_str("upstream timed out"),
            UpstreamError::Throttled => f.write_str("merchant-wide upstream rate limit reached"),
            UpstreamError::Unreachable(e) => write!(f, "upstream unreachable: {e}"),
            UpstreamError::Rejected { status, code, message, signed: true } => {
                write!(f, "upstream {status} {code}: {message}")
            }
            UpstreamError::Rejected { status, code, message, signed: false } => {
                write!(f, "upstream {status} {code} (unsigned): {message}")
            }
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
    /// WeChat's backup domain, tried once when `base` cannot be reached.
    backup: Option<String>,
    mchid: String,
    merchant_serial: String,
    key: PrivateKey,
    platform: platform::PlatformKeys,
    attempts: u32,
    /// Upstream HTTP requests sent, retries included (for health and the benchmarks).
    sent: AtomicU64,
    /// The merchant-wide rate, counted in the shared store.
    rate_limit: Option<(std::sync::Arc<dyn crate::store::Store>, u32)>,
    /// The last wall-clock second (Unix) in which a first screen's call had to wait for the rate.
    first_held_back: AtomicU64,
}

tokio::task_local! {
    /// Set (by [`deferred`]) around work no first screen waits for.
    static DEFERRED: ();
}

/// How long a deferred call waits for its share of the merchant-wide rate before giving up.
const DEFERRED_PATIENCE: Duration = Duration::from_secs(5);

/// Runs `work` with its upstream calls yielding to first screens under the merchant-wide rate
/// (`--upstream-rate-limit`). A task-local mark, not a parameter of every call: the same calls
/// serve both kinds of work.
pub async fn deferred<F: std::future::Future>(work: F) -> F::Output {
    DEFERRED.scope((), work).await
}

/// The largest upstream answer read: a page of 100 coupons is well under 1 MB.
const MAX_ANSWER_BYTES: usize = 4 << 20;

/// One answer as it came: status, WeChat's `Request-ID`, signature headers, body.
struct Answer {
    status: u16,
    request_id: Option<String>,
    timestamp: Option<String>,
    nonce: Option<String>,
    signature: Option<String>,
    serial: Option<String>,
    signature_type: Option<String>,
    body: Bytes,
}

impl Answer {
    fn signed_headers(&self) -> SignedHeaders<'_> {
        SignedHeaders {
            timestamp: self.timestamp.as_deref(),
            nonce: self.nonce.as_deref(),
            signature: self.signature.as_deref(),
            serial: self.serial.as_deref(),
            signature_type: self.signature_type.as_deref(),
        }
    }
}

impl Client {
    pub fn new(settings: &Settings, base: String) -> Result<Client, String> {
        let http = reqwest::Client::builder()
            .timeout(settings.upstream_timeout)
            .connect_timeout(settings.upstream_timeout.min(Duration::from_secs(2)))
            .user_agent(concat!("coupon-proxy/", env!("CARGO_PKG_VERSION")))
            // WeChat Pay never redirects an API call; a redirect is someone else's answer.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("http client: {e}"))?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_owned(),
            backup: settings.upstream_backup.clone(),
            mchid: settings.identity.mchid.clone(),
            merchant_serial: settings.identity.merchant_serial.clone(),
            key: PrivateKey::from_pem(&settings.identity.merchant_key_pem)
                .map_err(|e| format!("merchant key: {e}"))?,
            platform: platform::PlatformKeys::new(
                settings.platform_keys.clone(),
                settings.apiv3_key.clone(),
            ),
            attempts: 3,
            sent: AtomicU64::new(0),
            rate_limit: None,
            first_held_back: AtomicU64::new(0),
        })
    }

    /// Counts every request against `limit` per second in `store` (shared by every instance):
    /// over it, a request waits for the next second, for a second at most (a [`deferred`] one:
    /// five, and for half the limit), then is not sent.
    pub fn with_rate_limit(
        mut self,
        store: std::sync::Arc<dyn crate::store::Store>,
        limit: Option<u32>,
    ) -> Client {
        self.rate_limit = limit.map(|l| (store, l));
        self
    }

    async fn take_rate(&self) -> Result<(), UpstreamError> {
        let Some((store, limit)) = &self.rate_limit else { return Ok(()) };
        let deferred = DEFERRED.try_with(|_| ()).is_ok();
        // Deferred work takes at most half of a second's budget, and none in a second just after
        // one in which this instance had to hold back a first screen: it yields to them.
        let (ceiling, patience) = if deferred {
            (u64::from(*limit / 2).max(1), DEFERRED_PATIENCE)
        } else {
            (u64::from(*limit), Duration::from_secs(1))
        };
        let give_up = std::time::Instant::now() + patience;
        loop {
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            let second = now_ms / 1_000;
            let yielding = deferred && self.first_held_back.load(Ordering::Relaxed) + 1 >= second;
            let key = crate::store::key(&["upstream-rate", &second.to_string()]);
            // A store that cannot count does not stop payments' coupons: the call goes ahead.
            let counted = if yielding {
                Ok(None)
            } else {
                store.increment_below(&key, ceiling, Duration::from_secs(2)).await
            };
            match counted {
                Ok(Some(_)) | Err(_) => return Ok(()),
                Ok(None) => {
                    if !deferred {
                        self.first_held_back.fetch_max(second, Ordering::Relaxed);
                    }
                    if std::time::Instant::now() >= give_up {
                        return Err(UpstreamError::Throttled);
                    }
                    tokio::time::sleep(Duration::from_millis(1_000 - now_ms % 1_000)).await;
                }
            }
        }
    }

    pub fn mchid(&self) -> &str {
        &self.mchid
    }

    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// The platform keys, and their upkeep (start-up download, refresh, expiry report).
    pub fn platform(&self) -> &platform::PlatformKeys {
        &self.platform
    }

    /// Downloads the platform certificates now (start-up, and every few hours).
    /// Verifies a notification WeChat Pay POSTed: signed like an answer, with the same keys.
    pub async fn verify_notification(
        &self,
        headers: &axum::http::HeaderMap,
        body: &[u8],
    ) -> Result<(), Unverified> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let signed = SignedHeaders {
            timestamp: header("Wechatpay-Timestamp"),
            nonce: header("Wechatpay-Nonce"),
            signature: header("Wechatpay-Signature"),
            serial: header("Wechatpay-Serial"),
            signature_type: header("Wechatpay-Signature-Type"),
        };
        self.platform.verify_signed(self, &signed, body).await
    }

    pub async fn download_certificates(&self) -> Result<platform::Downloaded, UpstreamError> {
        self.platform.download(self).await
    }

    pub async fn get(&self, path_and_query: &str) -> Result<Bytes, UpstreamError> {
        self.call("GET", path_and_query, Bytes::new()).await
    }

    pub async fn post(&self, path: &str, body: Vec<u8>) -> Result<Bytes, UpstreamError> {
        self.call("POST", path, Bytes::from(body)).await
    }

    async fn call(
        &self,
        method: &'static str,
        path_and_query: &str,
        body: Bytes,
    ) -> Result<Bytes, UpstreamError> {
        let api = api_of(method, path_and_query);
        let mut base = self.base.as_str();
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.take_rate().await?;
            let started = std::time::Instant::now();
            let (result, request_id) =
                match self.exchange(base, method, path_and_query, body.clone()).await {
                    Ok(answer) => {
                        let id = answer.request_id.clone();
                        (self.believe(answer).await, id)
                    }
                    Err(e) => (Err(e), None),
                };
            crate::metrics::upstream_call(api, &outcome(&result), started.elapsed().as_secs_f64());
            let Err(e) = &result else { return result };
            let path = redact_path(path_and_query);
            let wechatpay_request_id = request_id.as_deref().unwrap_or("-");
            // The primary cannot be reached: the backup domain, once, at once.
            if let (UpstreamError::Timeout | UpstreamError::Unreachable(_), Some(backup)) =
                (e, &self.backup)
            {
                if base != backup.as_str() && attempt < self.attempts {
                    tracing::warn!(method, path, error = %e, backup = %backup, "upstream unreachable: trying the backup domain");
                    base = backup;
                    continue;
                }
            }
            if e.is_transient() && attempt < self.attempts {
                crate::metrics::upstream_retry(api);
                let wait = backoff(e, attempt);
                tracing::info!(method, path, attempt, error = %e, wechatpay_request_id, wait_ms = wait.as_millis() as u64, "retrying upstream call");
                tokio::time::sleep(wait).await;
                continue;
            }
            // WeChat's Request-ID is what its support asks for.
            tracing::warn!(method, path, attempt, error = %e, wechatpay_request_id, "upstream call failed");
            return result;
        }
    }

    /// Sends one signed request to `base` and reads the answer, believing nothing yet.
    async fn exchange(
        &self,
        base: &str,
        method: &'static str,
        path_and_query: &str,
        body: Bytes,
    ) -> Result<Answer, UpstreamError> {
        let auth = Authorization::sign(
            &self.key,
            &self.mchid,
            &self.merchant_serial,
            method,
            path_and_query,
            &body,
            wechatpay::unix_now(),
        );
        let mut request = self
            .http
            .request(
                method.parse().expect("GET and POST are valid methods"),
                format!("{base}{path_and_query}"),
            )
            .header("Authorization", auth.header_value())
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(body);
        // The key WeChat is to sign the answer with: during the switch to the public key, it
        // signs with the public key only when the request names it.
        if let Some(serial) = self.platform.preferred_serial() {
            request = request.header("Wechatpay-Serial", serial);
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        let mut response = request.send().await.map_err(classify)?;
        let header = |name: &str| {
            response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
        };
        let mut answer = Answer {
            status: response.status().as_u16(),
            request_id: header("Request-ID")
                .map(|id| id.chars().filter(char::is_ascii_alphanumeric).take(64).collect()),
            timestamp: header("Wechatpay-Timestamp"),
            nonce: header("Wechatpay-Nonce"),
            signature: header("Wechatpay-Signature"),
            serial: header("Wechatpay-Serial"),
            signature_type: header("Wechatpay-Signature-Type"),
            body: Bytes::new(),
        };
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(UpstreamError::Malformed(format!(
                    "an answer over {MAX_ANSWER_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        answer.body = Bytes::from(body);
        Ok(answer)
    }

    /// The answer's body if it is WeChat Pay's and a success; else what it is.
    async fn believe(&self, answer: Answer) -> Result<Bytes, UpstreamError> {
        let verdict = self.platform.verify(self, &answer).await;
        self.judge(answer, verdict)
    }

    /// What an answer is, given whether its signature verified.
    fn judge(
        &self,
        answer: Answer,
        verdict: Result<(), Unverified>,
    ) -> Result<Bytes, UpstreamError> {
        let success = (200..300).contains(&answer.status);
        match verdict {
            Ok(()) if success => Ok(answer.body),
            Ok(()) => {
                let (code, message) = error_body(&answer.body);
                Err(UpstreamError::Rejected { status: answer.status, code, message, signed: true })
            }
            // An unsigned error is WeChat refusing the request before reading it (or a gateway
            // in between): its code is kept, never believed for a business decision.
            Err(Unverified::Unsigned) if !success => {
                let (code, message) = error_body(&answer.body);
                Err(UpstreamError::Rejected { status: answer.status, code, message, signed: false })
            }
            Err(why) => Err(UpstreamError::BadSignature(why)),
        }
    }
}

/// Which WeChat Pay call a request is, for the metrics.
fn api_of(method: &str, path: &str) -> &'static str {
    match (method, path.contains("/busifavor/"), path.contains("/appids/")) {
        (_, true, true) => "merchant_detail",
        (_, true, false) => "merchant_list",
        ("POST", false, _) => "send_coupon",
        _ if path.starts_with("/v3/certificates") => "certificates",
        _ if path.contains("/favor/stocks/") && path.contains("/items") => "stock_items",
        _ if path.contains("/favor/stocks/") => "stock_query",
        _ if path.contains("/favor/users/")
            && !path.split('?').next().unwrap_or_default().ends_with("/coupons") =>
        {
            "stock_detail"
        }
        _ => "stock_list",
    }
}

/// How a call ended, as the metrics label it: `ok`, WeChat's code, `unsigned_<code>`, or one
/// word per way an answer fails (README, "Operating the proxy").
fn outcome(result: &Result<Bytes, UpstreamError>) -> String {
    let code = |c: &str| {
        c.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(40).collect::<String>()
    };
    match result {
        Ok(_) => "ok".into(),
        Err(UpstreamError::Timeout) => "timeout".into(),
        Err(UpstreamError::Throttled) => "throttled".into(),
        Err(UpstreamError::Unreachable(_)) => "unreachable".into(),
        Err(UpstreamError::BadSignature(why)) => match why {
            Unverified::Unsigned => "unsigned_success",
            Unverified::UnsupportedType(_) => "unsupported_signature_type",
            Unverified::Probe => "probe_signature",
            Unverified::ClockSkew { .. } => "clock_skew",
            Unverified::UnknownSerial(_) => "unknown_serial",
            Unverified::ExpiredCertificate(_) => "expired_certificate",
            Unverified::Forged => "bad_signature",
        }
        .into(),
        Err(UpstreamError::Malformed(_)) => "malformed".into(),
        Err(UpstreamError::Rejected { code: c, status, .. }) if c.is_empty() => {
            format!("http_{status}")
        }
        Err(UpstreamError::Rejected { code: c, signed: true, .. }) => code(c),
        // Unsigned codes come from anyone on the path: only WeChat's known ones become a label.
        Err(UpstreamError::Rejected { code: c, signed: false, status, .. }) => {
            match known_wechat_code(c) {
                Some(c) => format!("unsigned_{c}"),
                None => format!("unsigned_http_{status}"),
            }
        }
    }
}

fn classify(e: reqwest::Error) -> UpstreamError {
    if e.is_timeout() {
        UpstreamError::Timeout
    } else {
        UpstreamError::Unreachable(e.without_url().to_string())
    }
}

/// `{"code": "...", "message": "..."}`, WeChat's error body; tolerant of anything else. The code
/// keeps only the characters WeChat's codes are made of.
fn error_body(body: &[u8]) -> (String, String) {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let s = |k: &str| {
        v.get(k).and_then(|x| x.as_str()).unwrap_or_default().chars().take(200).collect::<String>()
    };
    let code =
        s("code").chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect();
    (code, s("message"))
}

/// 100 ms, 200 ms, 400 ms … capped at 1 s, plus up to 100 ms of jitter; five times that for
/// `429 FREQUENCY_LIMITED`, a per-merchant limit that a quick retry only hits again.
fn backoff(e: &UpstreamError, attempt: u32) -> Duration {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 1];
    let _ = ring::rand::SystemRandom::new().fill(&mut b);
    let base = 100u64.saturating_mul(1 << attempt.saturating_sub(1).min(4)).min(1_000);
    let scale = if matches!(e, UpstreamError::Rejected { status: 429, .. }) { 5 } else { 1 };
    Duration::from_millis(scale * (base + u64::from(b[0]) * 100 / 255))
}

/// Paths carry the openid and coupon codes (what a till scans); logs keep only the first
/// characters of each.
pub fn redact_path(path: &str) -> String {
    let mut out = Vec::new();
    let mut secret_next = false;
    for segment in path.split('/') {
        if secret_next && !segment.is_empty() && !segment.starts_with('?') {
            let (value, query) =
                segment.split_once('?').map_or((segment, None), |(v, q)| (v, Some(q)));
            let kept: String = value.chars().take(4).collect();
            out.push(query.map_or(format!("{kept}…"), |q| format!("{kept}…?{q}")));
        } else {
            out.push(segment.to_owned());
        }
        secret_next = matches!(segment, "users" | "coupons");
    }
    out.join("/")
}

/// RFC 3986's unreserved characters stay as they are; everything else is percent-encoded.
const COMPONENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes a path segment or query value.
pub fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, COMPONENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::{backoff, encode, UpstreamError};

    #[test]
    fn logged_paths_keep_only_the_start_of_openids_and_coupon_codes() {
        let path = super::redact_path(
            "/v3/marketing/busifavor/users/o_sandbox_demo/coupons/SBXM000001/appids/wx1",
        );
        assert_eq!(path, "/v3/marketing/busifavor/users/o_sa…/coupons/SBXM…/appids/wx1");
        let list = super::redact_path(
            "/v3/marketing/favor/users/o_sandbox_demo/coupons?appid=wx1&offset=0",
        );
        assert_eq!(list, "/v3/marketing/favor/users/o_sa…/coupons?appid=wx1&offset=0");
    }

    #[test]
    fn frequency_limited_backs_off_longer_than_a_server_error() {
        let rejected = |status| UpstreamError::Rejected {
            status,
            code: String::new(),
            message: String::new(),
            signed: true,
        };
        for attempt in 1..=3 {
            let (limited, failed) =
                (backoff(&rejected(429), attempt), backoff(&rejected(500), attempt));
            assert!(
                limited > failed * 2 && limited.as_millis() >= 500,
                "{attempt}: {limited:?} against {failed:?}"
            );
        }
    }

    #[test]
    fn only_unreserved_characters_stay_as_they_are() {
        assert_eq!(encode("o_sandbox-demo.1~"), "o_sandbox-demo.1~");
        assert_eq!(encode("/pages/use?code=1&x=券"), "%2Fpages%2Fuse%3Fcode%3D1%26x%3D%E5%88%B8");
        let encoded = encode("a b%");
        assert_eq!(percent_encoding::percent_decode_str(&encoded).decode_utf8().unwrap(), "a b%");
    }
}
