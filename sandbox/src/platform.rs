//! The sandbox's platform keys, as WeChat Pay holds them: two platform certificates that
//! rotate (the successor listed before it signs, the predecessor then retired) and the WeChat
//! Pay public key, which signs an answer only when the merchant is on it, or is switching and
//! the request names it in `Wechatpay-Serial`.

use crate::identity as id;
use crate::{wx_error, Answer};
use coupon_wechatpay::{ApiV3Key, CertificateList, ListedCertificate, PrivateKey};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// Which keys the merchant is on (WeChat's three situations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyMode {
    /// Platform certificates only: every answer is signed with the current certificate.
    Certificates,
    /// Switching to the public key: answers to requests naming it are signed with it, the rest
    /// with the current certificate.
    #[default]
    Switching,
    /// The public key only: `GET /v3/certificates` answers 404.
    PublicKey,
}

/// Where the certificate rotation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rotation {
    /// Only the first certificate exists.
    #[default]
    Before,
    /// Its successor is listed (first) but the first still signs.
    Listed,
    /// The successor signs; both are listed.
    Switched,
    /// The first is gone: no longer listed, and a request naming it is refused.
    Retired,
}

/// The knob `/sandbox/platform` and [`crate::Sandbox::set_platform`] turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PlatformState {
    pub mode: KeyMode,
    pub rotation: Rotation,
}

struct PlatformCert {
    serial: &'static str,
    pem: String,
    key: PrivateKey,
    not_before: i64,
    not_after: i64,
}

pub struct Platform {
    public_key: PrivateKey,
    certificates: [PlatformCert; 2],
    apiv3: ApiV3Key,
    state: Mutex<PlatformState>,
}

const DAY: i64 = 86_400;

/// A self-signed X.509 certificate of `key_pem` (PKCS#8 RSA) with serial `serial_hex` and
/// validity `not_before..not_after` (Unix seconds), PEM: what WeChat's platform certificates
/// are to a verifier. Tests use it for certificates of any age.
pub fn certificate(
    key_pem: &str,
    serial_hex: &str,
    not_before: i64,
    not_after: i64,
) -> Result<String, String> {
    let key = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(key_pem, &rcgen::PKCS_RSA_SHA256)
        .map_err(|e| format!("certificate key: {e}"))?;
    let mut params =
        rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Tenpay.com Root CA (sandbox, test only)");
    let serial: Vec<u8> = (0..serial_hex.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(serial_hex.get(i..i + 2)?, 16).ok())
        .collect();
    params.serial_number = Some(rcgen::SerialNumber::from(serial));
    let at = |t: i64| time::OffsetDateTime::from_unix_timestamp(t).map_err(|e| e.to_string());
    params.not_before = at(not_before)?;
    params.not_after = at(not_after)?;
    Ok(params.self_signed(&key).map_err(|e| format!("certificate: {e}"))?.pem())
}

impl Platform {
    pub fn new(now: i64) -> Result<Platform, String> {
        let cert = |serial: &'static str,
                    key_pem: &str,
                    not_before: i64,
                    not_after: i64|
         -> Result<PlatformCert, String> {
            let pem = certificate(key_pem, serial, not_before, not_after)?;
            Ok(PlatformCert {
                serial,
                pem,
                key: PrivateKey::from_pem(key_pem)?,
                not_before,
                not_after,
            })
        };
        Ok(Platform {
            public_key: PrivateKey::from_pem(id::PLATFORM_KEY)?,
            certificates: [
                cert(
                    id::PLATFORM_CERT_SERIALS[0],
                    id::PLATFORM_CERT_KEYS[0],
                    now - 400 * DAY,
                    now + 200 * DAY,
                )?,
                cert(
                    id::PLATFORM_CERT_SERIALS[1],
                    id::PLATFORM_CERT_KEYS[1],
                    now - DAY,
                    now + 5 * 365 * DAY,
                )?,
            ],
            apiv3: ApiV3Key::new(id::APIV3_KEY)?,
            state: Mutex::new(PlatformState::default()),
        })
    }

    pub fn state(&self) -> PlatformState {
        *self.state.lock().expect("platform lock")
    }

    pub fn set_state(&self, state: PlatformState) {
        *self.state.lock().expect("platform lock") = state;
    }

    /// The PEM of certificate 0 (the first) or 1 (its successor), as a merchant downloads it.
    pub fn certificate_pem(&self, which: usize) -> &str {
        &self.certificates[which.min(1)].pem
    }

    fn signing_certificate(&self, state: PlatformState) -> &PlatformCert {
        match state.rotation {
            Rotation::Before | Rotation::Listed => &self.certificates[0],
            Rotation::Switched | Rotation::Retired => &self.certificates[1],
        }
    }

    /// The serial and key an answer to a request naming `request_serial` is signed with.
    pub fn signer(&self, request_serial: Option<&str>) -> (&str, &PrivateKey) {
        let state = self.state();
        let public = match state.mode {
            KeyMode::PublicKey => true,
            KeyMode::Switching => request_serial == Some(id::PLATFORM_SERIAL),
            KeyMode::Certificates => false,
        };
        if public {
            return (id::PLATFORM_SERIAL, &self.public_key);
        }
        let cert = self.signing_certificate(state);
        (cert.serial, &cert.key)
    }

    /// A request naming the retired certificate is refused, as WeChat refuses a dead serial.
    pub fn refusal(&self, request_serial: Option<&str>) -> Option<Answer> {
        let retired = self.state().rotation == Rotation::Retired
            && request_serial == Some(self.certificates[0].serial);
        retired.then(|| {
            wx_error(
                400,
                "PARAM_ERROR",
                "Wechatpay-Serial 对应的平台证书已过期，请下载新的平台证书",
            )
        })
    }

    /// `GET /v3/certificates`: the listed certificates, newest first, each encrypted with the
    /// APIv3 key; 404 for a merchant on the public key only.
    pub fn certificates_answer(&self) -> Answer {
        let state = self.state();
        if state.mode == KeyMode::PublicKey {
            return wx_error(404, "NOT_FOUND", "商户已切换为微信支付公钥，无可用的平台证书");
        }
        let listed: &[&PlatformCert] = match state.rotation {
            Rotation::Before => &[&self.certificates[0]],
            Rotation::Listed | Rotation::Switched => {
                &[&self.certificates[1], &self.certificates[0]]
            }
            Rotation::Retired => &[&self.certificates[1]],
        };
        let time = |t: i64| coupon_rules::BeijingTime::from_unix_millis(t * 1000).to_rfc3339();
        let data = listed
            .iter()
            .map(|c| ListedCertificate {
                serial_no: c.serial.to_owned(),
                effective_time: time(c.not_before),
                expire_time: time(c.not_after),
                encrypt_certificate: self.apiv3.seal("certificate", c.pem.as_bytes()),
            })
            .collect();
        Answer(
            axum::http::StatusCode::OK,
            serde_json::to_value(CertificateList { data }).unwrap_or_default(),
        )
    }
}
