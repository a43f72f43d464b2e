//! The proxy's one error type. Every failure a browser can see becomes a stable code, a
//! zh-CN message (worded in `coupon_rules::text::error_message`, which the widget also uses
//! for its English), and whether retrying can help, in exactly one place.

use crate::upstream::{known_wechat_code, UpstreamError};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use coupon_rules::api::{ErrorBody, ErrorCode as Code, ErrorInfo};
use coupon_rules::text::error_message;
use coupon_rules::Lang;

#[derive(Debug)]
pub enum ApiError {
    /// No valid session; `login_url` starts one.
    Unauthenticated {
        login_url: String,
    },
    /// POST without the session's CSRF token.
    CsrfFailed,
    /// A browser origin not in the allowed list.
    OriginNotAllowed,
    /// A query or body the API does not accept; nothing was sent upstream.
    InvalidParameter(String),
    /// A request body over the API's size limit.
    BodyTooLarge,
    NotFound,
    /// An address that is no route of the API.
    NoSuchRoute,
    /// A route asked with a method it does not take.
    MethodNotAllowed,
    /// This session is making too many requests.
    RateLimited,
    /// The stock is not one the merchant lets users claim here.
    StockNotClaimable,
    /// A server-to-server route without its bearer token (or with a wrong one).
    NoToken,
    /// A server-to-server route asked by a browser (an `Origin` or a session cookie).
    BrowserRefused,
    /// Upstream refused a claim for a reason the user should read (quota, budget, …).
    ClaimRejected {
        upstream_code: String,
    },
    Upstream(UpstreamError),
    /// The state store (Redis) cannot be reached: nothing that needs a session can be done.
    StoreUnavailable(String),
}

/// WeChat Pay codes that mean the merchant's own setup is wrong: the user can do nothing
/// about them and retrying will not help; the log says exactly what.
const SETUP_CODES: [&str; 6] = [
    "PARAM_ERROR",
    "INVALID_REQUEST",
    "NOAUTH",
    "APPID_MCHID_NOT_MATCH",
    "MCH_NOT_EXISTS",
    "SIGN_ERROR",
];

/// Whether `e` is WeChat Pay refusing the merchant's own setup (signed): the same for every user.
pub fn is_setup_failure(e: &UpstreamError) -> bool {
    matches!(e, UpstreamError::Rejected { code, signed: true, .. } if SETUP_CODES.contains(&code.as_str()))
}

/// WeChat Pay's codes for a claim the user should read about (`RULE_LIMIT` is how some
/// answers spell `RULELIMIT`).
const CLAIM_CODES: [&str; 5] =
    ["NOT_ENOUGH", "RULELIMIT", "RULE_LIMIT", "USER_ACCOUNT_ABNORMAL", "RESOURCE_NOT_EXISTS"];

impl ApiError {
    /// A claim WeChat Pay refused: a business refusal the user reads, or any other failure.
    pub fn from_claim(e: UpstreamError) -> ApiError {
        match e {
            // Only a signed refusal is WeChat Pay's word about this user's claim.
            UpstreamError::Rejected { code, signed: true, .. }
                if CLAIM_CODES.contains(&code.as_str()) =>
            {
                ApiError::ClaimRejected { upstream_code: code }
            }
            other => ApiError::Upstream(other),
        }
    }

