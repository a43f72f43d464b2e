//! Listing a user's coupons (商家券 + 代金券 + 消费金, merged) and one coupon's detail.

use super::ApiQuery;
use crate::cache::{Freshness, PageKey, Wallet};
use crate::clock::now;
use crate::error::ApiError;
use crate::session::Session;
use crate::upstream::{MerchantQuery, StockQuery, UpstreamError};
use crate::SharedApp;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use coupon_rules::api::{CouponDetail, CouponPage, MissingSource, WalletSource};
use coupon_rules::wallet::{select, Tab};
use coupon_rules::wire::Page;
use coupon_rules::{availability, Coupon, Source};

/// Upstream page size. The most pages read per query is `Settings::max_upstream_pages`.
const UPSTREAM_PAGE: u64 = 50;
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
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::InvalidParameter(format!("limit: 取值范围为 1–{MAX_LIMIT}")));
    }
    if offset > MAX_OFFSET {
        return Err(ApiError::InvalidParameter(format!("offset: 取值范围为 0–{MAX_OFFSET}")));
    }
    let (wallet, freshness) = session_wallet(&app, &session).await?;
    let now = now();
    let key = PageKey { tab, offset, limit, stale: freshness == Freshness::Stale };
    if let Some(body) = wallet.page(&key, now) {
        return Ok(json_body(body));
    }
    let (selected, counts) = select(&wallet.coupons, tab, now);
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
    Ok(json_body(body))
}

fn json_body(body: bytes::Bytes) -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
}

pub async fn detail(
    session: Session,
    State(app): State<SharedApp>,
    Path((source, id)): Path<(String, String)>,
) -> Result<Json<CouponDetail>, ApiError> {
    if id.is_empty()
        || id.len() > 64
        || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::InvalidParameter("券号格式不正确".into()));
    }
    let source = match source.as_str() {
        "merchant" => Source::Merchant,
        "stock" => Source::Stock,
        _ => return Err(ApiError::InvalidParameter("source 只能是 merchant 或 stock".into())),
    };
    if source == Source::Merchant {
        // Read fresh through 查询用户单张券详情 (kept a few seconds), so a coupon used on
        // another device shows as used.
        let key = (session.openid.clone(), id.clone());
        // Only a fetch is kept (a hit does not renew the entry); concurrent reads share one fetch.
        let fetch = async {
            app.upstream
                .merchant_coupon(&session.openid, &app.settings.appid, &id)
                .await
                .map(|c| with_goods(&app, c))
        };
        match app.details.try_get_with(key, fetch).await.map_err(|e| (*e).clone()) {
            Ok(coupon) => return Ok(Json(CouponDetail { coupon, stale: false })),
            // Not found, or the merchant's setup refused: the stale copy would hide the cause.
            Err(e @ UpstreamError::Rejected { status: 400..=499, .. }) if !matches!(&e, UpstreamError::Rejected { code, .. } if code == "FREQUENCY_LIMITED" || code == "SYSTEM_ERROR") =>
            {
                return Err(ApiError::from(e));
            }
            // Upstream trouble: the copy in the user's wallet, marked stale, is better than nothing.
            Err(e) => {
                let wallet = app
                    .wallets
                    .last_known(&session.openid)
                    .await?
                    .ok_or_else(|| ApiError::from(e))?;
                let coupon = wallet
                    .coupons
                    .iter()
                    .find(|c| c.source == source && c.id == id)
                    .ok_or(ApiError::NotFound)?;
                return Ok(Json(CouponDetail { coupon: coupon.clone(), stale: true }));
            }
        }
    }
    let (wallet, freshness) = session_wallet(&app, &session).await?;
    let coupon = wallet
        .coupons
        .iter()
        .find(|c| c.source == source && c.id == id)
        .ok_or(ApiError::NotFound)?;
    Ok(Json(CouponDetail { coupon: coupon.clone(), stale: freshness == Freshness::Stale }))
}

/// The user's whole wallet, from cache or upstream (`known`: its version as read with the
/// session, see `Session::read_along`).
pub async fn wallet(
    app: &SharedApp,
    openid: &str,
    known: Option<Option<&[u8]>>,
) -> Result<(std::sync::Arc<Wallet>, Freshness), ApiError> {
    let fetch = || async {
        user_fetch_allowed(app, openid).await?;
        fetch_wallet(app, openid).await
    };
    Ok(app.wallets.get_or_fetch(openid, known, fetch).await?)
}

