//! The proxy's one error type. Every failure a browser can see becomes a stable code, a
//! zh-CN message a user can read, and whether retrying can help, in exactly one place.

use crate::upstream::UpstreamError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use coupon_rules::api::{ErrorBody, ErrorInfo};

#[derive(Debug)]
pub enum ApiError {
    /// No valid session; `login_url` starts one.
    Unauthenticated { login_url: String },
    /// POST without the session's CSRF token.
    CsrfFailed,
    /// A browser origin not in the allowed list.
    OriginNotAllowed,
    /// A query or body the API does not accept; nothing was sent upstream.
    InvalidParameter(String),
    /// A request body over the API's size limit.
    BodyTooLarge,
    NotFound,
    /// This session is making too many requests.
    RateLimited,
    /// The stock is not one the merchant lets users claim here.
    StockNotClaimable,
    /// Upstream refused a claim for a reason the user should read (quota, budget, …).
    ClaimRejected { upstream_code: String, message: String },
    Upstream(UpstreamError),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, String, bool) {
        use ApiError::*;
        match self {
            Unauthenticated { .. } => (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "请先登录".into(), false),
            CsrfFailed => (StatusCode::FORBIDDEN, "CSRF_FAILED", "请求已失效，请刷新页面后重试".into(), false),
            OriginNotAllowed => (StatusCode::FORBIDDEN, "ORIGIN_NOT_ALLOWED", "当前页面无权访问".into(), false),
            InvalidParameter(detail) => (StatusCode::BAD_REQUEST, "INVALID_PARAMETER", format!("请求参数有误：{detail}"), false),
            BodyTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE", "请求内容过大".into(), false),
            NotFound => (StatusCode::NOT_FOUND, "NOT_FOUND", "券不存在或已失效".into(), false),
            RateLimited => (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "操作太频繁，请稍后再试".into(), true),
            StockNotClaimable => (StatusCode::BAD_REQUEST, "STOCK_NOT_CLAIMABLE", "该券不可领取".into(), false),
            ClaimRejected { message, .. } => (StatusCode::CONFLICT, "CLAIM_REJECTED", message.clone(), false),
            Upstream(e) => match e {
                UpstreamError::Timeout => (StatusCode::GATEWAY_TIMEOUT, "UPSTREAM_TIMEOUT", "微信支付响应超时，请稍后重试".into(), true),
                UpstreamError::Unreachable(_) => (StatusCode::SERVICE_UNAVAILABLE, "UPSTREAM_UNAVAILABLE", "暂时无法连接微信支付，请稍后重试".into(), true),
                UpstreamError::Rejected { status, .. } if *status == 429 => (StatusCode::SERVICE_UNAVAILABLE, "UPSTREAM_BUSY", "微信支付繁忙，请稍后重试".into(), true),
                UpstreamError::Rejected { status, .. } if *status >= 500 => (StatusCode::BAD_GATEWAY, "UPSTREAM_ERROR", "微信支付暂时出错，请稍后重试".into(), true),
                UpstreamError::Rejected { code, .. } if code == "USER_NOT_EXISTS" => (StatusCode::NOT_FOUND, "USER_NOT_FOUND", "未找到该用户的券".into(), false),
                UpstreamError::Rejected { code, .. } if code == "RESOURCE_NOT_EXISTS" => (StatusCode::NOT_FOUND, "NOT_FOUND", "券不存在或已失效".into(), false),
                UpstreamError::Rejected { .. } => (StatusCode::BAD_GATEWAY, "UPSTREAM_REJECTED", "微信支付拒绝了请求".into(), false),
                UpstreamError::BadSignature(_) | UpstreamError::Malformed(_) => (StatusCode::BAD_GATEWAY, "UPSTREAM_BAD_RESPONSE", "微信支付返回异常，请稍后重试".into(), true),
            },
        }
    }

    pub fn code(&self) -> &'static str {
        self.parts().1
    }
}

impl From<UpstreamError> for ApiError {
    fn from(e: UpstreamError) -> Self {
        ApiError::Upstream(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, retryable) = self.parts();
        if status.is_server_error() {
            tracing::warn!(code, error = ?self, "request failed");
        }
        let login_url = match &self {
            ApiError::Unauthenticated { login_url } => Some(login_url.clone()),
            _ => None,
        };
        let upstream_code = match &self {
            ApiError::ClaimRejected { upstream_code, .. } => Some(upstream_code.clone()),
            _ => None,
        };
        let body = ErrorBody { error: ErrorInfo { code: code.to_owned(), message, retryable, login_url, upstream_code } };
        (status, Json(body)).into_response()
    }
}
