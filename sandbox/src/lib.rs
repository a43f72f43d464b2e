//! The sandbox upstream: a WeChat Pay look-alike on loopback, for the demo and the tests. It verifies the
//! proxy's request signatures with the merchant's public key, signs its answers with its own
//! platform key, and implements the seeds' semantics over a data file, so the whole product
//! runs on a fresh machine with no credentials. Fault knobs let tests make it misbehave.

mod generate;
pub mod notify;
mod platform;
mod store;

pub use generate::generate;
pub use platform::{certificate, KeyMode, PlatformState, Rotation};
pub use store::{Store, CLAIMABLE_STOCKS};

/// The creator of document 000's example coupon: a partner whose coupons the sandbox
/// merchant accepts.
pub const PARTNER_MCHIDS: [&str; 1] = ["9800064"];

/// The sandbox's 单品券 stocks and the goods ids they cover (the demo page's goods), as
/// 查询可用单品 answers them.
pub const SINGLE_ITEM_GOODS: [(&str, &[&str]); 2] =
    [("SBX_FV_NORMAL", &["SBX-COFFEE"]), ("SBX_FV_CUT_TO", &["SBX-COFFEE", "SBX-BAGEL"])];

/// The stocks sandbox mode offers to claim, with their names from the data set.
pub fn claimable_stocks() -> Vec<ClaimableStock> {
    let data: serde_json::Value = serde_json::from_str(DATA).unwrap_or_default();
    CLAIMABLE_STOCKS
        .iter()
        .map(|id| {
            let name = data["stocks"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["stock_id"] == *id)
                .and_then(|s| s["name"].as_str())
                .unwrap_or(id);
            ClaimableStock {
                stock_id: (*id).to_owned(),
                name: name.to_owned(),
                max_per_user: None,
                held: 0,
            }
        })
        .collect()
}

use coupon_rules::api::ClaimableStock;
use coupon_wechatpay::{self as wechatpay, Authorization, PublicKey};
use identity as id;

/// The sandbox's identities: fixed and public (they are in this repository), for the proxy
/// to use towards the sandbox. A live proxy refuses every one of them.
pub mod identity {
    pub const MCHID: &str = "1900000109";
    pub const APPID: &str = "wx8888888888888888";
    pub const MERCHANT_SERIAL: &str = "TEST-ONLY-MERCHANT-SERIAL";
    pub const PLATFORM_SERIAL: &str = "PUB_KEY_ID_TEST_ONLY_SANDBOX";
    /// Signs sessions in sandbox mode, so that a demo's sessions survive a restart.
    pub const SESSION_SECRET: &str = "test-only-sandbox-session-secret-not-for-production";
    pub const MERCHANT_KEY: &str = include_str!("../keys/test-only-merchant-private.pem");
    pub const MERCHANT_PUBLIC: &str = include_str!("../keys/test-only-merchant-public.pem");
    pub const PLATFORM_KEY: &str = include_str!("../keys/test-only-platform-private.pem");
    pub const PLATFORM_PUBLIC: &str = include_str!("../keys/test-only-platform-public.pem");
    /// The two platform certificates' serials and keys: the first, then its successor.
    pub const PLATFORM_CERT_SERIALS: [&str; 2] =
        ["3F5A2C0E1B2D4F6071829304A5B6C7D8E9F0A1B2", "4B6C8D0E2F3A5B7C9D1E3F5A7B9C1D3E5F7A9B1C"];
    pub const PLATFORM_CERT_KEYS: [&str; 2] = [
        include_str!("../keys/test-only-platform-cert-1-private.pem"),
        include_str!("../keys/test-only-platform-cert-2-private.pem"),
    ];
    /// The merchant's APIv3 key (32 bytes), which encrypts certificates and notifications.
    pub const APIV3_KEY: &str = "TestOnlySandboxApiV3Key000000001";
}
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The data set the sandbox serves unless told otherwise (see `coupon-proxy sandbox-data`).
pub const DATA: &str = include_str!("../data.json");