/// Upstream fetches of one user's wallet per minute, whatever sessions ask (a user with several
/// sessions, or a client looping): past it the last good wallet is served, or UPSTREAM_BUSY.
async fn user_fetch_allowed(app: &SharedApp, openid: &str) -> Result<(), UpstreamError> {
    let minute = (now().unix_millis() / 60_000).to_string();
    let count = app
        .store
        .increment(
            &crate::store::key(&["user-fetches", &crate::store::user(openid), &minute]),
            std::time::Duration::from_secs(120),
        )
        .await;
    // A store that cannot count does not stop the wallet.
    match count {
        Ok(n) if n > u64::from(app.settings.user_fetches_per_minute) => {
            Err(UpstreamError::Throttled)
        }
        _ => Ok(()),
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct SetupFailure {
    status: u16,
    code: String,
    message: String,
}

fn setup_failure_key(creator: &str, business_type: Option<&str>) -> String {
    crate::store::key(&["setup-failure", "stock", creator, business_type.unwrap_or("-")])
}

/// The setup failure remembered for a creator's queries, if any.
async fn known_setup_failure(
    app: &SharedApp,
    creator: &str,
    business_type: Option<&str>,
) -> Option<UpstreamError> {
    let stored = app.store.get(&setup_failure_key(creator, business_type)).await.ok().flatten()?;
    let f: SetupFailure = serde_json::from_slice(&stored).ok()?;
    Some(UpstreamError::Rejected {
        status: f.status,
        code: f.code,
        message: f.message,
        signed: true,
    })
}

/// A query WeChat Pay refused for the merchant's setup (a partner that has not authorised it,
/// …) is not asked again for `--setup-failure-ttl-secs`: every user's wallet would ask and fail
/// the same way.
async fn remember_setup_failure(
    app: &SharedApp,
    creator: &str,
    business_type: Option<&str>,
    e: &UpstreamError,
) {
    if let UpstreamError::Rejected { status, code, message, .. } = e {
        let f = SetupFailure { status: *status, code: code.clone(), message: message.clone() };
        if let Ok(body) = serde_json::to_vec(&f) {
            let _ = app
                .store
                .set(
                    &setup_failure_key(creator, business_type),
                    body,
                    app.settings.setup_failure_ttl,
                )
                .await;
        }
    }
}

/// [`wallet`] of the session's user, with what the session read along.
async fn session_wallet(
    app: &SharedApp,
    session: &Session,
) -> Result<(std::sync::Arc<Wallet>, Freshness), ApiError> {
    wallet(app, &session.openid, session.read_along.as_ref().map(Option::as_deref)).await
}

/// A 单品券 with the goods the merchant configured for its stock.
fn with_goods(app: &SharedApp, mut c: Coupon) -> Coupon {
    if c.single_item {
        c.goods_ids = app.settings.single_item_goods.get(&c.stock_id).cloned().unwrap_or_default();
    }
    c
}

/// What one source's queries gave: their pages and whether a query hit the page cap, or the
/// first failure.
type SourceResult = Result<(Vec<Page>, bool), UpstreamError>;

/// Reads the three sources concurrently, every page of every query, and merges them without
/// duplicates. A source that fails is reported in `missing` and the others are served; only
/// when all three fail is it an error.
async fn fetch_wallet(app: &SharedApp, openid: &str) -> Result<Wallet, UpstreamError> {
    let appid = app.settings.appid.as_str();
    let mchid = app.settings.mchid.as_str();
    let max_pages = app.settings.max_upstream_pages;
    let merchant = all_pages(max_pages, |offset| {
        let q = MerchantQuery {
            creator_merchant: Some(mchid.to_owned()),
            offset,
            limit: UPSTREAM_PAGE,
            ..Default::default()
        };
        async move { app.upstream.merchant_coupons(openid, appid, &q).await }
    });
    let (stock, balance) =
        tokio::join!(stock_source(app, openid, None), stock_source(app, openid, Some("MULTIUSE")));
    let merchant = merchant.await;
    let sources = [
        (WalletSource::Merchant, merchant),
        (WalletSource::Stock, stock),
        (WalletSource::Balance, balance),
    ];
    if let [(_, Err(e)), (_, Err(_)), (_, Err(_))] = &sources {
        return Err(e.clone());
    }
    let mut coupons = Vec::new();
    let mut skipped = 0;
    let mut missing = Vec::new();
    let mut truncated = false;
    let mut seen = std::collections::HashSet::new();
    for (source, result) in sources {
        let pages = match result {
            Ok((pages, capped)) => {
                truncated |= capped;
                pages
            }
            Err(e) => {
                tracing::warn!(source = ?source, error = %e, "a coupon source failed; serving the others");
                missing.push(MissingSource { source, error: ApiError::from(e).info() });
                continue;
            }
        };
        for page in pages {
            for e in &page.rejected {
                tracing::warn!(error = %e, "skipped an unreadable coupon from upstream");
            }
            skipped += page.rejected.len();
            for c in page.coupons {
                if seen.insert((c.source, c.id.clone())) {
                    coupons.push(with_goods(app, c));
                }
            }
        }
    }
    let mut wallet = Wallet::new(coupons, skipped);
    wallet.missing = missing;
    wallet.truncated = truncated;
    Ok(wallet)
}

/// 代金券 (or, with `MULTIUSE`, 消费金): the merchant's own stocks (every state but expired,
/// then the expired ones), its partners' likewise, and everything usable here whoever
/// created it (document 000's `available_mchid`, which returns usable coupons only, unpaged).
async fn stock_source(
    app: &SharedApp,
    openid: &str,
    business_type: Option<&'static str>,
) -> SourceResult {
    let appid = app.settings.appid.as_str();
    let creators: Vec<&str> = std::iter::once(app.settings.mchid.as_str())
        .chain(app.settings.partner_mchids.iter().map(String::as_str))
        .collect();
    // One query refused for the setup fails the source: asking the others would only cost calls.
    for creator in &creators {
        if let Some(e) = known_setup_failure(app, creator, business_type).await {
            return Err(e);
        }
    }
    let queries: Vec<(&str, Option<&'static str>)> =
        creators.iter().flat_map(|c| [(*c, None), (*c, Some("EXPIRED"))]).collect();
    let by_creator = queries.iter().map(|&(creator, status)| {
        all_pages(app.settings.max_upstream_pages, move |offset| {
            let q = StockQuery {
                creator_mchid: Some(creator.to_owned()),
                status,
                business_type,
                offset,
                limit: UPSTREAM_PAGE,
                ..Default::default()
            };
            async move { app.upstream.stock_coupons(openid, appid, &q).await }
        })
    });
    let usable_here = async {
        let q = StockQuery {
            available_mchid: Some(app.settings.mchid.clone()),
            business_type,
            ..Default::default()
        };
        app.upstream.stock_coupons(openid, appid, &q).await.map(|p| (vec![p], false))
    };
    let (by_creator, usable_here) =
        tokio::join!(futures_util::future::join_all(by_creator), usable_here);
    for ((creator, _), r) in queries.iter().zip(&by_creator) {
        if let Err(e) = r {
            if crate::error::is_setup_failure(e) {
                remember_setup_failure(app, creator, business_type, e).await;
            }
        }
    }
    let mut pages = Vec::new();
    let mut capped = false;
    for r in by_creator.into_iter().chain([usable_here]) {
        let (more, cap) = r?;
        pages.extend(more);
        capped |= cap;
    }
    Ok((pages, capped))
}

async fn all_pages<F, Fut>(max_pages: u64, fetch: F) -> SourceResult
where
    F: Fn(u64) -> Fut,
    Fut: std::future::Future<Output = Result<Page, UpstreamError>>,
{
    let mut pages = Vec::new();
    let mut offset = 0;
    for _ in 0..max_pages {
        let page = fetch(offset).await?;
        let read = (page.coupons.len() + page.rejected.len()) as u64;
        let total = page.total_count;
        pages.push(page);
        offset += read;
        if read == 0 || offset >= total {
            return Ok((pages, false));
        }
    }
    Ok((pages, true))
}
