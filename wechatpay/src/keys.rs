//! The keys WeChat Pay signs with, keyed by the serial its `Wechatpay-Serial` header names:
//! platform certificates (平台证书, rotated by WeChat) and the WeChat Pay public key
//! (微信支付公钥, `PUB_KEY_ID_…`). One check of a signed answer, with one reason per way it fails.

use crate::{response_message, PublicKey, AUTH_SCHEME, MAX_CLOCK_SKEW_SECS};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use std::collections::BTreeMap;
use std::fmt;

/// WeChat Pay's value of `Wechatpay-Signature-Type`: the one scheme this crate implements.
pub const SIGNATURE_TYPE: &str = AUTH_SCHEME;

/// WeChat Pay sends signatures that start with this on purpose, to check that a merchant
/// really verifies its answers; they never verify.
pub const PROBE_SIGNATURE_PREFIX: &str = "WECHATPAY/SIGNTEST/";

/// A WeChat Pay public key's id starts with this; a certificate's serial is hex.
pub const PUBLIC_KEY_ID_PREFIX: &str = "PUB_KEY_ID_";

/// A platform certificate: its serial (uppercase hex, as `Wechatpay-Serial` writes it), its
/// validity (Unix seconds) and its key.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub serial: String,
    pub not_before: i64,
    pub not_after: i64,
    pub key: PublicKey,
}

impl Certificate {
    /// Reads a `CERTIFICATE` PEM block (WeChat's `wechatpay_<serial>.pem`).
    pub fn from_pem(pem: &str) -> Result<Certificate, String> {
        use spki::der::Decode;
        let der = CertificateDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| format!("expected a CERTIFICATE PEM block: {e}"))?;
        let cert = x509_cert::Certificate::from_der(der.as_ref())
            .map_err(|e| format!("CERTIFICATE is not X.509: {e}"))?;
        let tbs = &cert.tbs_certificate;
        let serial = tbs
            .serial_number
            .as_bytes()
            .iter()
            .skip_while(|b| **b == 0)
            .map(|b| format!("{b:02X}"))
            .collect();
        let secs = |t: x509_cert::time::Time| {
            i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
        };
        Ok(Certificate {
            serial,
            not_before: secs(tbs.validity.not_before),
            not_after: secs(tbs.validity.not_after),
            key: PublicKey::from_pem(pem)?,
        })
    }

    pub fn is_valid_at(&self, now: i64) -> bool {
        (self.not_before..=self.not_after).contains(&now)
    }
}

/// Why a signed answer (a response or a notification) was not believed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unverified {
    /// No `Wechatpay-*` signature headers: WeChat signs nothing when the request's own
    /// signature was wrong, so this is how a `401 SIGN_ERROR` arrives.
    Unsigned,
    /// A `Wechatpay-Signature-Type` this crate does not implement.
    UnsupportedType(String),
    /// One of WeChat's deliberate probe signatures (`WECHATPAY/SIGNTEST/…`).
    Probe,
    /// The timestamp is more than five minutes from this machine's clock.
    ClockSkew { seconds: i64 },
    /// A serial no key held here has.
    UnknownSerial(String),
    /// The certificate of that serial is not valid now.
    ExpiredCertificate(String),
    /// The signature does not verify with the key of its serial: forged, or altered.
    Forged,
}

impl fmt::Display for Unverified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unverified::Unsigned => {
                f.write_str("unsigned answer (no Wechatpay-* signature headers)")
            }
            Unverified::UnsupportedType(t) => {
                write!(f, "unsupported Wechatpay-Signature-Type {t:?}")
            }
            Unverified::Probe => f.write_str(
                "WeChat Pay probe signature (WECHATPAY/SIGNTEST/), refused as it must be",
            ),
            Unverified::ClockSkew { seconds } => {
                write!(f, "Wechatpay-Timestamp is {seconds} s from this machine's clock (more than 5 minutes): check NTP")
            }
            Unverified::UnknownSerial(s) => {
                write!(f, "Wechatpay-Serial {s} names no key held here")
            }
            Unverified::ExpiredCertificate(s) => {
                write!(f, "the platform certificate {s} is not valid now")
            }
            Unverified::Forged => {
                f.write_str("Wechatpay-Signature does not verify with the key of its serial")
            }
        }
    }
}

/// The signature headers of an answer, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignedHeaders<'a> {
    pub timestamp: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub serial: Option<&'a str>,
    pub signature_type: Option<&'a str>,
}

impl SignedHeaders<'_> {
    /// Whether any signature header came at all.
    pub fn is_signed(&self) -> bool {
        self.timestamp.is_some()
            || self.nonce.is_some()
            || self.signature.is_some()
            || self.serial.is_some()
    }
}

