//! A user's whole wallet as WeChat Pay holds it: 商家券, 代金券 and 消费金 read concurrently,
//! every page of every query, merged without duplicates. A source that fails is reported in
//! `missing` and the others are served; a query refused for the merchant's setup is not asked
//! again for a while; one user's fetches are limited per minute.

use crate::cache::Wallet;
use crate::config::Settings;
use crate::error::{is_setup_failure, ApiError};
use crate::store::{key, user, PerMinute, Store};
use crate::upstream::{Client, MerchantQuery, StockQuery, UpstreamError};
use coupon_rules::api::{MissingSource, WalletSource};
use coupon_rules::wire::Page;
use coupon_rules::{Coupon, Source};
use std::sync::Arc;

/// Upstream page size. The most pages read per query is `Settings::max_upstream_pages`.
const UPSTREAM_PAGE: u64 = 50;

/// 查询可用单品's page size, the most WeChat Pay answers.
const ITEMS_PAGE: u64 = 10;
/// The most 查询可用单品 pages read per stock (the goods past them are left out, with a warning).
const MAX_ITEMS_PAGES: u64 = 50;

/// The goods of each 单品券 stock, by stock id.
pub type GoodsCache = moka::future::Cache<String, Arc<Vec<String>>>;

/// Goods change with the merchant's catalogue, not with each user's visit.
pub fn goods_cache() -> GoodsCache {
    moka::future::Cache::builder()
        .max_capacity(1_000)
        .time_to_live(std::time::Duration::from_secs(300))
        .build()
}

/// What a wallet is read with.
pub struct Sources<'a> {
    pub upstream: &'a Client,
    pub store: &'a dyn Store,
    pub settings: &'a Settings,
    pub goods: &'a GoodsCache,
}

/// What one source's queries gave: their pages and whether a query hit the page cap, or the
/// first failure.
type SourceResult = Result<(Vec<Page>, bool), UpstreamError>;

#[derive(serde::Serialize, serde::Deserialize)]
struct SetupFailure {
    status: u16,
    code: String,
    message: String,
}

fn setup_failure_key(creator: &str, business_type: Option<&str>) -> String {
    key(&["setup-failure", "stock", creator, business_type.unwrap_or("-")])
}

