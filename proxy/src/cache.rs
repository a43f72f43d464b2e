//! A user's coupons, cached briefly in the state store. Identical concurrent requests for one
//! user, on any instance, wait for a single upstream fetch (single flight); when upstream
//! fails, recent data is served marked stale instead of an error.

use crate::store::{key, Store, StoreError};
use crate::upstream::UpstreamError;
use coupon_rules::{BeijingTime, Coupon};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Everything the proxy knows of one user's coupons.
#[derive(Debug, Default)]
pub struct Wallet {
    pub coupons: Vec<Coupon>,
    /// Upstream items that could not be read (logged; the rest are served).
    pub skipped: usize,
    /// Sources that failed this time; the wallet holds the others' coupons.
    pub missing: Vec<coupon_rules::api::MissingSource>,
    /// A source had more pages than the proxy reads.
    pub truncated: bool,
    /// The expired-state queries were left for when 已过期 is opened (a cold first screen asks
    /// upstream only for what 可用 needs): the 已过期 count is not known yet.
    pub expired_pending: bool,
    /// Response bodies already made from these coupons, by request, each good until the
    /// first instant a coupon's availability changes (which can move or reorder it).
    pages: Mutex<HashMap<PageKey, (bytes::Bytes, Option<BeijingTime>)>>,
}

/// A list request as the page cache tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub tab: coupon_rules::wallet::Tab,
    pub offset: usize,
    pub limit: usize,
    pub stale: bool,
}

/// How many bodies one wallet keeps (a user paging through offsets cannot grow it further).
const MAX_PAGES: usize = 64;

impl Wallet {
    pub fn new(coupons: Vec<Coupon>, skipped: usize) -> Wallet {
        Wallet {
            coupons,
            skipped,
            missing: Vec::new(),
            truncated: false,
            expired_pending: false,
            pages: Mutex::new(HashMap::new()),
        }
    }

    /// A body made earlier for `key` that is still right at `now`.
    pub fn page(&self, key: &PageKey, now: BeijingTime) -> Option<bytes::Bytes> {
        let pages = self.pages.lock().expect("pages lock");
        pages.get(key).filter(|(_, until)| until.is_none_or(|u| now < u)).map(|(b, _)| b.clone())
    }

    pub fn keep_page(&self, key: PageKey, body: bytes::Bytes, valid_until: Option<BeijingTime>) {
        let mut pages = self.pages.lock().expect("pages lock");
        if pages.len() < MAX_PAGES || pages.contains_key(&key) {
            pages.insert(key, (body, valid_until));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    /// Upstream failed; this is the last good answer.
    Stale,
}

/// A wallet as the store keeps it (JSON at `cw:v2:wallet:{tag}openid`).
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    /// When it was fetched, Unix milliseconds: also its version.
    fetched: i64,
    coupons: Vec<Coupon>,
    skipped: usize,
    missing: Vec<coupon_rules::api::MissingSource>,
    truncated: bool,
    #[serde(default)]
    expired_pending: bool,
}

impl Stored {
    fn into_wallet(self) -> Wallet {
        let mut wallet = Wallet::new(self.coupons, self.skipped);
        wallet.missing = self.missing;
        wallet.truncated = self.truncated;
        wallet.expired_pending = self.expired_pending;
        wallet
    }
}

/// How long a wallet with a source missing counts as fresh (at most the cache TTL).
const PARTIAL_TTL: Duration = Duration::from_secs(10);

/// Each user's wallet, shared through the store: the body at `wallet:{openid}` (kept for the
/// stale window), and its version at `wallet-fresh:{openid}` (kept for the fresh window; a
/// change replaces it with a mark that matches no wallet). Every instance keeps the wallets it
/// has read in a bounded local cache and asks the store only for the version, so the cached
/// path costs one small read.
pub struct WalletCache {
    ttl: Duration,
    stale_ttl: Duration,
    store: Arc<dyn Store>,
    local: moka::future::Cache<String, (i64, Arc<Wallet>)>,
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// How long one instance holds the fetch lock of a user before another may take over.
const LOCK_TTL: Duration = Duration::from_secs(10);
/// How long a request waits for another instance's fetch before fetching itself.
const WAIT_FOR_OTHERS: Duration = Duration::from_secs(5);

/// A wallet read or fetched, or why not.
#[derive(Debug)]
pub enum CacheError {
    Upstream(UpstreamError),
    Store(StoreError),
}

impl From<StoreError> for CacheError {
    fn from(e: StoreError) -> Self {
        CacheError::Store(e)
    }
}

impl WalletCache {
    pub fn new(ttl: Duration, stale_ttl: Duration, store: Arc<dyn Store>) -> Self {
        // Bounded by coupons held (about a kilobyte each), not by users.
        let local = moka::future::Cache::builder()
            .max_capacity(20_000)
            .weigher(|_: &String, (_, w): &(i64, Arc<Wallet>)| {
                u32::try_from(w.coupons.len() + 1).unwrap_or(u32::MAX)
            })
            .time_to_live(stale_ttl.max(Duration::from_secs(1)))
            .build();
        WalletCache { ttl, stale_ttl, store, local, flights: Mutex::new(HashMap::new()) }
    }

