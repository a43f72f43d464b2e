//! Listing a user's coupons (商家券 + 代金券 + 消费金, merged) and one coupon's detail.

use super::ApiQuery;
use crate::cache::{Freshness, PageKey, Wallet};
use crate::clock::now;
use crate::error::ApiError;
use crate::session::Session;
use crate::upstream::UpstreamError;
use crate::SharedApp;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use coupon_rules::api::{CouponDetail, CouponPage};
use coupon_rules::wallet::{select, Tab};
use coupon_rules::{availability, Coupon, Source};

/// The largest `offset` (past every wallet's length; `proxy/openapi.yaml` declares it).
const MAX_OFFSET: usize = 100_000;
pub const MAX_LIMIT: usize = 50;

/// `GET /coupons`' query.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    tab: Option<Tab>,
    offset: Option<usize>,
    limit: Option<usize>,
}

pub async fn list(
    session: Session,
    State(app): State<SharedApp>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let tab = q.tab.unwrap_or(Tab::Available);
    let offset = q.offset.unwrap_or(0);
    let limit = q.limit.unwrap_or(20);
    ApiError::check_range("limit", limit, 1..=MAX_LIMIT)?;
    ApiError::check_range("offset", offset, 0..=MAX_OFFSET)?;
    let body = json_body(page(&app, &session, tab, offset, limit).await?);
    // The loader's first request: a repeat visit may show the browser's copy.
    Ok(match (tab, offset) {
        (Tab::Available, 0) => super::shown_again(&app, body),
        _ => body,
    })
}

/// One page of a tab as its JSON body (a [`CouponPage`]), kept with the wallet.
pub async fn page(
    app: &SharedApp,
    session: &Session,
    tab: Tab,
    offset: usize,
    limit: usize,
) -> Result<bytes::Bytes, ApiError> {
    let (mut wallet, freshness) = session_wallet(app, session).await?;
    if tab == Tab::Expired && wallet.expired_pending && freshness == Freshness::Fresh {
        let sources = app.wallet_sources();
        let fetch = || async { sources.fetch_expired(&session.openid).await };
        wallet = app.wallets.with_expired(&session.openid, wallet, fetch).await?;
    }
    let now = now();
    let key = PageKey { tab, offset, limit, stale: freshness == Freshness::Stale };
    if let Some(body) = wallet.page(&key, now) {
        return Ok(body);
    }
    let (selected, mut counts) = select(&wallet.coupons, tab, now);
    counts.expired_pending = wallet.expired_pending;
    let page: Vec<Coupon> =
        selected.iter().skip(offset).take(limit).map(|c| (*c).clone()).collect();
    let page = CouponPage {
        coupons: page,
        total: selected.len(),
        offset,
        limit,
        counts,
        stale: key.stale,
        skipped: wallet.skipped,
        missing: wallet.missing.clone(),
        truncated: wallet.truncated,
    };
    let body = serde_json::to_vec(&page)
        .map_err(|e| ApiError::Upstream(UpstreamError::Malformed(e.to_string())))?;
    let body = bytes::Bytes::from(body);
    let valid_until = wallet.coupons.iter().filter_map(|c| availability(c, now).changes_at()).min();
    wallet.keep_page(key, body.clone(), valid_until);
    Ok(body)
}

fn json_body(body: bytes::Bytes) -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
}

pub async fn detail(
    session: Session,
    State(app): State<SharedApp>,
    Path((source, id)): Path<(String, String)>,
) -> Result<Json<CouponDetail>, ApiError> {
    let source = coupon_ref(&source, &id)?;
    // Read fresh (查询用户单张券详情, 查询代金券详情), so a coupon used at a till or on another
    // device shows as used: the user decides on what this sheet shows.
    let known = session.read_along.as_ref().map(Option::as_deref);
    let version = app.wallets.version(&session.openid, known).await?;
    match fresh_detail(&app, &session.openid, source, &id, version).await {
        Ok(coupon) => Ok(Json(CouponDetail { coupon, stale: false })),
        // Not found, or the merchant's setup refused: the stale copy would hide the cause.
        Err(e) if e.is_refusal() => Err(ApiError::from(e)),
        // Upstream trouble: the copy in the user's wallet, marked stale, is better than nothing.
        Err(e) => {
            let wallet =
                app.wallets.last_known(&session.openid).await?.ok_or_else(|| ApiError::from(e))?;
            let coupon = wallet
                .coupons
                .iter()
                .find(|c| c.source == source && c.id == id)
                .ok_or(ApiError::NotFound)?;
            Ok(Json(CouponDetail { coupon: coupon.clone(), stale: true }))
        }
    }
}

