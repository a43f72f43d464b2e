//! The in-memory store: one process, bounded (a byte budget, every entry with its time to
//! live) and O(1) per operation, on moka's concurrent cache.

use super::{Store, StoreResult};
use moka::future::Cache;
use moka::Expiry;
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

    fn expire_after_update(&self, _: &String, e: &Entry, _: Instant, _: Option<Duration>) -> Option<Duration> {
        Some(e.ttl)
    }
}

pub struct MemoryStore {
    entries: Cache<String, Entry>,
}

impl MemoryStore {
    /// A store of at most `max_bytes` of keys and values (the least used go first when full).
    pub fn new(max_bytes: u64) -> MemoryStore {
        let weigher = |k: &String, e: &Entry| u32::try_from(k.len() + e.value.len() + 64).unwrap_or(u32::MAX);
        MemoryStore { entries: Cache::builder().max_capacity(max_bytes).initial_capacity(1 << 16).weigher(weigher).expire_after(PerEntry).build() }
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
        let entry = self.entries.entry(key.to_owned()).or_insert(Entry { value: Arc::new(value), ttl }).await;
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

    async fn increment(&self, key: &str, window: Duration) -> StoreResult<u64> {
        use moka::ops::compute::Op;
        let result = self
            .entries
            .entry(key.to_owned())
            .and_compute_with(|e| {
                let next = e.and_then(|e| std::str::from_utf8(&e.value().value).ok()?.parse::<u64>().ok()).unwrap_or(0) + 1;
                // The window counts from the first hit: an update keeps the remaining time.
                std::future::ready(Op::Put(Entry { value: Arc::new(next.to_string().into_bytes()), ttl: window }))
            })
            .await;
        let count = match result {
            moka::ops::compute::CompResult::Inserted(e) | moka::ops::compute::CompResult::ReplacedWith(e) => {
                std::str::from_utf8(&e.value().value).ok().and_then(|s| s.parse().ok()).unwrap_or(1)
            }
            _ => 1,
        };
        Ok(count)
    }

    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}
