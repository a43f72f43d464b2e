//! 领取: claiming a coupon of a stock the merchant offers. Exactly once per client key: the
//! upstream `out_request_no` is derived from (merchant, user, stock, key), so a double tap,
//! a retry after a network error, or a proxy retry all name the same request.

use super::ApiJson;
use crate::cache::{release, single_flight};
use crate::error::ApiError;
use crate::session::Session;
use crate::SharedApp;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use coupon_rules::api::{ClaimRequest, Claimable, Claimed};

pub async fn claimable(_session: Session, State(app): State<SharedApp>) -> Json<Claimable> {
    Json(Claimable { stocks: app.settings.claimable_stocks.clone() })
}

pub async fn claim(
    session: Session,
    State(app): State<SharedApp>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ClaimRequest>,
) -> Result<Json<Claimed>, ApiError> {
    session.check_csrf(&headers)?;
    let key_ok = (8..=64).contains(&req.client_key.len())
        && req.client_key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !key_ok {
        return Err(ApiError::InvalidParameter("client_key 须为 8–64 位字母、数字、- 或 _".into()));
    }
    if !app.settings.claimable_stocks.iter().any(|s| s.stock_id == req.stock_id) {
        return Err(ApiError::StockNotClaimable);
    }
    let digest = app.sessions.keyed_hash(&[
        &app.settings.identity.mchid,
        &session.openid,
        &req.stock_id,
        &req.client_key,
    ]);
    let out_request_no = format!("CW{}", &digest[..30]);
    let flight = single_flight(&app.claims, &out_request_no);
    let sent = {
        let _turn = flight.lock().await;
        app.upstream
            .send_stock_coupon(
                &session.openid,
                &app.settings.identity.appid,
                &req.stock_id,
                &out_request_no,
                app.settings.claim_values.get(&req.stock_id).copied(),
            )
            .await
    };
    release(&app.claims, &out_request_no, &flight);
    let coupon_id = sent.map_err(ApiError::from_claim)?;
    tracing::info!(stock_id = %req.stock_id, "coupon claimed");
    app.wallets.invalidate(&session.openid).await?;
    // Read again after the invalidation above, never what the session read along.
    let coupon = match super::coupons::wallet(&app, &session.openid, None).await {
        Ok((wallet, _)) => wallet.coupons.iter().find(|c| c.id == coupon_id).cloned(),
        Err(_) => None,
    };
    Ok(Json(Claimed { coupon_id, coupon }))
}