/// Misbehaviour to inject, for the next N responses of each kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Added to every response after the request has been handled, in milliseconds.
    pub latency_ms: u64,
    /// WeChat's per-merchant rate: calls beyond this many in one wall-clock second are answered
    /// 429 `FREQUENCY_LIMITED`, as WeChat Pay answers a merchant over its limit. Absent: none.
    pub rate_per_second: Option<u32>,
    pub frequency_limited: u32,
    pub system_error: u32,
    pub malformed_body: u32,
    pub bad_signature: u32,
    /// Answers signed with one of WeChat's deliberate probe signatures (`WECHATPAY/SIGNTEST/…`).
    pub probe_signature: u32,
    /// WeChat Pay error codes to answer with, each for one API (or every API) and a number of
    /// calls: every code of document 003's table can be produced.
    pub codes: Vec<CodeFault>,
}

/// `times` calls to `api` are refused with WeChat's `code` and HTTP `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeFault {
    /// `merchant_list`, `merchant_detail`, `stock_list` (代金券), `stock_detail`, `balance_list`
    /// (消费金), `send_coupon`, `stock_query` (查询批次详情), `stock_items` (查询可用单品);
    /// absent: every API.
    #[serde(default)]
    pub api: Option<String>,
    pub code: String,
    pub status: u16,
    pub times: u32,
}

impl CodeFault {
    /// The HTTP status WeChat Pay documents for `code` (document 003's table).
    pub fn documented(api: Option<&str>, code: &str, times: u32) -> CodeFault {
        let status = match code {
            "SYSTEM_ERROR" => 500,
            "FREQUENCY_LIMITED" => 429,
            "NOAUTH" | "RULELIMIT" | "RULE_LIMIT" | "USER_ACCOUNT_ABNORMAL" => 403,
            "USER_NOT_EXISTS" | "RESOURCE_NOT_EXISTS" | "MCH_NOT_EXISTS" => 404,
            _ => 400,
        };
        CodeFault { api: api.map(str::to_owned), code: code.to_owned(), status, times }
    }
}

/// Upstream calls received, by API (to prove caching and coalescing).
#[derive(Debug, Default, Serialize)]
pub struct Stats {
    pub merchant_list: AtomicU64,
    pub merchant_detail: AtomicU64,
    pub stock_list: AtomicU64,
    /// 查询代金券详情 calls.
    pub stock_detail: AtomicU64,
    /// 查询批次详情 calls.
    pub stock_query: AtomicU64,
    /// 查询可用单品 calls.
    pub stock_items: AtomicU64,
    pub send_coupon: AtomicU64,
    /// 核销用户券 calls (the merchant redeeming a 商家券).
    pub merchant_use: AtomicU64,
    /// Calls to the notification-URL APIs.
    pub callbacks: AtomicU64,
    pub certificates: AtomicU64,
    pub rejected_signatures: AtomicU64,
    /// Calls refused for being over `Faults::rate_per_second`.
    pub over_rate: AtomicU64,
    /// Notifications the merchant's URL answered 2xx (duplicates included).
    pub notifications_acknowledged: AtomicU64,
}

pub struct Sandbox {
    store: Store,
    faults: Mutex<Faults>,
    /// The wall-clock second being counted against `Faults::rate_per_second`, and its count.
    rate_window: Mutex<(u64, u32)>,
    stats: Stats,
    platform: platform::Platform,
    merchant_public: PublicKey,
    notify_target: Mutex<Option<notify::NotifyTarget>>,
    http: reqwest::Client,
}

pub type SharedSandbox = Arc<Sandbox>;

impl Sandbox {
    pub fn new(data: &str) -> Result<SharedSandbox, String> {
        Ok(Arc::new(Sandbox {
            store: Store::load(
                data,
                coupon_rules::BeijingTime::from_unix_millis(wechatpay::unix_now() * 1000),
            )?,
            faults: Mutex::new(Faults::default()),
            rate_window: Mutex::new((0, 0)),
            stats: Stats::default(),
            platform: platform::Platform::new(wechatpay::unix_now())?,
            merchant_public: PublicKey::from_pem(id::MERCHANT_PUBLIC)?,
            notify_target: Mutex::new(None),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(5))
                .build()
                .map_err(|e| format!("sandbox http client: {e}"))?,
        }))
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The merchant's key situation and the certificate rotation, from now on.
    pub fn set_platform(&self, state: PlatformState) {
        self.platform.set_state(state);
    }

