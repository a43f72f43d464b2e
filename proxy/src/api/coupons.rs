//! Listing a user's coupons (商家券 + 代金券 + 消费金, merged) and one coupon's detail.

use super::{now, only_known};
use crate::cache::{Freshness, PageKey, Wallet};
use crate::error::ApiError;
use crate::session::Session;
use crate::upstream::{MerchantQuery, StockQuery, UpstreamError};
use crate::SharedApp;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use coupon_rules::wallet::{select, Tab};
use coupon_rules::wire::Page;
use coupon_rules::{availability, Coupon, Source};
use coupon_rules::api::{CouponDetail, CouponPage};
use std::collections::HashMap;

/// Upstream page size, and the most pages read per list (a wallet of up to 1,000 per API).
const UPSTREAM_PAGE: u64 = 50;
const MAX_UPSTREAM_PAGES: u64 = 20;
pub const MAX_LIMIT: usize = 50;

pub async fn list(session: Session, State(app): State<SharedApp>, Query(params): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    only_known(&params, &["tab", "offset", "limit"])?;
    let tab = match params.get("tab") {
        None => Tab::Available,
        Some(t) => Tab::parse(t).ok_or_else(|| ApiError::InvalidParameter("tab 只能是 available、used 或 expired".into()))?,
    };
    let number = |key: &str, default: usize| -> Result<usize, ApiError> {
        params.get(key).map_or(Ok(default), |v| v.parse().map_err(|_| ApiError::InvalidParameter(format!("{key} 必须是非负整数"))))
    };
    let offset = number("offset", 0)?;
    let limit = number("limit", 20)?;
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::InvalidParameter(format!("limit 取值范围为 1–{MAX_LIMIT}")));
    }
    let (wallet, freshness) = wallet(&app, &session.openid).await?;
    let now = now();
    let key = PageKey { tab, offset, limit, stale: freshness == Freshness::Stale };
    if let Some(body) = wallet.page(&key, now) {
        return Ok(json_body(body));
    }
    let (selected, counts) = select(&wallet.coupons, tab, now);
    let page: Vec<Coupon> = selected.iter().skip(offset).take(limit).map(|c| (*c).clone()).collect();
    let page = CouponPage { coupons: page, total: selected.len(), offset, limit, counts, stale: key.stale, skipped: wallet.skipped };
    let body = serde_json::to_vec(&page).map_err(|e| ApiError::Upstream(UpstreamError::Malformed(e.to_string())))?;
    let body = bytes::Bytes::from(body);
    let valid_until = wallet.coupons.iter().filter_map(|c| availability(c, now).changes_at()).min();
    wallet.keep_page(key, body.clone(), valid_until);
    Ok(json_body(body))
}

fn json_body(body: bytes::Bytes) -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
}

pub async fn detail(session: Session, State(app): State<SharedApp>, Path((source, id)): Path<(String, String)>) -> Result<Json<CouponDetail>, ApiError> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(ApiError::InvalidParameter("券号格式不正确".into()));
    }
    let source = match source.as_str() {
        "merchant" => Source::Merchant,
        "stock" => Source::Stock,
        _ => return Err(ApiError::InvalidParameter("source 只能是 merchant 或 stock".into())),
    };
    if source == Source::Merchant {
        match app.upstream.merchant_coupon(&session.openid, &app.settings.appid, &id).await {
            Ok(coupon) => return Ok(Json(CouponDetail { coupon, stale: false })),
            Err(UpstreamError::Rejected { code, .. }) if code == "RESOURCE_NOT_EXISTS" => return Err(ApiError::NotFound),
            // Upstream trouble: the copy in the user's wallet, marked stale, is better than nothing.
            Err(e) => {
                let (wallet, _) = app.wallets.get_or_fetch(&session.openid, || async { Err(e.clone()) }).await.map_err(|_| ApiError::from(e))?;
                let coupon = wallet.coupons.iter().find(|c| c.source == source && c.id == id).ok_or(ApiError::NotFound)?;
                return Ok(Json(CouponDetail { coupon: coupon.clone(), stale: true }));
            }
        }
    }
    let (wallet, freshness) = wallet(&app, &session.openid).await?;
    let coupon = wallet.coupons.iter().find(|c| c.source == source && c.id == id).ok_or(ApiError::NotFound)?;
    Ok(Json(CouponDetail { coupon: coupon.clone(), stale: freshness == Freshness::Stale }))
}

/// The user's whole wallet, from cache or upstream.
pub async fn wallet(app: &SharedApp, openid: &str) -> Result<(std::sync::Arc<Wallet>, Freshness), ApiError> {
    Ok(app.wallets.get_or_fetch(openid, || fetch_wallet(app, openid)).await?)
}

/// Reads every page of the three lists concurrently and merges them.
async fn fetch_wallet(app: &SharedApp, openid: &str) -> Result<Wallet, UpstreamError> {
    let appid = app.settings.appid.as_str();
    let mchid = app.settings.mchid.clone();
    let merchant = all_pages(|offset| {
        let q = MerchantQuery { creator_merchant: Some(mchid.clone()), offset, limit: UPSTREAM_PAGE, ..Default::default() };
        async move { app.upstream.merchant_coupons(openid, appid, &q).await }
    });
    let stock = all_pages(|offset| {
        let q = StockQuery { creator_mchid: Some(mchid.clone()), offset, limit: UPSTREAM_PAGE, ..Default::default() };
        async move { app.upstream.stock_coupons(openid, appid, &q).await }
    });
    let balance = all_pages(|offset| {
        let q = StockQuery { creator_mchid: Some(mchid.clone()), business_type: Some("MULTIUSE"), offset, limit: UPSTREAM_PAGE, ..Default::default() };
        async move { app.upstream.stock_coupons(openid, appid, &q).await }
    });
    let (merchant, stock, balance) = tokio::try_join!(merchant, stock, balance)?;
    let mut coupons = Vec::new();
    let mut skipped = 0;
    let mut seen = std::collections::HashSet::new();
    for page in [merchant, stock, balance].into_iter().flatten() {
        for e in &page.rejected {
            tracing::warn!(error = %e, "skipped an unreadable coupon from upstream");
        }
        skipped += page.rejected.len();
        for c in page.coupons {
            if seen.insert((c.source, c.id.clone())) {
                coupons.push(c);
            }
        }
    }
    Ok(Wallet::new(coupons, skipped))
}

async fn all_pages<F, Fut>(fetch: F) -> Result<Vec<Page>, UpstreamError>
where
    F: Fn(u64) -> Fut,
    Fut: std::future::Future<Output = Result<Page, UpstreamError>>,
{
    let mut pages = Vec::new();
    let mut offset = 0;
    for _ in 0..MAX_UPSTREAM_PAGES {
        let page = fetch(offset).await?;
        let read = (page.coupons.len() + page.rejected.len()) as u64;
        let total = page.total_count;
        pages.push(page);
        offset += read;
        if read == 0 || offset >= total {
            break;
        }
    }
    Ok(pages)
}
