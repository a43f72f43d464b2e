//! WeChat Pay's notifications (回调通知): a signed POST whose `resource` is encrypted with the
//! APIv3 key. The same envelope carries every event; the coupon events' resources are here.

use crate::aead::{ApiV3Key, EncryptedResource};
use serde::{Deserialize, Serialize};

/// `COUPON.USE`: a 代金券 was used (核销), the favor API's only use event.
pub const COUPON_USE: &str = "COUPON.USE";
/// `COUPON.SEND`: a 商家券 was received (领券) by a user.
pub const COUPON_SEND: &str = "COUPON.SEND";

/// The POSTed body: `id` names the notification (WeChat retries it under the same id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    #[serde(default)]
    pub create_time: String,
    pub event_type: String,
    #[serde(default)]
    pub resource_type: String,
    #[serde(default)]
    pub summary: String,
    pub resource: EncryptedResource,
}

impl Notification {
    /// The decrypted resource as `T`.
    pub fn open<T: serde::de::DeserializeOwned>(&self, key: &ApiV3Key) -> Result<T, String> {
        let plain = key.open(&self.resource)?;
        serde_json::from_slice(&plain)
            .map_err(|e| format!("the resource is not a {}: {e}", self.event_type))
    }
}

/// A `COUPON.USE` resource: the used 代金券. It names no user (WeChat sends no openid).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponUsed {
    pub coupon_id: String,
    pub stock_id: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub consume_information: Option<ConsumeInformation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumeInformation {
    #[serde(default)]
    pub consume_time: String,
    #[serde(default)]
    pub consume_mchid: String,
    #[serde(default)]
    pub transaction_id: String,
}

/// A `COUPON.SEND` resource: a 商家券 the named user received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponSent {
    pub coupon_code: String,
    pub stock_id: String,
    pub openid: String,
    #[serde(default)]
    pub send_time: String,
}