/// Every key an answer may be signed with, by serial.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    public_key: Option<(String, PublicKey)>,
    certificates: BTreeMap<String, Certificate>,
    /// Keys given with a serial but no certificate (`--platform-key-file` + `--platform-serial`).
    bare: BTreeMap<String, PublicKey>,
}

impl KeySet {
    /// The WeChat Pay public key with its id (`PUB_KEY_ID_…`).
    pub fn set_public_key(&mut self, id: &str, key: PublicKey) {
        self.public_key = Some((id.to_owned(), key));
    }

    /// Adds (or replaces, by serial) a platform certificate.
    pub fn add_certificate(&mut self, cert: Certificate) {
        self.certificates.insert(cert.serial.clone(), cert);
    }

    /// A key known only by its serial: a public key id makes it the public key.
    pub fn add_key(&mut self, serial: &str, key: PublicKey) {
        if serial.starts_with(PUBLIC_KEY_ID_PREFIX) {
            self.set_public_key(serial, key);
        } else {
            self.bare.insert(serial.to_owned(), key);
        }
    }

    pub fn public_key_id(&self) -> Option<&str> {
        self.public_key.as_ref().map(|(id, _)| id.as_str())
    }

    pub fn certificates(&self) -> impl Iterator<Item = &Certificate> {
        self.certificates.values()
    }

    /// Every key held, with its serial (for start-up checks against the merchant's own).
    pub fn keys(&self) -> impl Iterator<Item = (&str, &PublicKey)> {
        let public = self.public_key.iter().map(|(id, k)| (id.as_str(), k));
        public
            .chain(self.certificates.values().map(|c| (c.serial.as_str(), &c.key)))
            .chain(self.bare.iter().map(|(s, k)| (s.as_str(), k)))
    }

    /// The serial to name in a request's `Wechatpay-Serial`: the public key when held (WeChat
    /// then signs with it), else the newest certificate valid at `now`, else a bare key's.
    pub fn preferred_serial(&self, now: i64) -> Option<&str> {
        if let Some(id) = self.public_key_id() {
            return Some(id);
        }
        let newest = self
            .certificates
            .values()
            .filter(|c| c.is_valid_at(now))
            .max_by_key(|c| (c.not_before, c.not_after));
        newest.map(|c| c.serial.as_str()).or_else(|| self.bare.keys().next().map(String::as_str))
    }

    /// Whether an answer could be verified at `now` at all.
    pub fn has_usable_key(&self, now: i64) -> bool {
        self.public_key.is_some()
            || !self.bare.is_empty()
            || self.certificates.values().any(|c| c.is_valid_at(now))
    }

    /// Whether `serial` is one this set holds a key for (valid or not).
    pub fn holds(&self, serial: &str) -> bool {
        self.public_key_id() == Some(serial)
            || self.certificates.contains_key(serial)
            || self.bare.contains_key(serial)
    }

    fn key(&self, serial: &str, now: i64) -> Result<&PublicKey, Unverified> {
        if let Some((id, key)) = &self.public_key {
            if id == serial {
                return Ok(key);
            }
        }
        if let Some(cert) = self.certificates.get(serial) {
            return if cert.is_valid_at(now) {
                Ok(&cert.key)
            } else {
                Err(Unverified::ExpiredCertificate(serial.to_owned()))
            };
        }
        self.bare
            .get(serial)
            .ok_or_else(|| Unverified::UnknownSerial(serial.chars().take(64).collect()))
    }

    /// Checks a signed answer's headers and body at `now` (Unix seconds).
    pub fn verify(&self, h: &SignedHeaders<'_>, body: &[u8], now: i64) -> Result<(), Unverified> {
        let (Some(timestamp), Some(nonce), Some(signature), Some(serial)) =
            (h.timestamp, h.nonce, h.signature, h.serial)
        else {
            return Err(Unverified::Unsigned);
        };
        if let Some(t) = h.signature_type.filter(|t| *t != SIGNATURE_TYPE) {
            return Err(Unverified::UnsupportedType(t.chars().take(64).collect()));
        }
        if signature.starts_with(PROBE_SIGNATURE_PREFIX) {
            return Err(Unverified::Probe);
        }
        let skew =
            timestamp.parse::<i64>().ok().and_then(|ts| now.checked_sub(ts)).unwrap_or(i64::MAX);
        if skew.checked_abs().is_none_or(|s| s > MAX_CLOCK_SKEW_SECS) {
            return Err(Unverified::ClockSkew { seconds: skew });
        }
        let key = self.key(serial, now)?;
        if key.verify(&response_message(timestamp, nonce, body), signature) {
            Ok(())
        } else {
            Err(Unverified::Forged)
        }
    }
}
