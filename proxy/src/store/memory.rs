//! The in-memory store: one process, bounded (a byte budget, every entry with its time to
//! live) and O(1) per operation, on moka's concurrent cache.

use super::{Counts, PerMinute, Store, StoreResult};
use moka::future::Cache;
use moka::Expiry;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone)]
struct Entry {
    value: Arc<Vec<u8>>,
    ttl: Duration,
}

/// Each entry expires its own time to live after it was written.
struct PerEntry;

impl Expiry<String, Entry> for PerEntry {
    fn expire_after_create(&self, _: &String, e: &Entry, _: Instant) -> Option<Duration> {
        Some(e.ttl)
    }

    fn expire_after_update(
        &self,
        _: &String,
        e: &Entry,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(e.ttl)
    }
}

pub struct MemoryStore {
    entries: Cache<String, Entry>,
    /// Counters apart, as atomics: a rate limit counts on every request, and an atomic add is
    /// far cheaper than a compute on the cache (the cached path's throughput doubled).
    counters: moka::sync::Cache<String, Arc<(AtomicU64, Duration)>>,
}

/// A counter lives its window from its first count.
struct CounterWindow;

impl Expiry<String, Arc<(AtomicU64, Duration)>> for CounterWindow {
    fn expire_after_create(
        &self,
        _: &String,
        c: &Arc<(AtomicU64, Duration)>,
        _: Instant,
    ) -> Option<Duration> {
        Some(c.1)
    }
}

impl MemoryStore {
    /// A store of at most `max_bytes` of keys and values (the least used go first when full).
    pub fn new(max_bytes: u64) -> MemoryStore {
        let weigher =
            |k: &String, e: &Entry| u32::try_from(k.len() + e.value.len() + 64).unwrap_or(u32::MAX);
        MemoryStore {
            entries: Cache::builder()
                .max_capacity(max_bytes)
                .initial_capacity(1 << 16)
                .weigher(weigher)
                .expire_after(PerEntry)
                .build(),
            // Weighed by bytes like the entries: a counter's key is as long as what it counts.
            counters: moka::sync::Cache::builder()
                .max_capacity(max_bytes / 4)
                .weigher(|k: &String, _: &Arc<(AtomicU64, Duration)>| {
                    u32::try_from(k.len() + 64).unwrap_or(u32::MAX)
                })
                .expire_after(CounterWindow)
                .build(),
        }
    }
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.entries.get(key).await.map(|e| e.value.as_ref().clone()))
    }

    async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<()> {
        self.entries.insert(key.to_owned(), Entry { value: Arc::new(value), ttl }).await;
        Ok(())
    }

    async fn set_if_absent(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<bool> {
        let entry = self
            .entries
            .entry(key.to_owned())
            .or_insert(Entry { value: Arc::new(value), ttl })
            .await;
        Ok(entry.is_fresh())
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.entries.invalidate(key).await;
        Ok(())
    }

    async fn delete_if_equal(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        use moka::ops::compute::Op;
        let value = value.to_vec();
        self.entries
            .entry(key.to_owned())
            .and_compute_with(|e| {
                let op = match e {
                    Some(e) if e.value().value.as_slice() == value.as_slice() => Op::Remove,
                    _ => Op::Nop,
                };
                std::future::ready(op)
            })
            .await;
        Ok(())
    }

    async fn count(&self, counter: &PerMinute) -> StoreResult<Counts> {
        let current = self
            .counters
            .get_with_by_ref(&counter.current, || Arc::new((AtomicU64::new(0), PerMinute::WINDOW)));
        let this_minute = current.0.fetch_add(1, Ordering::Relaxed) + 1;
        let last_minute =
            self.counters.get(&counter.previous).map_or(0, |c| c.0.load(Ordering::Relaxed));
        Ok(Counts { this_minute, last_minute })
    }

    async fn increment_below(
        &self,
        key: &str,
        ceiling: u64,
        window: Duration,
    ) -> StoreResult<Option<u64>> {
        let counter = self.counters.get_with_by_ref(key, || Arc::new((AtomicU64::new(0), window)));
        let counted = counter
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| (n < ceiling).then_some(n + 1));
        Ok(counted.ok().map(|n| n + 1))
    }

    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }

    fn kind(&self) -> coupon_rules::api::StoreKind {
        coupon_rules::api::StoreKind::Memory
    }
}