    /// Status, stable code, whether retrying helps, and WeChat's own code when it refused.
    fn parts(&self) -> (StatusCode, Code, bool, Option<&str>) {
        use ApiError::*;
        match self {
            Unauthenticated { .. } => {
                (StatusCode::UNAUTHORIZED, Code::Unauthenticated, false, None)
            }
            CsrfFailed => (StatusCode::FORBIDDEN, Code::CsrfFailed, false, None),
            OriginNotAllowed => (StatusCode::FORBIDDEN, Code::OriginNotAllowed, false, None),
            InvalidParameter(_) => (StatusCode::BAD_REQUEST, Code::InvalidParameter, false, None),
            BodyTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, Code::BodyTooLarge, false, None),
            NotFound | NoSuchRoute => (StatusCode::NOT_FOUND, Code::NotFound, false, None),
            MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, Code::MethodNotAllowed, false, None)
            }
            RateLimited => (StatusCode::TOO_MANY_REQUESTS, Code::RateLimited, true, None),
            StockNotClaimable => (StatusCode::BAD_REQUEST, Code::StockNotClaimable, false, None),
            NoToken => (StatusCode::UNAUTHORIZED, Code::Forbidden, false, None),
            BrowserRefused => (StatusCode::FORBIDDEN, Code::Forbidden, false, None),
            ClaimRejected { upstream_code } => {
                (StatusCode::CONFLICT, Code::ClaimRejected, false, Some(upstream_code))
            }
            StoreUnavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, Code::ServiceUnavailable, true, None)
            }
            Upstream(e) => match e {
                UpstreamError::Timeout => {
                    (StatusCode::GATEWAY_TIMEOUT, Code::UpstreamTimeout, true, None)
                }
                UpstreamError::Throttled => {
                    (StatusCode::SERVICE_UNAVAILABLE, Code::UpstreamBusy, true, None)
                }
                UpstreamError::Unreachable(_) => {
                    (StatusCode::SERVICE_UNAVAILABLE, Code::UpstreamUnavailable, true, None)
                }
                // Unsigned: the code is reported, its status alone decides.
                UpstreamError::Rejected { status, code, signed: false, .. } => {
                    let wechat = known_wechat_code(code);
                    match status {
                        429 => (StatusCode::SERVICE_UNAVAILABLE, Code::UpstreamBusy, true, wechat),
                        500.. => (StatusCode::BAD_GATEWAY, Code::UpstreamError, true, wechat),
                        _ => (StatusCode::BAD_GATEWAY, Code::UpstreamRejected, false, wechat),
                    }
                }
                UpstreamError::Rejected { status, code, signed: true, .. } => {
                    let wechat = Some(code.as_str()).filter(|c| !c.is_empty());
                    match code.as_str() {
                        "FREQUENCY_LIMITED" => {
                            (StatusCode::SERVICE_UNAVAILABLE, Code::UpstreamBusy, true, wechat)
                        }
                        "SYSTEM_ERROR" => {
                            (StatusCode::BAD_GATEWAY, Code::UpstreamError, true, wechat)
                        }
                        "USER_NOT_EXISTS" => {
                            (StatusCode::NOT_FOUND, Code::UserNotFound, false, wechat)
                        }
                        "RESOURCE_NOT_EXISTS" => {
                            (StatusCode::NOT_FOUND, Code::NotFound, false, wechat)
                        }
                        c if SETUP_CODES.contains(&c) => {
                            (StatusCode::BAD_GATEWAY, Code::MerchantSetup, false, wechat)
                        }
                        _ if *status == 429 => {
                            (StatusCode::SERVICE_UNAVAILABLE, Code::UpstreamBusy, true, wechat)
                        }
                        _ if *status >= 500 => {
                            (StatusCode::BAD_GATEWAY, Code::UpstreamError, true, wechat)
                        }
                        _ => (StatusCode::BAD_GATEWAY, Code::UpstreamRejected, false, wechat),
                    }
                }
                UpstreamError::BadSignature(_) | UpstreamError::Malformed(_) => {
                    (StatusCode::BAD_GATEWAY, Code::UpstreamBadResponse, true, None)
                }
            },
        }
    }

    pub fn code(&self) -> Code {
        self.parts().1
    }

    /// Refuses the query parameter `name` unless its `value` lies in `range`.
    pub fn check_range<T: PartialOrd + std::fmt::Display>(
        name: &str,
        value: T,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<(), ApiError> {
        if range.contains(&value) {
            return Ok(());
        }
        let (min, max) = range.into_inner();
        Err(ApiError::InvalidParameter(format!("{name}: 取值范围为 {min}–{max}")))
    }

    /// The body of this error, as the API writes it.
    pub fn info(&self) -> ErrorInfo {
        let (_, code, retryable, upstream_code) = self.parts();
        let mut message = error_message(code, upstream_code, Lang::ZhCn)
            .unwrap_or("请求失败，请稍后重试")
            .to_owned();
        if let ApiError::InvalidParameter(detail) = self {
            message = format!("{message}：{detail}");
        }
        if let ApiError::NoSuchRoute = self {
            message = coupon_rules::text::no_such_route(Lang::ZhCn).to_owned();
        }
        let login_url = match self {
            ApiError::Unauthenticated { login_url } => Some(login_url.clone()),
            _ => None,
        };
        ErrorInfo {
            code,
            message,
            retryable,
            login_url,
            upstream_code: upstream_code.map(str::to_owned),
        }
    }
}

/// A JSON body the API cannot take: too large, or not the request's shape.
impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
        match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::BodyTooLarge,
            _ => ApiError::InvalidParameter(e.body_text().chars().take(160).collect()),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::StoreUnavailable(e.0)
    }
}

impl From<crate::cache::CacheError> for ApiError {
    fn from(e: crate::cache::CacheError) -> Self {
        match e {
            crate::cache::CacheError::Upstream(e) => ApiError::Upstream(e),
            crate::cache::CacheError::Store(e) => e.into(),
        }
    }
}

impl From<crate::session::SessionError> for ApiError {
    fn from(e: crate::session::SessionError) -> Self {
        use crate::session::SessionError;
        match e {
            SessionError::Unauthenticated { login_url } => ApiError::Unauthenticated { login_url },
            SessionError::RateLimited => ApiError::RateLimited,
            SessionError::CsrfFailed => ApiError::CsrfFailed,
            SessionError::Store(e) => e.into(),
        }
    }
}

impl From<UpstreamError> for ApiError {
    fn from(e: UpstreamError) -> Self {
        ApiError::Upstream(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.parts().0;
        let mut response = (status, Json(ErrorBody { error: self.info() })).into_response();
        if status.is_server_error() {
            // For the log (`log_failures`): the exact upstream code and message, never the user's.
            let detail = match &self {
                ApiError::Upstream(e) => e.to_string(),
                other => format!("{other:?}"),
            };
            response.extensions_mut().insert(Failure { code: self.code(), detail });
        }
        response
    }
}

/// What a failed request's log line says, carried from the error to [`log_failures`].
#[derive(Clone)]
struct Failure {
    code: Code,
    detail: String,
}

/// A response layer: every server error is logged once, inside its request's span.
pub async fn log_failures(response: Response) -> Response {
    if let Some(f) = response.extensions().get::<Failure>() {
        tracing::warn!(code = %f.code, error = %f.detail, "request failed");
    }
    response
}
