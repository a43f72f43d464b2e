//! WeChat Pay's notifications as the sandbox sends them: signed like an answer, the resource
//! encrypted with the APIv3 key, POSTed to the merchant's URL, retried until answered 2xx,
//! and (on a knob) delivered more than once, as WeChat's are.

use crate::identity as id;
use coupon_wechatpay::{self as wechatpay, ApiV3Key};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Where notifications go, and how the platform misbehaves delivering them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifyTarget {
    pub url: String,
    /// Extra deliveries of each notification (WeChat does not promise exactly once).
    #[serde(default)]
    pub duplicates: u32,
    /// Deliveries after the first that was not answered 2xx.
    #[serde(default = "default_retries")]
    pub retries: u32,
}

fn default_retries() -> u32 {
    3
}

/// How a delivery is spoiled, for tests of the receiver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spoil {
    /// Signed ten minutes ago: outside the five minutes a receiver accepts.
    pub stale_timestamp: bool,
    /// A valid signature over other bytes.
    pub bad_signature: bool,
    /// The resource sealed with a key that is not the merchant's APIv3 key.
    pub wrong_key: bool,
}

/// One notification as it goes over the wire.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// Builds the signed, encrypted notification of `event_type` about `resource`.
pub fn build(
    platform: &crate::platform::Platform,
    event_type: &str,
    summary: &str,
    resource: &serde_json::Value,
    spoil: Spoil,
) -> Delivery {
    let key = if spoil.wrong_key { "0123456789abcdef0123456789abcdef" } else { id::APIV3_KEY };
    let key = ApiV3Key::new(key).expect("a 32-byte key");
    let sealed = key.seal("coupon", resource.to_string().as_bytes());
    let now = wechatpay::unix_now();
    let body = serde_json::to_vec(&wechatpay::notification::Notification {
        id: format!("SBXN{}", wechatpay::nonce()),
        create_time: coupon_rules::BeijingTime::from_unix_millis(now * 1000).to_rfc3339(),
        event_type: event_type.to_owned(),
        resource_type: "encrypt-resource".to_owned(),
        summary: summary.to_owned(),
        resource: sealed,
    })
    .expect("a notification serialises");
    let (serial, signer) = platform.signer(None);
    let timestamp = if spoil.stale_timestamp { now - 600 } else { now }.to_string();
    let nonce = wechatpay::nonce();
    let signed: &[u8] = if spoil.bad_signature { b"other bytes" } else { &body };
    let signature = signer.sign(&wechatpay::response_message(&timestamp, &nonce, signed));
    let headers = vec![
        ("wechatpay-timestamp", timestamp),
        ("wechatpay-nonce", nonce),
        ("wechatpay-signature", signature),
        ("wechatpay-serial", serial.to_owned()),
        ("wechatpay-signature-type", wechatpay::SIGNATURE_TYPE.to_owned()),
    ];
    Delivery { headers, body }
}

/// POSTs `delivery` to `target` once plus its duplicates, each retried until answered 2xx;
/// how many deliveries were answered 2xx.
pub async fn send(http: &reqwest::Client, target: &NotifyTarget, delivery: &Delivery) -> u32 {
    let mut acknowledged = 0;
    for _ in 0..=target.duplicates {
        for attempt in 0..=target.retries {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 << attempt.min(5))).await;
            }
            let mut request = http.post(&target.url).body(delivery.body.clone());
            for (name, value) in &delivery.headers {
                request = request.header(*name, value);
            }
            let answer = request.header("content-type", "application/json").send().await;
            if answer.is_ok_and(|a| a.status().is_success()) {
                acknowledged += 1;
                break;
            }
        }
    }
    acknowledged
}
