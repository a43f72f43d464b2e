//! The APIv3 key (APIv3 密钥) and what WeChat Pay encrypts with it (`AEAD_AES_256_GCM`, ring's
//! AEAD): the platform certificates of `GET /v3/certificates`, and notification resources.

use crate::keys::Certificate;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use serde::{Deserialize, Serialize};
use std::fmt;

pub const ALGORITHM: &str = "AEAD_AES_256_GCM";

/// The merchant's 32-byte APIv3 key. Its Debug output never shows the key.
#[derive(Clone)]
pub struct ApiV3Key([u8; 32]);

impl fmt::Debug for ApiV3Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiV3Key(<redacted>)")
    }
}

impl ApiV3Key {
    /// The key as the merchant platform shows it: 32 ASCII characters.
    pub fn new(key: &str) -> Result<ApiV3Key, String> {
        let bytes: [u8; 32] = key
            .as_bytes()
            .try_into()
            .map_err(|_| format!("the APIv3 key must be 32 bytes, not {}", key.len()))?;
        Ok(ApiV3Key(bytes))
    }

    /// SHA-256 of the key, hex: to compare keys by without holding them.
    pub fn sha256_hex(&self) -> String {
        crate::sha256_hex(&self.0)
    }

    fn aead(&self) -> LessSafeKey {
        LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, &self.0).expect("a 32-byte key is an AES-256 key"),
        )
    }

    /// Opens an encrypted resource: the plaintext, or why not (never which byte was wrong).
    pub fn open(&self, r: &EncryptedResource) -> Result<Vec<u8>, String> {
        if r.algorithm != ALGORITHM {
            return Err(format!(
                "unsupported algorithm {:?}",
                r.algorithm.chars().take(32).collect::<String>()
            ));
        }
        let nonce = Nonce::try_assume_unique_for_key(r.nonce.as_bytes())
            .map_err(|_| "the nonce is not 12 bytes".to_owned())?;
        let mut data = B64
            .decode(r.ciphertext.trim())
            .map_err(|_| "the ciphertext is not base64".to_owned())?;
        let plain = self
            .aead()
            .open_in_place(nonce, Aad::from(r.associated_data.as_bytes()), &mut data)
            .map_err(|_| "the ciphertext does not open with this APIv3 key (a wrong key, or altered in transit)".to_owned())?;
        Ok(plain.to_vec())
    }

    /// Encrypts `plaintext` as WeChat Pay does (for the sandbox and the tests).
    pub fn seal(&self, associated_data: &str, plaintext: &[u8]) -> EncryptedResource {
        let nonce = crate::nonce()[..12].to_owned();
        let mut data = plaintext.to_vec();
        let n = Nonce::try_assume_unique_for_key(nonce.as_bytes()).expect("12 bytes");
        self.aead()
            .seal_in_place_append_tag(n, Aad::from(associated_data.as_bytes()), &mut data)
            .expect("a plaintext within AES-GCM's limits");
        EncryptedResource {
            algorithm: ALGORITHM.into(),
            nonce,
            associated_data: associated_data.into(),
            ciphertext: B64.encode(data),
        }
    }
}

/// WeChat's `{algorithm, nonce, associated_data, ciphertext}` (`encrypt_certificate`, a
/// notification's `resource`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedResource {
    pub algorithm: String,
    pub nonce: String,
    #[serde(default)]
    pub associated_data: String,
    pub ciphertext: String,
}

/// The body of `GET /v3/certificates`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertificateList {
    pub data: Vec<ListedCertificate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListedCertificate {
    pub serial_no: String,
    pub effective_time: String,
    pub expire_time: String,
    pub encrypt_certificate: EncryptedResource,
}

/// Opens every certificate of a `GET /v3/certificates` body. A certificate whose listed serial
/// is not its own is refused: the AEAD vouches for the PEM, the PEM for the serial.
pub fn open_certificates(body: &[u8], key: &ApiV3Key) -> Result<Vec<Certificate>, String> {
    let list: CertificateList =
        serde_json::from_slice(body).map_err(|e| format!("certificate list: {e}"))?;
    list.data
        .iter()
        .map(|listed| {
            let pem = key.open(&listed.encrypt_certificate)?;
            let cert = Certificate::from_pem(
                std::str::from_utf8(&pem)
                    .map_err(|_| "a certificate is not UTF-8 PEM".to_owned())?,
            )?;
            if !cert.serial.eq_ignore_ascii_case(&listed.serial_no) {
                return Err(format!(
                    "certificate listed as {} is {}",
                    listed.serial_no, cert.serial
                ));
            }
            Ok(cert)
        })
        .collect()
}
