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
    /// Adds one to the counter at `key`, which expires `window` after its first count; the
    /// new count. Atomic across every client of the store.
    async fn increment(&self, key: &str, window: Duration) -> StoreResult<u64>;
    /// [`Store::increment`], only while the count is below `ceiling`: the new count, or `None`
    /// with nothing counted (so a refused caller takes no share of a rate from the others).
    async fn increment_below(
        &self,
        key: &str,
        ceiling: u64,
        window: Duration,
    ) -> StoreResult<Option<u64>>;
    /// [`Store::get`] of each of `keys` and [`Store::increment`] of `counter`, in one round
    /// trip where the store allows: every request reads its session (and, on Redis, its user's
    /// wallet version, see `Sessions::reading_along`) and counts against its rate limit.
    async fn get_all_and_increment(
        &self,
        keys: &[String],
        counter: &str,
        window: Duration,
    ) -> StoreResult<(Vec<Option<Vec<u8>>>, u64)> {
        let mut values = Vec::with_capacity(keys.len());
        for k in keys {
            values.push(self.get(k).await?);
        }
        Ok((values, self.increment(counter, window).await?))
    }
    /// Whether the store answers now (for `/health`).
    async fn ping(&self) -> StoreResult<()>;
    /// For `/health`.
    fn kind(&self) -> coupon_rules::api::StoreKind;
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
}