    /// Where the store keeps the version of `openid`'s fresh wallet (absent when it must be
    /// fetched again).
    pub fn freshness_key(openid: &str) -> String {
        key(&["wallet-fresh", &crate::store::user(openid)])
    }

    /// The fresh wallet of `openid`, if the store says there is one (`known`: the version
    /// already read from the store in this request, see `Sessions::reading_along`).
    async fn fresh(
        &self,
        openid: &str,
        known: Option<Option<&[u8]>>,
    ) -> Result<Option<Arc<Wallet>>, StoreError> {
        let read;
        let version = match known {
            Some(version) => version,
            None => {
                read = self.store.get(&Self::freshness_key(openid)).await?;
                read.as_deref()
            }
        };
        let Some(version) = version else { return Ok(None) };
        let version: i64 =
            std::str::from_utf8(version).ok().and_then(|v| v.parse().ok()).unwrap_or(-1);
        Ok(self.load(openid, Some(version)).await?.map(|(_, w)| w))
    }

    /// The stored wallet if it is no older than the stale window.
    async fn within_stale_window(&self, openid: &str) -> Result<Option<Arc<Wallet>>, StoreError> {
        let limit = i64::try_from(self.stale_ttl.as_millis()).unwrap_or(i64::MAX);
        Ok(self
            .load(openid, None)
            .await?
            .filter(|(fetched, _)| crate::clock::now().unix_millis() - fetched <= limit)
            .map(|(_, w)| w))
    }

    /// The stored wallet (of `version`, if given), through the local cache.
    async fn load(
        &self,
        openid: &str,
        version: Option<i64>,
    ) -> Result<Option<(i64, Arc<Wallet>)>, StoreError> {
        if let Some((v, w)) = self.local.get(openid).await {
            if version.is_none_or(|want| want == v) {
                return Ok(Some((v, w)));
            }
        }
        let Some(body) = self.store.get(&key(&["wallet", &crate::store::user(openid)])).await?
        else {
            return Ok(None);
        };
        let Ok(stored) = serde_json::from_slice::<Stored>(&body) else { return Ok(None) };
        if version.is_some_and(|want| want != stored.fetched) {
            return Ok(None);
        }
        let fetched = stored.fetched;
        let wallet = Arc::new(stored.into_wallet());
        self.local.insert(openid.to_owned(), (fetched, wallet.clone())).await;
        Ok(Some((fetched, wallet)))
    }

