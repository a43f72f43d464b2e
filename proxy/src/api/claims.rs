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
use coupon_rules::api::{ClaimRequest, Claimable, ClaimableStock, Claimed};
use std::collections::HashMap;
use std::time::Duration;

/// How long a stock's 查询批次详情 is kept: names and limits rarely change, and a stock paused
/// or run out meanwhile is refused by the claim itself, with WeChat's reason.
pub const STOCK_TTL: Duration = Duration::from_secs(300);

/// The configured stocks WeChat Pay says are running with coupons left, named as WeChat names
/// them, each with its per-user limit and how many of it the user holds.
pub async fn claimable(session: Session, State(app): State<SharedApp>) -> axum::response::Response {
    let stocks = offered_stocks(&app, &session).await;
    super::shown_again(&app, Json(Claimable { stocks }))
}

/// What [`claimable`] answers.
pub async fn offered_stocks(app: &SharedApp, session: &Session) -> Vec<ClaimableStock> {
    let now = crate::clock::now();
    let offered = app.settings.claimable_stocks.iter().map(|s| offered(app, s, now));
    let offered = futures_util::future::join_all(offered).await;
    // What the user holds already, from the wallet the page is loading anyway (one fetch).
    let held = match super::coupons::session_wallet(app, session).await {
        Ok((wallet, _)) => wallet.coupons.iter().fold(HashMap::new(), |mut n, c| {
            *n.entry(c.stock_id.clone()).or_insert(0u64) += 1;
            n
        }),
        Err(_) => HashMap::new(),
    };
    offered
        .into_iter()
        .flatten()
        .map(|s| ClaimableStock { held: held.get(&s.stock_id).copied().unwrap_or(0), ..s })
        .collect()
}

/// One configured stock as its row shows it, or `None` when it is not to be offered.
async fn offered(
    app: &SharedApp,
    configured: &ClaimableStock,
    now: coupon_rules::BeijingTime,
) -> Option<ClaimableStock> {
    let id = &configured.stock_id;
    match app
        .stocks
        .try_get_with(id.clone(), app.upstream.stock(id))
        .await
        .map_err(|e| (*e).clone())
    {
        Ok(stock) if stock.claimable(now) => Some(ClaimableStock {
            stock_id: stock.stock_id,
            name: stock.name,
            max_per_user: stock.max_per_user,
            held: 0,
        }),
        Ok(stock) => {
            tracing::info!(stock_id = %id, state = ?stock.state, remaining = ?stock.remaining, "claimable stock not offered");
            None
        }
        // No such stock, or not this merchant's: the operator's to fix, not the user's to try.
        Err(e) if e.is_refusal() => {
            tracing::warn!(stock_id = %id, error = %e, "claimable stock refused by WeChat Pay");
            None
        }
        // Upstream trouble: the row as configured; a claim says what WeChat Pay says.
        Err(e) => {
            tracing::warn!(stock_id = %id, error = %e, "claimable stock not looked up");
            Some(configured.clone())
        }
    }
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
