//! WeChat Pay API v3 request signing and response verification (`WECHATPAY2-SHA256-RSA2048`).
//! Both sides of the wire use it: the upstream client signs requests and verifies responses,
//! the sandbox verifies requests and signs responses. RSA is ring's (constant-time); PEM and
//! X.509 are read by rustls-pki-types and x509-cert; the APIv3 key's AEAD is ring's. `keys`
//! holds the platform's keys by serial and says why an answer is not believed.

mod aead;
mod keys;
pub mod notification;

pub use aead::{
    open_certificates, ApiV3Key, CertificateList, EncryptedResource, ListedCertificate,
};
pub use keys::{
    Certificate, KeySet, SignedHeaders, Unverified, PROBE_SIGNATURE_PREFIX, PUBLIC_KEY_ID_PREFIX,
    SIGNATURE_TYPE,
};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{self, RsaKeyPair, UnparsedPublicKey};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer, SubjectPublicKeyInfoDer};
use std::fmt;

pub const AUTH_SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";
/// A response (or request) whose timestamp is further off than this is rejected as a replay.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// A merchant or platform private key. Its Debug output never shows the key.
pub struct PrivateKey(RsaKeyPair);

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

impl PrivateKey {
    /// Reads a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, as WeChat's `apiclient_key.pem`).
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        let der = PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| format!("expected a PKCS#8 PEM block (BEGIN PRIVATE KEY): {e}"))?;
        RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
            .map(PrivateKey)
            .map_err(|e| format!("not a usable RSA private key: {e}"))
    }

    /// The fingerprint of this key's public half (see [`PublicKey::fingerprint`]).
    pub fn fingerprint(&self) -> String {
        fingerprint_of(self.0.public().as_ref())
    }

    /// SHA256withRSA over `message`, base64.
    pub fn sign(&self, message: &[u8]) -> String {
        let mut sig = vec![0u8; self.0.public().modulus_len()];
        self.0
            .sign(&signature::RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
            .expect("PKCS#1 v1.5 signing with a validated key and a buffer of the modulus length cannot fail");
        B64.encode(sig)
    }
}

/// A public key to verify with: from a `PUBLIC KEY` PEM (WeChat Pay's 平台公钥) or the key
/// inside a `CERTIFICATE` PEM (平台证书).
#[derive(Clone)]
pub struct PublicKey(Vec<u8>);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({} bytes)", self.0.len())
    }
}

impl PublicKey {
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        use spki::der::Decode;
        if let Ok(der) = SubjectPublicKeyInfoDer::from_pem_slice(pem.as_bytes()) {
            let spki = spki::SubjectPublicKeyInfoRef::from_der(der.as_ref())
                .map_err(|e| format!("PUBLIC KEY is not a SubjectPublicKeyInfo: {e}"))?;
            return rsa_key_of(spki).map(PublicKey);
        }
        if let Ok(der) = CertificateDer::from_pem_slice(pem.as_bytes()) {
            let cert = x509_cert::Certificate::from_der(der.as_ref())
                .map_err(|e| format!("CERTIFICATE is not X.509: {e}"))?;
            let spki = cert.tbs_certificate.subject_public_key_info;
            let der =
                spki::der::Encode::to_der(&spki).map_err(|e| format!("CERTIFICATE's key: {e}"))?;
            return rsa_key_of(
                spki::SubjectPublicKeyInfoRef::from_der(&der).map_err(|e| e.to_string())?,
            )
            .map(PublicKey);
        }
        Err("expected a PUBLIC KEY or CERTIFICATE PEM block".into())
    }

    /// SHA-256 of the PKCS#1 RSA public key, hex: the same for a key and a certificate of it.
    pub fn fingerprint(&self) -> String {
        fingerprint_of(&self.0)
    }

    /// Checks a base64 SHA256withRSA signature over `message`.
    pub fn verify(&self, message: &[u8], signature_b64: &str) -> bool {
        let Ok(sig) = B64.decode(signature_b64.trim()) else { return false };
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.0)
            .verify(message, &sig)
            .is_ok()
    }
}

/// `METHOD\nPATH?QUERY\ntimestamp\nnonce\nbody\n`: what a request signature covers.
pub fn request_message(
    method: &str,
    path_and_query: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut m = format!("{method}\n{path_and_query}\n{timestamp}\n{nonce}\n").into_bytes();
    m.extend_from_slice(body);
    m.push(b'\n');
    m
}

/// `timestamp\nnonce\nbody\n`: what a response signature covers.
pub fn response_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut m = format!("{timestamp}\n{nonce}\n").into_bytes();
    m.extend_from_slice(body);
    m.push(b'\n');
    m
}

/// 32 random hex characters.
pub fn nonce() -> String {
    let mut bytes = [0u8; 16];
    SystemRandom::new().fill(&mut bytes).expect("the OS random source is available");
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The `Authorization` header's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub mchid: String,
    pub nonce_str: String,
    pub timestamp: i64,
    pub serial_no: String,
    pub signature: String,
}