    async fn keep(&self, openid: &str, wallet: Wallet) -> Result<Arc<Wallet>, StoreError> {
        let fetched = crate::clock::now().unix_millis();
        let stored = Stored {
            fetched,
            coupons: wallet.coupons,
            skipped: wallet.skipped,
            missing: wallet.missing,
            truncated: wallet.truncated,
            expired_pending: wallet.expired_pending,
        };
        let body = serde_json::to_vec(&stored).map_err(|e| StoreError(e.to_string()))?;
        self.store
            .set(&key(&["wallet", &crate::store::user(openid)]), body, self.stale_ttl.max(self.ttl))
            .await?;
        // A wallet with a source refused for good (a partner's NOAUTH) is kept fresh briefly: not
        // asked again by every request. One missing a source for a passing reason (a timeout,
        // perhaps of a fetch that began before an invalidation) is asked again at once.
        let fresh_for = match stored.missing.is_empty() {
            true => self.ttl,
            false if stored.missing.iter().all(|m| !m.error.retryable) => self.ttl.min(PARTIAL_TTL),
            false => Duration::ZERO,
        };
        if !fresh_for.is_zero() {
            self.store
                .set(&Self::freshness_key(openid), fetched.to_string().into_bytes(), fresh_for)
                .await?;
        }
        let wallet = Arc::new(stored.into_wallet());
        self.local.insert(openid.to_owned(), (fetched, wallet.clone())).await;
        Ok(wallet)
    }

    /// The user's wallet: fresh from the store, or fetched once across every instance (a
    /// lock with an owner token in the store, and a local single flight in front of it); when
    /// the fetch fails, the last good one marked stale. `known`: the wallet's version as this
    /// request already read it from the store, if it did.
    pub async fn get_or_fetch<F, Fut>(
        &self,
        openid: &str,
        known: Option<Option<&[u8]>>,
        fetch: F,
    ) -> Result<(Arc<Wallet>, Freshness), CacheError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Wallet, UpstreamError>>,
    {
        if let Some(w) = self.fresh(openid, known).await? {
            crate::metrics::wallet_cache("hit");
            return Ok((w, Freshness::Fresh));
        }
        self.in_turn(openid, self.fetch_once(openid, fetch)).await
    }

