//! The platform keys the client verifies with, kept current: the certificates are downloaded
//! with the APIv3 key (`GET /v3/certificates`) at start-up, every few hours, and at once when
//! an answer names a serial not held yet (a rotation), at most once a minute.

use super::{Answer, Client, UpstreamError};
use bytes::Bytes;
use coupon_wechatpay::{self as wechatpay, ApiV3Key, KeySet, SignedHeaders, Unverified};
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// The fewest seconds between two downloads asked for by an unknown serial: a forged serial
/// costs WeChat Pay at most one call a minute.
const ON_DEMAND_INTERVAL: Duration = Duration::from_secs(60);

/// A certificate this close to its end, with no successor held, is warned about.
const EXPIRY_WARNING_SECS: i64 = 30 * 86_400;

pub struct PlatformKeys {
    keys: RwLock<KeySet>,
    apiv3: Option<ApiV3Key>,
    /// When an unknown serial last made a download; held while one runs, so there is one.
    last_on_demand: tokio::sync::Mutex<Option<Instant>>,
}

/// How a download ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Downloaded {
    /// This many certificates, verified and held.
    Certificates(usize),
    /// `404`: the merchant is on the WeChat Pay public key only.
    PublicKeyOnly,
    /// No APIv3 key, so nothing to download with.
    NoApiV3Key,
}

impl PlatformKeys {
    pub fn new(keys: KeySet, apiv3: Option<ApiV3Key>) -> PlatformKeys {
        PlatformKeys {
            keys: RwLock::new(keys),
            apiv3,
            last_on_demand: tokio::sync::Mutex::new(None),
        }
    }

    /// A copy of the keys held now.
    pub fn snapshot(&self) -> KeySet {
        self.keys.read().expect("platform keys lock").clone()
    }

    pub fn preferred_serial(&self) -> Option<String> {
        self.keys
            .read()
            .expect("platform keys lock")
            .preferred_serial(wechatpay::unix_now())
            .map(str::to_owned)
    }

    fn check(&self, answer: &Answer) -> Result<(), Unverified> {
        self.check_signed(&answer.signed_headers(), &answer.body)
    }

    fn check_signed(&self, signed: &SignedHeaders<'_>, body: &[u8]) -> Result<(), Unverified> {
        self.keys.read().expect("platform keys lock").verify(signed, body, wechatpay::unix_now())
    }

    /// Verifies an answer; a serial not held yet first fetches the current certificates.
    pub(super) async fn verify(&self, client: &Client, answer: &Answer) -> Result<(), Unverified> {
        self.verify_signed(client, &answer.signed_headers(), &answer.body).await
    }

    /// Verifies anything WeChat Pay signs (an answer, a notification) with the keys held; a
    /// serial not held yet first fetches the current certificates.
    pub(super) async fn verify_signed(
        &self,
        client: &Client,
        signed: &SignedHeaders<'_>,
        body: &[u8],
    ) -> Result<(), Unverified> {
        let first = self.check_signed(signed, body);
        if !matches!(first, Err(Unverified::UnknownSerial(_))) || self.apiv3.is_none() {
            return first;
        }
        {
            let mut last = self.last_on_demand.lock().await;
            // Another request may have fetched it while this one waited.
            if self.check_signed(signed, body).is_ok() {
                return Ok(());
            }
            if last.is_some_and(|t| t.elapsed() < ON_DEMAND_INTERVAL) {
                return first;
            }
            *last = Some(Instant::now());
            match self.download(client).await {
                Ok(got) => tracing::info!(
                    ?got,
                    "platform certificates downloaded for an unknown Wechatpay-Serial"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "platform certificates could not be downloaded")
                }
            }
        }
        self.check_signed(signed, body)
    }

    /// Downloads the platform certificates and holds them. The first download is trusted
    /// through the AEAD (only WeChat Pay and the merchant have the APIv3 key); an answer signed
    /// with a key already held must verify with it.
    pub async fn download(&self, client: &Client) -> Result<Downloaded, UpstreamError> {
        let result = self.download_once(client).await;
        crate::metrics::certificate_download(match &result {
            Ok(Downloaded::PublicKeyOnly) => "public_key_only",
            Ok(_) => "ok",
            Err(_) => "failed",
        });
        result
    }

    async fn download_once(&self, client: &Client) -> Result<Downloaded, UpstreamError> {
        let Some(apiv3) = &self.apiv3 else { return Ok(Downloaded::NoApiV3Key) };
        let path = "/v3/certificates";
        let answer = match (
            client.exchange(&client.base, "GET", path, Bytes::new()).await,
            &client.backup,
        ) {
            (Err(UpstreamError::Timeout | UpstreamError::Unreachable(_)), Some(backup)) => {
                client.exchange(backup, "GET", path, Bytes::new()).await?
            }
            (answer, _) => answer?,
        };
        if answer.status == 404 && self.check(&answer).is_ok() {
            return Ok(Downloaded::PublicKeyOnly);
        }
        if !(200..300).contains(&answer.status) {
            let verdict = self.check(&answer);
            return client.judge(answer, verdict).map(|_| Downloaded::PublicKeyOnly);
        }
        let certificates =
            wechatpay::open_certificates(&answer.body, apiv3).map_err(UpstreamError::Malformed)?;
        let held = self.snapshot();
        let serial = answer.serial.as_deref().unwrap_or_default();
        let verdict = if held.holds(serial) {
            held.verify(&answer.signed_headers(), &answer.body, wechatpay::unix_now())
        } else {
            let mut listed = KeySet::default();
            certificates.iter().cloned().for_each(|c| listed.add_certificate(c));
            listed.verify(&answer.signed_headers(), &answer.body, wechatpay::unix_now())
        };
        client.judge(answer, verdict)?;
        let count = certificates.len();
        let mut keys = self.keys.write().expect("platform keys lock");
        certificates.into_iter().for_each(|c| keys.add_certificate(c));
        Ok(Downloaded::Certificates(count))
    }

    /// Logs and records each certificate's remaining life; warns about one near its end with
    /// no successor and no public key to fall back on.
    pub fn report(&self) {
        let keys = self.snapshot();
        let now = wechatpay::unix_now();
        let newest_end =
            keys.certificates().filter(|c| c.is_valid_at(now)).map(|c| c.not_after).max();
        for cert in keys.certificates() {
            crate::metrics::platform_certificate_expiry(
                &cert.serial,
                cert.not_after.saturating_sub(now),
            );
            let last = newest_end == Some(cert.not_after);
            if last
                && keys.public_key_id().is_none()
                && cert.not_after.saturating_sub(now) < EXPIRY_WARNING_SECS
            {
                let days = cert.not_after.saturating_sub(now) / 86_400;
                let remedy = if self.apiv3.is_some() {
                    "its successor is downloaded as soon as WeChat Pay lists it"
                } else {
                    "give --apiv3-key so that the proxy downloads its successor"
                };
                tracing::warn!(serial = %cert.serial, days, "the newest platform certificate expires soon: {remedy}");
            }
        }
    }

    pub fn has_usable_key(&self) -> bool {
        self.keys.read().expect("platform keys lock").has_usable_key(wechatpay::unix_now())
    }

    pub fn can_download(&self) -> bool {
        self.apiv3.is_some()
    }
}
