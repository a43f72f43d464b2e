//! `POST /api/v1/merchant/redemptions`: the merchant's order system redeems (核销) the 商家券 a
//! user chose at checkout. Server to server: a bearer token, never a browser session.

use super::ApiJson;
use crate::error::ApiError;
use crate::SharedApp;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::Json;
use coupon_rules::api::{Redemption, RedemptionRequest};
use subtle::ConstantTimeEq;

pub async fn redeem(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    ApiJson(r): ApiJson<RedemptionRequest>,
) -> Result<Json<Redemption>, ApiError> {
    // A browser sends an Origin on every POST (and the session cookie, if any): refused, so
    // that no page can redeem a coupon, whatever token it got hold of.
    if headers.contains_key(header::ORIGIN) || headers.contains_key(header::COOKIE) {
        return Err(ApiError::BrowserRefused);
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let expected = app.settings.redemption_token.as_deref();
    match (given, expected) {
        (Some(g), Some(e)) if bool::from(g.as_bytes().ct_eq(e.as_bytes())) => {}
        _ => return Err(ApiError::NoToken),
    }
    let well_formed = |s: &str| {
        (1..=64).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
    };
    if ![&r.order_id, &r.openid, &r.coupon_code, &r.stock_id].iter().all(|s| well_formed(s)) {
        return Err(ApiError::InvalidParameter(
            "order_id、openid、coupon_code、stock_id 须为 1–64 位字母、数字、- 或 _".into(),
        ));
    }
    let use_request_no = use_request_no(&app.settings.identity.mchid, &r);
    let use_time = crate::clock::now().to_rfc3339();
    let appid = &app.settings.identity.appid;
    let used_at = app.upstream.use_merchant_coupon(appid, &r, &use_request_no, &use_time).await?;
    // Every instance fetches the wallet again, and reads a kept detail afresh: an open use
    // sheet sees the use at its next look.
    app.wallets.invalidate(&r.openid).await?;
    Ok(Json(Redemption { coupon_code: r.coupon_code, use_request_no, used_at }))
}

/// `CWU` and 29 hex digits of SHA-256 over (merchant, order, coupon): the same order and
/// coupon always make the same request, which WeChat Pay redeems once.
fn use_request_no(mchid: &str, r: &RedemptionRequest) -> String {
    let digest = coupon_wechatpay::sha256_hex(
        format!("{mchid}|{}|{}", r.order_id, r.coupon_code).as_bytes(),
    );
    format!("CWU{}", &digest[..29])
}
