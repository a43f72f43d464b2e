//! A user's coupons, cached briefly. Identical concurrent requests for one user wait for a
//! single upstream fetch (single flight); when upstream fails, recent data is served marked
//! stale instead of an error.

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
        Wallet { coupons, skipped, missing: Vec::new(), truncated: false, pages: Mutex::new(HashMap::new()) }
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

struct Entry {
    wallet: Arc<Wallet>,
    fetched: Instant,
}

pub struct WalletCache {
    ttl: Duration,
    stale_ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl WalletCache {
    pub fn new(ttl: Duration, stale_ttl: Duration) -> Self {
        WalletCache { ttl, stale_ttl, entries: Mutex::new(HashMap::new()), flights: Mutex::new(HashMap::new()) }
    }

    fn cached(&self, key: &str, max_age: Duration) -> Option<Arc<Wallet>> {
        let entries = self.entries.lock().expect("cache lock");
        entries.get(key).filter(|e| e.fetched.elapsed() < max_age).map(|e| e.wallet.clone())
    }

    pub async fn get_or_fetch<F, Fut>(&self, key: &str, fetch: F) -> Result<(Arc<Wallet>, Freshness), UpstreamError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Wallet, UpstreamError>>,
    {
        if let Some(w) = self.cached(key, self.ttl) {
            crate::metrics::wallet_cache("hit");
            return Ok((w, Freshness::Fresh));
        }
        let flight = single_flight(&self.flights, key);
        let _turn = flight.lock().await;
        // Whoever held the turn before us may have filled the cache.
        if let Some(w) = self.cached(key, self.ttl) {
            crate::metrics::wallet_cache("hit");
            return Ok((w, Freshness::Fresh));
        }
        crate::metrics::wallet_cache("miss");
        let result = fetch().await;
        release(&self.flights, key, &flight);
        match result {
            Ok(wallet) => {
                let wallet = Arc::new(wallet);
                // A wallet with a source missing is served, but the next request asks again.
                let fetched = if wallet.missing.is_empty() { Instant::now() } else { Instant::now().checked_sub(self.ttl).unwrap_or_else(Instant::now) };
                self.entries.lock().expect("cache lock").insert(key.to_owned(), Entry { wallet: wallet.clone(), fetched });
                Ok((wallet, Freshness::Fresh))
            }
            Err(e) => match self.cached(key, self.stale_ttl) {
                Some(w) => {
                    crate::metrics::wallet_cache("stale");
                    tracing::warn!(error = %e, "serving stale coupons");
                    Ok((w, Freshness::Stale))
                }
                None => Err(e),
            },
        }
    }

    pub fn invalidate(&self, key: &str) {
        if let Some(e) = self.entries.lock().expect("cache lock").get_mut(key) {
            // Keep it for stale-if-error, but never serve it as fresh again.
            e.fetched = Instant::now().checked_sub(self.ttl).unwrap_or(e.fetched);
        }
    }
}

/// The lock that serialises work on `key`.
pub fn single_flight(flights: &Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>, key: &str) -> Arc<tokio::sync::Mutex<()>> {
    flights.lock().expect("flights lock").entry(key.to_owned()).or_default().clone()
}

/// Forgets `key`'s lock once nobody else is waiting on it, so the map does not grow.
pub fn release(flights: &Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>, key: &str, flight: &Arc<tokio::sync::Mutex<()>>) {
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
