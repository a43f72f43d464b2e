//! Where the proxy's state lives: sessions and their CSRF tokens, OAuth states, rate-limit
//! counters, the per-user coupon cache and its single-flight locks, and the merchant-wide
//! upstream rate. One small key-value [`Store`] trait, two implementations: [`memory`] (the
//! default: bounded, O(1) per operation, one process) and [`redis`] (shared by several
//! instances). Everything above it (`session.rs`, `cache.rs`) is written once, on the trait.
//!
//! Keys are namespaced and versioned (`cw:v2:…`), values are JSON (serde) or plain counters,
//! so two versions of the proxy can share one Redis during a rolling deploy. A user's keys carry
//! their [`user_tag`] as a Redis Cluster hash tag.

pub mod memory;
pub mod redis;

use std::time::Duration;

/// The namespace every key lives under; bump the version when a value's format changes.
/// (v2: a user's keys carry their hash tag.)
pub const PREFIX: &str = "cw:v2:";

/// The store could not be reached or answered wrongly: requests that need it get a 503.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state store unavailable: {0}")]
pub struct StoreError(pub String);

pub type StoreResult<T> = Result<T, StoreError>;

/// A key-value store with expiry. Every key passed in is already namespaced ([`key`]).
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
    async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<()>;
    /// Sets `key` only if it is absent; whether it was set (single use, locks).
    async fn set_if_absent(&self, key: &str, value: Vec<u8>, ttl: Duration) -> StoreResult<bool>;
    async fn delete(&self, key: &str) -> StoreResult<()>;
    /// Deletes `key` only while it still holds `value` (a lock released by its owner only).
    async fn delete_if_equal(&self, key: &str, value: &[u8]) -> StoreResult<()>;
    /// Counts one request in `counter`'s minute (the counter expires [`PerMinute::WINDOW`]
    /// after its first count) and reads the minute before: both counts. Atomic across every
    /// client of the store.
    async fn count(&self, counter: &PerMinute) -> StoreResult<Counts>;
    /// Adds one to the counter at `key`, which expires `window` after its first count, only
    /// while the count is below `ceiling`: the new count, or `None`
    /// with nothing counted (so a refused caller takes no share of a rate from the others).
    async fn increment_below(
        &self,
        key: &str,
        ceiling: u64,
        window: Duration,
    ) -> StoreResult<Option<u64>>;
    /// [`Store::get`] of each of `keys` and [`Store::count`] of `counter`, in one round trip
    /// where the store allows: every request reads its session (and, on Redis, its user's
    /// wallet version, see `Sessions::reading_along`) and counts against its rate limit.
    async fn get_all_and_count(
        &self,
        keys: &[String],
        counter: &PerMinute,
    ) -> StoreResult<(Vec<Option<Vec<u8>>>, Counts)> {
        let mut values = Vec::with_capacity(keys.len());
        for k in keys {
            values.push(self.get(k).await?);
        }
        Ok((values, self.count(counter).await?))
    }
    /// Whether the store answers now (for `/health`).
    async fn ping(&self) -> StoreResult<()>;
    /// For `/health`.
    fn kind(&self) -> coupon_rules::api::StoreKind;
}

/// A limit per minute counted over a sliding minute: this minute's count plus the last minute's,
/// weighted by the share of it still within the last 60 s. A fixed minute would let a client
/// make twice its limit across a minute's turn. Counted on the [`Store`], not with a rate-limit
/// crate such as governor, whose state lives in one process: every instance sharing a Redis
/// must count the same minute.
#[derive(Debug, Clone)]
pub struct PerMinute {
    current: String,
    previous: String,
    previous_weight: f64,
}

/// A [`PerMinute`] counter's two minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub this_minute: u64,
    pub last_minute: u64,
}

impl PerMinute {
    /// A minute's counter lives through its minute and the next, which reads it.
    pub const WINDOW: Duration = Duration::from_secs(120);

    /// The counter named by `parts` at `now_millis`. On a Redis Cluster both minutes are read
    /// in one round trip, so `parts` must carry a hash tag.
    pub fn at(parts: &[&str], now_millis: i64) -> PerMinute {
        let minute = now_millis.div_euclid(60_000);
        let into_minute = now_millis.rem_euclid(60_000) as f64 / 60_000.0;
        let named = |m: i64| {
            let m = m.to_string();
            let mut all = parts.to_vec();
            all.push(&m);
            key(&all)
        };
        PerMinute {
            current: named(minute),
            previous: named(minute - 1),
            previous_weight: 1.0 - into_minute,
        }
    }

    /// Whether `counts` (this counter's, just counted) are past `limit` in the last 60 s.
    pub fn over(&self, counts: Counts, limit: u64) -> bool {
        counts.this_minute as f64 + counts.last_minute as f64 * self.previous_weight > limit as f64
    }
}

/// The namespaced key for `parts` (`cw:v2:oauth-state:abc`).
pub fn key(parts: &[&str]) -> String {
    let mut k = String::from(PREFIX);
    k.push_str(&parts.join(":"));
    k
}

/// Eight hex digits of SHA-256 of `openid`: every key of one user (sessions, their rate counts,
/// the wallet) carries it as a hash tag, so that on a Redis Cluster a request's reads are in one
/// slot, one round trip. Not a secret and not the openid: it only places keys.
pub fn user_tag(openid: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, openid.as_bytes());
    digest.as_ref()[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// `openid` as a key part, after its hash tag (`{1a2b3c4d}o_user`).
pub fn user(openid: &str) -> String {
    format!("{{{}}}{openid}", user_tag(openid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_keys_share_one_hash_tag() {
        assert_eq!(user_tag("o_user").len(), 8);
        assert_eq!(user_tag("o_user"), user_tag("o_user"));
        assert_ne!(user_tag("o_user"), user_tag("o_other"));
        assert_eq!(
            key(&["wallet", &user("o_user")]),
            format!("cw:v2:wallet:{{{}}}o_user", user_tag("o_user"))
        );
    }

    #[test]
    fn a_limit_per_minute_counts_the_last_60_seconds_across_a_minutes_turn() {
        let turn = 1_800_000_000_000; // a minute's turn: 30,000,000 minutes
        let just_after = PerMinute::at(&["rate", "{a}"], turn + 600);
        let just_before = PerMinute::at(&["rate", "{a}"], turn - 600);
        assert_eq!(just_after.previous, just_before.current, "the minute before is read");
        assert_ne!(just_after.current, just_before.current);
        // 20 counted just before the turn and 11 just after: 31 in two seconds is past 30.
        let counts = Counts { this_minute: 11, last_minute: 20 };
        assert!(just_after.over(counts, 30));
        // The same 20 half a minute later weigh half: 21 in the last 60 s.
        let later = PerMinute::at(&["rate", "{a}"], turn + 30_000);
        assert!(!later.over(counts, 30));
        assert!(!just_after.over(Counts { this_minute: 30, last_minute: 0 }, 30), "30 is allowed");
    }
}