    pub fn platform(&self) -> PlatformState {
        self.platform.state()
    }

    /// A platform certificate's PEM: 0, the first; 1, its successor.
    pub fn certificate_pem(&self, which: usize) -> &str {
        self.platform.certificate_pem(which)
    }

    pub fn set_faults(&self, f: Faults) {
        *self.faults.lock().expect("faults lock") = f;
    }

    /// Changes a stock as the merchant platform would (pausing it, running it out).
    pub fn update_stock(&self, stock_id: &str, change: impl FnOnce(&mut store::StockDef)) -> bool {
        self.store.update_stock(stock_id, change)
    }

    /// Marks a 商家券 used, as redeeming it at a till would.
    pub fn use_merchant_coupon(&self, openid: &str, code: &str) -> bool {
        self.store.use_merchant_coupon(openid, code)
    }

    /// Where WeChat Pay's notifications go (the URL registered with the callback APIs).
    pub fn set_notify_target(&self, target: Option<notify::NotifyTarget>) {
        *self.notify_target.lock().expect("notify target lock") = target;
    }

    /// A signed, encrypted notification of `event_type` about `resource`, spoiled as asked.
    pub fn notification(
        &self,
        event_type: &str,
        resource: &serde_json::Value,
        spoil: notify::Spoil,
    ) -> notify::Delivery {
        notify::build(&self.platform, event_type, "沙箱通知", resource, spoil)
    }

    /// Redeems a coupon as a till would (核销): a 商家券 by its code (the merchant redeems
    /// those itself: no notification), a 代金券 by its id, reported by a `COUPON.USE`
    /// notification to the notify target in the background. Whether the user held it usable.
    pub fn redeem(self: &Arc<Self>, openid: &str, coupon: &str) -> bool {
        if self.store.use_merchant_coupon(openid, coupon) {
            return true;
        }
        let Some(used) = self.store.use_stock_coupon(openid, coupon) else { return false };
        // The knob's target, else the URL the merchant registered, as WeChat Pay sends to.
        let target = self.notify_target.lock().expect("notify target lock").clone().or_else(|| {
            self.store.favor_callback().map(|url| notify::NotifyTarget {
                url,
                duplicates: 0,
                retries: 3,
            })
        });
        if let Some(target) = target {
            let delivery = self.notification(
                wechatpay::notification::COUPON_USE,
                &used,
                notify::Spoil::default(),
            );
            let sandbox = self.clone();
            tokio::spawn(async move {
                let n = notify::send(&sandbox.http, &target, &delivery).await;
                sandbox.stats.notifications_acknowledged.fetch_add(u64::from(n), Ordering::Relaxed);
            });
        }
        true
    }

    /// The sandbox users (openid and label), for the development login.
    pub fn users(&self) -> Vec<(String, String)> {
        self.store.users()
    }

    /// A code fault for a call to `api`, used up by one.
    fn take_code(&self, api: &str) -> Option<Answer> {
        let mut f = self.faults.lock().expect("faults lock");
        let fault = f
            .codes
            .iter_mut()
            .find(|c| c.times > 0 && c.api.as_deref().is_none_or(|a| a == api))?;
        fault.times -= 1;
        Some(wx_error(fault.status, &fault.code, &format!("沙箱注入的错误：{}", fault.code)))
    }

    /// Whether this call is over the merchant's rate in the current second.
    fn over_rate(&self) -> bool {
        let Some(rate) = self.faults.lock().expect("faults lock").rate_per_second else {
            return false;
        };
        let second = wechatpay::unix_now().unsigned_abs();
        let mut window = self.rate_window.lock().expect("rate lock");
        if window.0 != second {
            *window = (second, 0);
        }
        window.1 += 1;
        window.1 > rate
    }