impl Authorization {
    /// Signs a request as merchant `mchid` with the key whose certificate serial is `serial_no`.
    pub fn sign(
        key: &PrivateKey,
        mchid: &str,
        serial_no: &str,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        timestamp: i64,
    ) -> Self {
        let nonce_str = nonce();
        let signature =
            key.sign(&request_message(method, path_and_query, timestamp, &nonce_str, body));
        Authorization {
            mchid: mchid.into(),
            nonce_str,
            timestamp,
            serial_no: serial_no.into(),
            signature,
        }
    }

    pub fn header_value(&self) -> String {
        format!(
            "{AUTH_SCHEME} mchid=\"{}\",nonce_str=\"{}\",signature=\"{}\",timestamp=\"{}\",serial_no=\"{}\"",
            self.mchid, self.nonce_str, self.signature, self.timestamp, self.serial_no
        )
    }

    /// Parses a header value; `None` for anything not in the scheme's form.
    pub fn parse(header: &str) -> Option<Self> {
        let rest = header.strip_prefix(AUTH_SCHEME)?.trim_start();
        let mut fields = std::collections::HashMap::new();
        for part in rest.split(',') {
            let (k, v) = part.trim().split_once('=')?;
            let v = v.strip_prefix('"')?.strip_suffix('"')?;
            fields.insert(k, v.to_owned());
        }
        Some(Authorization {
            mchid: fields.remove("mchid")?,
            nonce_str: fields.remove("nonce_str")?,
            timestamp: fields.remove("timestamp")?.parse().ok()?,
            serial_no: fields.remove("serial_no")?,
            signature: fields.remove("signature")?,
        })
    }

    /// Verifies this header against the request it came with.
    pub fn verify(&self, key: &PublicKey, method: &str, path_and_query: &str, body: &[u8]) -> bool {
        key.verify(
            &request_message(method, path_and_query, self.timestamp, &self.nonce_str, body),
            &self.signature,
        )
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The PKCS#1 `RSAPublicKey` (what ring verifies with) inside a SubjectPublicKeyInfo.
fn rsa_key_of(spki: spki::SubjectPublicKeyInfoRef<'_>) -> Result<Vec<u8>, String> {
    const RSA_ENCRYPTION: spki::ObjectIdentifier =
        spki::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
    if spki.algorithm.oid != RSA_ENCRYPTION {
        return Err(format!("not an RSA key (algorithm {})", spki.algorithm.oid));
    }
    spki.subject_public_key
        .as_bytes()
        .map(<[u8]>::to_vec)
        .ok_or_else(|| "the key's bit string is not whole bytes".into())
}

/// SHA-256 of `bytes`, hex: an identity to compare keys and secrets by without holding them.
pub fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn fingerprint_of(rsa_public_key: &[u8]) -> String {
    sha256_hex(rsa_public_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MERCHANT_KEY: &str = include_str!("../../sandbox/keys/test-only-merchant-private.pem");
    const MERCHANT_PUB: &str = include_str!("../../sandbox/keys/test-only-merchant-public.pem");
    const PLATFORM_PUB: &str = include_str!("../../sandbox/keys/test-only-platform-public.pem");

    #[test]
    fn a_signed_request_verifies_and_a_tampered_one_does_not() {
        let key = PrivateKey::from_pem(MERCHANT_KEY).unwrap();
        let auth = Authorization::sign(
            &key,
            "1900000001",
            "SERIAL",
            "GET",
            "/v3/x?a=1",
            b"",
            1_700_000_000,
        );
        let parsed = Authorization::parse(&auth.header_value()).unwrap();
        assert_eq!(parsed, auth);
        let public = PublicKey::from_pem(MERCHANT_PUB).unwrap();
        assert!(parsed.verify(&public, "GET", "/v3/x?a=1", b""));
        assert!(!parsed.verify(&public, "GET", "/v3/x?a=2", b""));
        assert!(!parsed.verify(
            &PublicKey::from_pem(PLATFORM_PUB).unwrap(),
            "GET",
            "/v3/x?a=1",
            b""
        ));
    }

    #[test]
    fn keys_never_show_in_debug_output() {
        let key = PrivateKey::from_pem(MERCHANT_KEY).unwrap();
        assert_eq!(format!("{key:?}"), "PrivateKey(<redacted>)");
    }

    #[test]
    fn malformed_headers_and_keys_are_rejected() {
        assert!(Authorization::parse("Bearer abc").is_none());
        assert!(Authorization::parse("WECHATPAY2-SHA256-RSA2048 mchid=1").is_none());
        assert!(PrivateKey::from_pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
        )
        .is_err());
        assert!(PublicKey::from_pem("nonsense").is_err());
        assert!(!PublicKey::from_pem(PLATFORM_PUB).unwrap().verify(b"m", "!!not base64!!"));
    }
}
