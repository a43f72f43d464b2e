//! The proxy's `/api/v1` bodies, defined once: the proxy writes them, the widget reads them,
//! both through these serde types, and `proxy/openapi.yaml` is checked against them by
//! `proxy/tests/openapi.rs`.

use crate::model::Coupon;
use crate::wallet::TabCounts;
use serde::{Deserialize, Serialize};

/// `GET /coupons`: one page of one tab of the user's coupons (商家券 + 代金券 + 消费金).
/// `Default` is an empty, fresh, complete first page.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CouponPage {
    pub coupons: Vec<Coupon>,
    /// Coupons in this tab.
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub counts: TabCounts,
    /// Served from the proxy's cache because upstream failed.
    #[serde(default)]
    pub stale: bool,
    /// Upstream coupons that could not be read (logged by the proxy).
    #[serde(default)]
    pub skipped: usize,
    /// Sources that failed: the coupons shown are the others'. Empty when the list is whole.
    #[serde(default)]
    pub missing: Vec<MissingSource>,
    /// The proxy stopped reading upstream pages at its safety cap: there are more coupons.
    #[serde(default)]
    pub truncated: bool,
}

/// The three lists a wallet is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WalletSource {
    /// 商家券.
    Merchant,
    /// 代金券.
    Stock,
    /// 消费金.
    Balance,
}

/// A source the proxy could not read this time, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingSource {
    pub source: WalletSource,
    pub error: ErrorInfo,
}

/// `GET /coupons/{source}/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CouponDetail {
    pub coupon: Coupon,
    #[serde(default)]
    pub stale: bool,
}

/// A stock the merchant offers to claim here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimableStock {
    pub stock_id: String,
    pub name: String,
    /// How many coupons of the stock one user may receive (查询批次详情), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_user: Option<u64>,
    /// How many of them this user holds already, in any state.
    #[serde(default)]
    pub held: u64,
}

/// `GET /claimable`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claimable {
    pub stocks: Vec<ClaimableStock>,
}

/// `POST /claims`: 领取 one coupon. `client_key` is chosen once per intended claim and
/// reused on every retry of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    pub stock_id: String,
    pub client_key: String,
}

/// What a successful claim returns: the new coupon's id, and the coupon when the proxy
/// could already read it back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claimed {
    pub coupon_id: String,
    #[serde(default)]
    pub coupon: Option<Coupon>,
}

/// Which upstream the proxy talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The embedded WeChat Pay look-alike.
    Sandbox,
    /// WeChat Pay itself.
    Live,
}

/// `GET /session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Sent back in `X-CSRF-Token` on every POST.
    pub csrf_token: String,
    /// Seconds the session has left.
    pub expires_in: u64,
    pub mode: Mode,
}

/// Whether the proxy can serve sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Ok,
    /// The state store does not answer.
    Degraded,
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: HealthStatus,
    pub mode: Mode,
    pub upstream_requests: u64,
    pub store: StoreHealth,
}

/// Where the proxy's state lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// This process's memory.
    Memory,
    /// Redis, one server or a cluster, shared by every instance.
    Redis,
}

/// Where the proxy's state lives and whether it answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreHealth {
    pub kind: StoreKind,
    pub available: bool,
}

/// `GET /dev/users` (sandbox mode only): who the development login can be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevUsers {
    pub users: Vec<DevUser>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevUser {
    /// The sandbox openid.
    pub user: String,
    pub label: String,
}

/// Every failure: `{"error": {…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorInfo,
}

/// The stable code of every failure, written by the proxy and read by the widget (which adds
/// its own, for what goes wrong before an answer arrives). The JSON is the variant's name in
/// `SCREAMING_SNAKE_CASE`, as `proxy/openapi.yaml` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// No valid session: `login_url` starts one.
    Unauthenticated,
    /// A POST without the session's CSRF token.
    CsrfFailed,
    /// A browser origin not in the allowed list.
    OriginNotAllowed,
    /// A query or body the API does not take; nothing was sent upstream.
    InvalidParameter,
    BodyTooLarge,
    /// A coupon that does not exist, or an address that is no route.
    NotFound,
    MethodNotAllowed,
    /// WeChat Pay knows no such user (a wrong appid/openid pair).
    UserNotFound,
    /// This session is making too many requests.
    RateLimited,
    /// Not a stock the merchant lets users claim here.
    StockNotClaimable,
    /// WeChat Pay refused the claim for a reason the user reads (`upstream_code`).
    ClaimRejected,
    /// A server-to-server route asked without its token, or from a browser.
    Forbidden,
    /// The proxy's state store does not answer.
    ServiceUnavailable,
    /// WeChat Pay refused the merchant's own setup (NOAUTH, PARAM_ERROR, …).
    MerchantSetup,
    UpstreamTimeout,
    UpstreamUnavailable,
    /// WeChat Pay's rate limit, or the merchant's own.
    UpstreamBusy,
    UpstreamError,
    UpstreamRejected,
    /// An answer that failed verification or could not be read.
    UpstreamBadResponse,
    /// The widget's own: the request did not reach the proxy.
    Network,
    /// The widget's own: no answer within its deadline.
    Timeout,
    /// The widget's own: an answer it cannot read.
    BadResponse,
    /// The widget's own: a request it could not build.
    BadRequest,
    /// A code this build does not know (a newer proxy's): the server's message is shown.
    #[serde(other)]
    Unknown,
}

/// `POST /merchant/redemptions`: the merchant's order system redeems (核销) the 商家券 a user
/// chose at checkout, once per order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedemptionRequest {
    /// The merchant's own order id: the same order redeems once, however often it is sent.
    pub order_id: String,
    pub openid: String,
    /// The 商家券's code (`cw:select`'s `coupon_id` for a 商家券).
    pub coupon_code: String,
    pub stock_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    pub coupon_code: String,
    /// What WeChat Pay was sent as `use_request_no`, derived from the order.
    pub use_request_no: String,
    /// When WeChat Pay recorded the use (RFC 3339, +08:00).
    pub used_at: String,
}

/// The code as the JSON spells it (`UPSTREAM_TIMEOUT`), for logs, metrics and events: serde's
/// spelling, so it is written in one place.
impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(name)) => f.write_str(&name),
            _ => Err(std::fmt::Error),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    pub code: ErrorCode,
    /// For the user, in zh-CN.
    pub message: String,
    /// Whether trying again can help.
    pub retryable: bool,
    /// With `UNAUTHENTICATED`: where to log in (on the proxy's public origin, or a path to resolve
    /// against the API's address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_url: Option<String>,
    /// With `CLAIM_REJECTED`: WeChat Pay's code (`NOT_ENOUGH`, `RULELIMIT`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_code: Option<String>,
}