    fn take_fault(&self) -> (u64, Option<&'static str>) {
        let mut f = self.faults.lock().expect("faults lock");
        let take = |n: &mut u32| {
            if *n > 0 {
                *n -= 1;
                true
            } else {
                false
            }
        };
        let fault = if take(&mut f.frequency_limited) {
            Some("429")
        } else if take(&mut f.system_error) {
            Some("500")
        } else if take(&mut f.malformed_body) {
            Some("malformed")
        } else if take(&mut f.bad_signature) {
            Some("bad_signature")
        } else if take(&mut f.probe_signature) {
            Some("probe")
        } else {
            None
        };
        (f.latency_ms, fault)
    }
}

/// The sandbox's router: WeChat's paths plus `/sandbox/*` controls for tests.
pub fn router(sandbox: SharedSandbox) -> Router {
    Router::new()
        .route("/sandbox/faults", post(set_faults).get(get_faults))
        .route("/sandbox/stats", get(get_stats))
        .route("/sandbox/platform", post(set_platform).get(get_platform))
        .route("/sandbox/notify-target", post(set_notify_target))
        .route("/sandbox/redeem", post(redeem))
        .route("/v3/{*rest}", any(wechat))
        .with_state(sandbox)
}

/// Binds the sandbox on `addr` (port 0 for any) and serves it in the background.
pub async fn spawn(
    sandbox: SharedSandbox,
    addr: std::net::SocketAddr,
) -> std::io::Result<std::net::SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router(sandbox)).await {
            tracing::error!(error = %e, "sandbox stopped");
        }
    });
    Ok(bound)
}

async fn set_faults(State(s): State<SharedSandbox>, Json(f): Json<Faults>) -> Json<Faults> {
    s.set_faults(f.clone());
    Json(f)
}

async fn get_faults(State(s): State<SharedSandbox>) -> Json<Faults> {
    Json(s.faults.lock().expect("faults lock").clone())
}

async fn set_platform(
    State(s): State<SharedSandbox>,
    Json(p): Json<PlatformState>,
) -> Json<PlatformState> {
    s.set_platform(p);
    Json(p)
}

async fn set_notify_target(
    State(s): State<SharedSandbox>,
    Json(target): Json<Option<notify::NotifyTarget>>,
) -> StatusCode {
    s.set_notify_target(target);
    StatusCode::NO_CONTENT
}

/// `{"openid": …, "coupon": code or id}`: the 模拟核销 of the demo page and the tests.
#[derive(Deserialize)]
struct Redeem {
    openid: String,
    coupon: String,
}

async fn redeem(State(s): State<SharedSandbox>, Json(r): Json<Redeem>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "redeemed": s.redeem(&r.openid, &r.coupon) }))
}

async fn get_platform(State(s): State<SharedSandbox>) -> Json<PlatformState> {
    Json(s.platform())
}

async fn get_stats(State(s): State<SharedSandbox>) -> Json<serde_json::Value> {
    let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let st = &s.stats;
    Json(serde_json::json!({
        "merchant_list": n(&st.merchant_list), "merchant_detail": n(&st.merchant_detail),
        "stock_list": n(&st.stock_list), "stock_detail": n(&st.stock_detail),
        "stock_query": n(&st.stock_query), "stock_items": n(&st.stock_items),
        "send_coupon": n(&st.send_coupon),
        "certificates": n(&st.certificates), "rejected_signatures": n(&st.rejected_signatures),
        "over_rate": n(&st.over_rate),
        "notifications_acknowledged": n(&st.notifications_acknowledged),
        "merchant_use": n(&st.merchant_use), "callbacks": n(&st.callbacks),
    }))
}

/// A WeChat-style answer: status and JSON body, to be signed.
pub struct Answer(pub StatusCode, pub serde_json::Value);

pub fn wx_error(status: u16, code: &str, message: &str) -> Answer {
    Answer(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        serde_json::json!({ "code": code, "message": message }),
    )
}