    async fn fetch_once<F, Fut>(
        &self,
        openid: &str,
        fetch: F,
    ) -> Result<(Arc<Wallet>, Freshness), CacheError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Wallet, UpstreamError>>,
    {
        let lock = key(&["lock", "wallet", &crate::store::user(openid)]);
        let owner = crate::token::random_token();
        let waited_since = Instant::now();
        loop {
            // Whoever held the turn or the lock before us may have filled it.
            if let Some(w) = self.fresh(openid, None).await? {
                crate::metrics::wallet_cache("hit");
                return Ok((w, Freshness::Fresh));
            }
            if self.store.set_if_absent(&lock, owner.clone().into_bytes(), LOCK_TTL).await?
                || waited_since.elapsed() > WAIT_FOR_OTHERS
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        crate::metrics::wallet_cache("miss");
        let result = fetch().await;
        let answer = match result {
            Ok(wallet) => self
                .keep(openid, wallet)
                .await
                .map(|w| (w, Freshness::Fresh))
                .map_err(CacheError::from),
            Err(e) => match self.within_stale_window(openid).await? {
                Some(w) => {
                    crate::metrics::wallet_cache("stale");
                    tracing::warn!(error = %e, "serving stale coupons");
                    Ok((w, Freshness::Stale))
                }
                None => Err(CacheError::Upstream(e)),
            },
        };
        self.store.delete_if_equal(&lock, owner.as_bytes()).await?;
        answer
    }

    /// `wallet` with its expired-state part read (`fetch`, once at a time per user), kept as a
    /// new version unless the wallet changed meanwhile (then only this request gets it: the
    /// change must not be overwritten).
    pub async fn with_expired<F, Fut>(
        &self,
        openid: &str,
        wallet: Arc<Wallet>,
        fetch: F,
    ) -> Result<Arc<Wallet>, CacheError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Wallet, UpstreamError>>,
    {
        // A future does nothing until awaited: `complete` asks upstream only if it must.
        self.in_turn(openid, self.complete(openid, wallet, fetch())).await
    }

    /// Runs `work` on `openid`'s wallet once this instance's earlier work on it has ended.
    async fn in_turn<T>(&self, openid: &str, work: impl Future<Output = T>) -> T {
        let flight = single_flight(&self.flights, openid);
        let _turn = flight.lock().await;
        let result = work.await;
        release(&self.flights, openid, &flight);
        result
    }

    async fn complete(
        &self,
        openid: &str,
        wallet: Arc<Wallet>,
        expired: impl Future<Output = Result<Wallet, UpstreamError>>,
    ) -> Result<Arc<Wallet>, CacheError> {
        let before = self.version(openid, None).await?;
        // Whoever held the turn before may have read it already, or fetched the wallet anew.
        let wallet = match self.fresh(openid, None).await? {
            Some(current) if !current.expired_pending => return Ok(current),
            Some(current) => current,
            None => wallet,
        };
        let expired = expired.await.map_err(CacheError::Upstream)?;
        let seen: std::collections::HashSet<_> =
            wallet.coupons.iter().map(|c| (c.source, c.id.clone())).collect();
        let mut coupons = wallet.coupons.clone();
        coupons.extend(
            expired.coupons.into_iter().filter(|c| !seen.contains(&(c.source, c.id.clone()))),
        );
        let mut merged = Wallet::new(coupons, wallet.skipped + expired.skipped);
        merged.missing = wallet.missing.iter().chain(&expired.missing).cloned().collect();
        merged.truncated = wallet.truncated || expired.truncated;
        if before.is_none() || self.version(openid, None).await? != before {
            return Ok(Arc::new(merged));
        }
        Ok(self.keep(openid, merged).await?)
    }

    /// The wallet as last stored, whatever its age (for a detail when upstream fails).
    pub async fn last_known(&self, openid: &str) -> Result<Option<Arc<Wallet>>, StoreError> {
        self.within_stale_window(openid).await
    }

    /// After a claim, a use or a notification: every instance fetches this user's wallet again
    /// on its next request. The version is replaced by a mark rather than deleted, so whatever
    /// was read under the old version (a coupon's detail) sees a change even when no wallet was
    /// fresh at the time.
    pub async fn invalidate(&self, openid: &str) -> Result<(), StoreError> {
        let mark = format!("changed:{}", crate::token::random_token());
        let keep_for = self.ttl.max(Duration::from_secs(1));
        self.store.set(&Self::freshness_key(openid), mark.into_bytes(), keep_for).await
    }

    /// The wallet's version as the store holds it now (`known`: as already read with the
    /// session): anything derived from the wallet under another version is out of date.
    pub async fn version(
        &self,
        openid: &str,
        known: Option<Option<&[u8]>>,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        match known {
            Some(version) => Ok(version.map(<[u8]>::to_vec)),
            None => self.store.get(&Self::freshness_key(openid)).await,
        }
    }
}

/// The lock that serialises work on `key`.
pub fn single_flight(
    flights: &Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    key: &str,
) -> Arc<tokio::sync::Mutex<()>> {
    flights.lock().expect("flights lock").entry(key.to_owned()).or_default().clone()
}

/// Forgets `key`'s lock once nobody else is waiting on it, so the map does not grow.
pub fn release(
    flights: &Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    key: &str,
    flight: &Arc<tokio::sync::Mutex<()>>,
) {
    let mut map = flights.lock().expect("flights lock");
    // Held by: the map, this caller. Anyone else waiting keeps it alive.
    if Arc::strong_count(flight) <= 2 {
        map.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coupon_rules::wallet::Tab;

    fn key(offset: usize) -> PageKey {
        PageKey { tab: Tab::Available, offset, limit: 20, stale: false }
    }

    #[test]
    fn a_kept_page_is_served_until_a_coupon_changes_and_no_longer() {
        let w = Wallet::new(Vec::new(), 0);
        let change = BeijingTime::from_unix_millis(1_000_000);
        w.keep_page(key(0), bytes::Bytes::from_static(b"{}"), Some(change));
        assert!(w.page(&key(0), change.plus_millis(-1)).is_some());
        assert!(w.page(&key(0), change).is_none(), "from the change on, the page is remade");
        assert!(w.page(&key(20), BeijingTime::from_unix_millis(0)).is_none());
    }

    #[test]
    fn a_wallet_keeps_a_bounded_number_of_pages() {
        let w = Wallet::new(Vec::new(), 0);
        for offset in 0..1_000 {
            w.keep_page(key(offset), bytes::Bytes::from_static(b"{}"), None);
        }
        assert_eq!(w.pages.lock().unwrap().len(), MAX_PAGES);
    }
}