/// The source and id of a coupon's path, checked before anything is asked upstream.
pub fn coupon_ref(source: &str, id: &str) -> Result<Source, ApiError> {
    if id.is_empty()
        || id.len() > 64
        || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::InvalidParameter("券号格式不正确".into()));
    }
    match source {
        "merchant" => Ok(Source::Merchant),
        "stock" => Ok(Source::Stock),
        _ => Err(ApiError::InvalidParameter("source 只能是 merchant 或 stock".into())),
    }
}

/// One coupon from upstream, kept a few seconds while the user's wallet keeps its `version`
/// (a notification, a redemption or a claim on any instance changes it), so an open sheet,
/// pushed or polling, costs one upstream call per few seconds and sees a change at once.
pub async fn fresh_detail(
    app: &SharedApp,
    openid: &str,
    source: Source,
    id: &str,
    version: Option<Vec<u8>>,
) -> Result<Coupon, UpstreamError> {
    let key = (source, openid.to_owned(), id.to_owned());
    match app.details.get(&key).await {
        Some((kept, coupon)) if kept == version => return Ok(coupon),
        Some(_) => app.details.invalidate(&key).await,
        None => {}
    }
    // Only a fetch is kept (a hit does not renew the entry); concurrent reads share one fetch.
    let fetch = async {
        let appid = &app.settings.identity.appid;
        let coupon = match source {
            Source::Merchant => app.upstream.merchant_coupon(openid, appid, id).await?,
            Source::Stock => app.upstream.stock_coupon(openid, appid, id).await?,
        };
        let coupon = app.wallet_sources().with_goods(coupon).await;
        Ok::<_, UpstreamError>((wallet_told(app, openid, &coupon).await.unwrap_or(version), coupon))
    };
    app.details.try_get_with(key, fetch).await.map(|(_, c)| c).map_err(|e| (*e).clone())
}

/// When the wallet still lists `fresh` in another state (no notification came, or none is
/// set up), every instance fetches it again: the list agrees with the sheet. The new version.
async fn wallet_told(app: &SharedApp, openid: &str, fresh: &Coupon) -> Option<Option<Vec<u8>>> {
    let wallet = app.wallets.last_known(openid).await.ok()??;
    let listed = wallet.coupons.iter().find(|c| c.source == fresh.source && c.id == fresh.id)?;
    if listed.state == fresh.state {
        return None;
    }
    if let Err(e) = app.wallets.invalidate(openid).await {
        tracing::warn!(error = %e, "could not mark the wallet changed");
        return None;
    }
    app.wallets.version(openid, None).await.ok()
}

/// The user's whole wallet, from cache or upstream (`known`: its version as read with the
/// session, see `Session::read_along`).
pub async fn wallet(
    app: &SharedApp,
    openid: &str,
    known: Option<Option<&[u8]>>,
) -> Result<(std::sync::Arc<Wallet>, Freshness), ApiError> {
    let sources = app.wallet_sources();
    let fetch = || async {
        sources.user_fetch_allowed(openid).await?;
        sources.fetch(openid).await
    };
    Ok(app.wallets.get_or_fetch(openid, known, fetch).await?)
}

/// [`wallet`] of the session's user, with what the session read along.
pub async fn session_wallet(
    app: &SharedApp,
    session: &Session,
) -> Result<(std::sync::Arc<Wallet>, Freshness), ApiError> {
    wallet(app, &session.openid, session.read_along.as_ref().map(Option::as_deref)).await
}