impl Sources<'_> {
    /// Upstream fetches of one user's wallet per minute, whatever sessions ask (a user with several
    /// sessions, or a client looping): past it the last good wallet is served, or UPSTREAM_BUSY.
    pub async fn user_fetch_allowed(&self, openid: &str) -> Result<(), UpstreamError> {
        let counter =
            PerMinute::at(&["user-fetches", &user(openid)], crate::clock::now().unix_millis());
        let count = self.store.count(&counter).await;
        // A store that cannot count does not stop the wallet.
        match count {
            Ok(n) if counter.over(n, u64::from(self.settings.user_fetches_per_minute)) => {
                Err(UpstreamError::Throttled)
            }
            _ => Ok(()),
        }
    }

    /// The setup failure remembered for a creator's queries, if any.
    async fn known_setup_failure(
        &self,
        creator: &str,
        business_type: Option<&str>,
    ) -> Option<UpstreamError> {
        let stored =
            self.store.get(&setup_failure_key(creator, business_type)).await.ok().flatten()?;
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
        &self,
        creator: &str,
        business_type: Option<&str>,
        e: &UpstreamError,
    ) {
        if let UpstreamError::Rejected { status, code, message, .. } = e {
            let f = SetupFailure { status: *status, code: code.clone(), message: message.clone() };
            if let Ok(body) = serde_json::to_vec(&f) {
                let _ = self
                    .store
                    .set(
                        &setup_failure_key(creator, business_type),
                        body,
                        self.settings.setup_failure_ttl,
                    )
                    .await;
            }
        }
    }

    /// A 单品券 with the goods its stock covers: as configured (`--single-item-goods`), else as
    /// 查询可用单品 lists them. Goods that cannot be read leave it 仅限指定商品, never picked.
    pub async fn with_goods(&self, mut c: Coupon) -> Coupon {
        if !c.single_item {
            return c;
        }
        if let Some(goods) = self.settings.single_item_goods.get(&c.stock_id) {
            c.goods_ids = goods.clone();
        } else if c.source == Source::Stock {
            let creator = c.reconciliation.stock_creator_mchid.as_deref();
            let creator = creator.unwrap_or(&self.settings.identity.mchid).to_owned();
            if let Some(goods) = self.stock_goods(&c.stock_id, &creator).await {
                c.goods_ids = goods.to_vec();
            }
        }
        c
    }

    /// Every page of 查询可用单品 for one stock, once per few minutes; a refusal for the setup
    /// (another merchant's stock) is kept as no goods, a passing failure is asked again.
    async fn stock_goods(&self, stock_id: &str, creator: &str) -> Option<Arc<Vec<String>>> {
        if let Some(goods) = self.goods.get(stock_id).await {
            return Some(goods);
        }
        let mut goods = Vec::new();
        let mut pages = 0;
        let read = loop {
            match self.upstream.stock_items(stock_id, creator, goods.len() as u64, ITEMS_PAGE).await
            {
                Ok((page, total)) => {
                    let done = page.is_empty() || goods.len() + page.len() >= total as usize;
                    goods.extend(page);
                    pages += 1;
                    if done || pages == MAX_ITEMS_PAGES {
                        if !done {
                            tracing::warn!(
                                stock_id,
                                read = goods.len(),
                                total,
                                "单品券 goods cut at the page cap"
                            );
                        }
                        break Ok(goods);
                    }
                }
                Err(e) => break Err(e),
            }
        };
        match read {
            Ok(goods) => {
                let goods = Arc::new(goods);
                self.goods.insert(stock_id.to_owned(), goods.clone()).await;
                Some(goods)
            }
            Err(e) => {
                tracing::warn!(stock_id, error = %e, "could not read a 单品券's goods");
                if is_setup_failure(&e) || matches!(e, UpstreamError::Rejected { status: 404, .. })
                {
                    self.goods.insert(stock_id.to_owned(), Arc::default()).await;
                }
                None
            }
        }
    }

    /// Reads what the 可用 tab needs of the three sources, concurrently, every page of every
    /// query, and merges them without duplicates; the expired-state queries are left for
    /// [`Sources::fetch_expired`] (`expired_pending`). A source that fails is reported in
    /// `missing` and the others are served; only when all three fail is it an error.
    pub async fn fetch(&self, openid: &str) -> Result<Wallet, UpstreamError> {
        let appid = self.settings.identity.appid.as_str();
        let mchid = self.settings.identity.mchid.as_str();
        let max_pages = self.settings.max_upstream_pages;
        let merchant = all_pages(max_pages, |offset| {
            let q = MerchantQuery {
                creator_merchant: Some(mchid.to_owned()),
                offset,
                limit: UPSTREAM_PAGE,
                ..Default::default()
            };
            async move { self.upstream.merchant_coupons(openid, appid, &q).await }
        });
        let (stock, balance) = tokio::join!(
            self.stock_source(openid, None, None),
            self.stock_source(openid, Some("MULTIUSE"), None)
        );
        let merchant = merchant.await;
        let mut wallet = self
            .gather(
                openid,
                vec![
                    (WalletSource::Merchant, merchant),
                    (WalletSource::Stock, stock),
                    (WalletSource::Balance, balance),
                ],
            )
            .await?;
        wallet.expired_pending = true;
        Ok(wallet)
    }

    /// The 代金券 and 消费金 in the expired state, by creator: what 已过期 needs beyond
    /// [`Sources::fetch`]; deferred, so under the merchant-wide rate they yield to other users'
    /// first screens.
    pub async fn fetch_expired(&self, openid: &str) -> Result<Wallet, UpstreamError> {
        let (stock, balance) = crate::upstream::deferred(async {
            tokio::join!(
                self.stock_source(openid, None, Some("EXPIRED")),
                self.stock_source(openid, Some("MULTIUSE"), Some("EXPIRED"))
            )
        })
        .await;
        self.gather(openid, vec![(WalletSource::Stock, stock), (WalletSource::Balance, balance)])
            .await
    }

    /// The sources' pages as one wallet without duplicates, the failed ones in `missing`; an
    /// error when every source failed.
    async fn gather(
        &self,
        openid: &str,
        sources: Vec<(WalletSource, SourceResult)>,
    ) -> Result<Wallet, UpstreamError> {
        if let Some(e) = sources.iter().map(|(_, r)| r.as_ref().err()).collect::<Option<Vec<_>>>() {
            return Err(e[0].clone());
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
                        coupons.push(self.with_goods(c).await);
                    }
                }
            }
        }
        crate::notifications::remember_owners(self.store, openid, &coupons).await;
        let mut wallet = Wallet::new(coupons, skipped);
        wallet.missing = missing;
        wallet.truncated = truncated;
        Ok(wallet)
    }

    /// 代金券 (or, with `MULTIUSE`, 消费金): the merchant's own stocks and its partners' (every
    /// state but expired, or with `status` those in it), and, without `status`, everything
    /// usable here whoever created it (document 000's `available_mchid`, which returns usable
    /// coupons only, unpaged).
    async fn stock_source(
        &self,
        openid: &str,
        business_type: Option<&'static str>,
        status: Option<&'static str>,
    ) -> SourceResult {
        let appid = self.settings.identity.appid.as_str();
        let creators: Vec<&str> = std::iter::once(self.settings.identity.mchid.as_str())
            .chain(self.settings.partner_mchids.iter().map(String::as_str))
            .collect();
        // One query refused for the setup fails the source: asking the others would only cost calls.
        for creator in &creators {
            if let Some(e) = self.known_setup_failure(creator, business_type).await {
                return Err(e);
            }
        }
        let queries: Vec<(&str, Option<&'static str>)> =
            creators.iter().map(|c| (*c, status)).collect();
        let by_creator = queries.iter().map(|&(creator, status)| {
            all_pages(self.settings.max_upstream_pages, move |offset| {
                let q = StockQuery {
                    creator_mchid: Some(creator.to_owned()),
                    status,
                    business_type,
                    offset,
                    limit: UPSTREAM_PAGE,
                    ..Default::default()
                };
                async move { self.upstream.stock_coupons(openid, appid, &q).await }
            })
        });
        let usable_here = async {
            if status.is_some() {
                return Ok((Vec::new(), false));
            }
            let q = StockQuery {
                available_mchid: Some(self.settings.identity.mchid.clone()),
                business_type,
                ..Default::default()
            };
            self.upstream.stock_coupons(openid, appid, &q).await.map(|p| (vec![p], false))
        };
        let (by_creator, usable_here) =
            tokio::join!(futures_util::future::join_all(by_creator), usable_here);
        for ((creator, _), r) in queries.iter().zip(&by_creator) {
            if let Err(e) = r {
                if is_setup_failure(e) {
                    self.remember_setup_failure(creator, business_type, e).await;
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
