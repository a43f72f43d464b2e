//! WeChat Pay's notifications (回调通知), the only way the platform reports a 代金券's use:
//! verified like an answer, decrypted with the APIv3 key, each `id` acted on once across every
//! instance (WeChat retries until answered 2xx, so duplicates happen), and turned into the one
//! thing the proxy needs: the owner's wallet fetched again.

use crate::cache::WalletCache;
use crate::store::{key, Store, StoreError};
use crate::upstream::Client;
use coupon_rules::{Coupon, CouponState, Source};
use coupon_wechatpay::notification::{self as wx, CouponSent, CouponUsed, Notification};
use coupon_wechatpay::{ApiV3Key, Unverified};
use std::time::Duration;

/// How long a notification's id is remembered: WeChat's retries end well within a day.
const SEEN_FOR: Duration = Duration::from_secs(86_400);
/// How long a coupon's owner is remembered: longer than a 代金券 stays usable.
const OWNER_FOR: Duration = Duration::from_secs(31 * 86_400);
/// The most owners one wallet fetch records, so that one wallet cannot fill the store.
const MAX_OWNERS_PER_WALLET: usize = 500;

/// Why a notification was refused (WeChat Pay delivers it again later).
#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    #[error("not signed by WeChat Pay: {0}")]
    Unverified(Unverified),
    #[error("not a notification: {0}")]
    Malformed(String),
    #[error("cannot decrypt the resource: {0}")]
    Undecryptable(String),
    #[error("no APIv3 key to decrypt notifications with (--apiv3-key)")]
    NoApiV3Key,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl NotificationError {
    /// The HTTP status WeChat Pay is answered with: its own faults 4xx, the proxy's 5xx.
    pub fn status(&self) -> u16 {
        match self {
            NotificationError::Unverified(_) => 401,
            NotificationError::Malformed(_) | NotificationError::Undecryptable(_) => 400,
            NotificationError::NoApiV3Key | NotificationError::Store(_) => 500,
        }
    }
}

/// What was done with an accepted notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// This user's wallet is fetched again on its next request, on every instance.
    Invalidated { openid: String },
    /// Already acted on under this id.
    Duplicate,
    /// Nothing to do: an event the proxy does not use, or a coupon it never listed.
    Ignored,
}

/// Everything a notification touches.
pub struct Receiver<'a> {
    pub upstream: &'a Client,
    pub apiv3_key: Option<&'a ApiV3Key>,
    pub store: &'a dyn Store,
    pub wallets: &'a WalletCache,
}

impl Receiver<'_> {
    /// Verifies, decrypts and acts on one notification, once per id.
    pub async fn receive(
        &self,
        headers: &axum::http::HeaderMap,
        body: &[u8],
    ) -> Result<Outcome, NotificationError> {
        self.upstream
            .verify_notification(headers, body)
            .await
            .map_err(NotificationError::Unverified)?;
        let n: Notification = serde_json::from_slice(body)
            .map_err(|e| NotificationError::Malformed(e.to_string()))?;
        let key_ = self.apiv3_key.ok_or(NotificationError::NoApiV3Key)?;
        let owner = match n.event_type.as_str() {
            wx::COUPON_USE => {
                let used: CouponUsed = n.open(key_).map_err(NotificationError::Undecryptable)?;
                self.owner_of(&used.coupon_id).await?
            }
            wx::COUPON_SEND => {
                let sent: CouponSent = n.open(key_).map_err(NotificationError::Undecryptable)?;
                Some(sent.openid)
            }
            _ => None,
        };
        let seen = key(&["notification", &n.id.chars().take(64).collect::<String>()]);
        if !self.store.set_if_absent(&seen, b"1".to_vec(), SEEN_FOR).await? {
            return Ok(Outcome::Duplicate);
        }
        let Some(openid) = owner else { return Ok(Outcome::Ignored) };
        if let Err(e) = self.wallets.invalidate(&openid).await {
            // Not acted on: forget the id, so that WeChat's retry is.
            let _ = self.store.delete(&seen).await;
            return Err(e.into());
        }
        Ok(Outcome::Invalidated { openid })
    }

    async fn owner_of(&self, coupon_id: &str) -> Result<Option<String>, StoreError> {
        let owner = self.store.get(&owner_key(coupon_id)).await?;
        Ok(owner.and_then(|o| String::from_utf8(o).ok()))
    }
}

fn owner_key(coupon_id: &str) -> String {
    key(&["coupon-owner", &coupon_id.chars().take(64).collect::<String>()])
}

/// Records who holds each usable 代金券 and 消费金 in a wallet just fetched: `COUPON.USE`
/// names the coupon, never the user.
pub async fn remember_owners(store: &dyn Store, openid: &str, coupons: &[Coupon]) {
    let keys: Vec<String> = coupons
        .iter()
        .filter(|c| c.source == Source::Stock && c.state == CouponState::Available)
        .take(MAX_OWNERS_PER_WALLET)
        .map(|c| owner_key(&c.id))
        .collect();
    let writes = keys.iter().map(|k| store.set(k, openid.as_bytes().to_vec(), OWNER_FOR));
    for result in futures_util::future::join_all(writes).await {
        if let Err(e) = result {
            // The wallet is served regardless; a use then shows after the cache's lifetime.
            tracing::warn!(error = %e, "a coupon's owner could not be recorded");
            return;
        }
    }
}