async fn wechat(
    State(s): State<SharedSandbox>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (latency, fault) = s.take_fault();
    let path_and_query = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    let request_serial = headers.get("wechatpay-serial").and_then(|v| v.to_str().ok());
    if let Err(refusal) = authenticate(&s, &method, path_and_query, &headers, &body) {
        // WeChat signs nothing for a request whose own signature it cannot accept.
        s.stats.rejected_signatures.fetch_add(1, Ordering::Relaxed);
        return unsigned(refusal);
    }
    let over_rate = s.over_rate();
    if over_rate {
        s.stats.over_rate.fetch_add(1, Ordering::Relaxed);
    }
    let answer = match fault {
        _ if over_rate => wx_error(429, "FREQUENCY_LIMITED", "频率限制"),
        Some("429") => wx_error(429, "FREQUENCY_LIMITED", "频率限制"),
        Some("500") => wx_error(500, "SYSTEM_ERROR", "系统失败"),
        _ => match s.platform.refusal(request_serial) {
            Some(refusal) => refusal,
            None if uri.path() == "/v3/certificates" => {
                s.stats.certificates.fetch_add(1, Ordering::Relaxed);
                s.platform.certificates_answer()
            }
            None => match s.take_code(store::api_name(&method, &uri)) {
                Some(refusal) => {
                    store::count(&s.stats, &method, &uri);
                    refusal
                }
                None => s.store.handle(&s.stats, &method, &uri, &body),
            },
        },
    };
    // The work is done before the delay: a caller that gives up has still changed state, as
    // with a real upstream whose answer is lost (what exactly-once claims must survive).
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    let mut bytes = answer.1.to_string().into_bytes();
    if fault == Some("malformed") {
        bytes = b"{\"data\": [{\"coupon_code\": ".to_vec();
    }
    let signature = match fault {
        Some("bad_signature") => Signature::Corrupt,
        Some("probe") => Signature::Probe,
        _ => Signature::Honest,
    };
    sign(&s, answer.0, bytes, request_serial, signature)
}

fn authenticate(
    s: &Sandbox,
    method: &Method,
    path_and_query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Answer> {
    let fail = |m: &str| Err(wx_error(401, "SIGN_ERROR", m));
    let Some(auth) =
        headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(Authorization::parse)
    else {
        return fail("缺少或无法解析Authorization");
    };
    if auth.mchid != id::MCHID {
        return Err(wx_error(400, "MCH_NOT_EXISTS", "商户号不存在"));
    }
    if auth.serial_no != id::MERCHANT_SERIAL {
        return fail("证书序列号不匹配");
    }
    if (wechatpay::unix_now() - auth.timestamp).abs() > wechatpay::MAX_CLOCK_SKEW_SECS {
        return fail("时间戳已过期");
    }
    if !auth.verify(&s.merchant_public, method.as_str(), path_and_query, body) {
        return fail("签名错误");
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Signature {
    Honest,
    /// A valid signature over other bytes: what a forgery or an altered body looks like.
    Corrupt,
    /// WeChat's deliberate probe: `WECHATPAY/SIGNTEST/` and random base64.
    Probe,
}

fn sign(
    s: &Sandbox,
    status: StatusCode,
    body: Vec<u8>,
    request_serial: Option<&str>,
    kind: Signature,
) -> Response {
    let (serial, key) = s.platform.signer(request_serial);
    let timestamp = wechatpay::unix_now().to_string();
    let nonce = wechatpay::nonce();
    let signature = match kind {
        Signature::Honest => key.sign(&wechatpay::response_message(&timestamp, &nonce, &body)),
        Signature::Corrupt => key.sign(b"something else entirely"),
        Signature::Probe => {
            format!("{}{}", wechatpay::PROBE_SIGNATURE_PREFIX, key.sign(nonce.as_bytes()))
        }
    };
    let mut response = respond(status, body);
    let h = response.headers_mut();
    for (name, value) in [
        ("wechatpay-timestamp", timestamp),
        ("wechatpay-nonce", nonce),
        ("wechatpay-signature", signature),
        ("wechatpay-serial", serial.to_owned()),
        ("wechatpay-signature-type", wechatpay::SIGNATURE_TYPE.to_owned()),
    ] {
        h.insert(name, value.parse().expect("ASCII header values"));
    }
    response
}

/// An answer without signature headers.
fn unsigned(answer: Answer) -> Response {
    respond(answer.0, answer.1.to_string().into_bytes())
}

/// A JSON answer with WeChat's `Request-ID`, as every answer has.
fn respond(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, [("content-type", "application/json")], body).into_response();
    response.headers_mut().insert("request-id", wechatpay::nonce().parse().expect("hex"));
    response
}
