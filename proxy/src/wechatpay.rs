//! WeChat Pay API v3 request signing and response verification (`WECHATPAY2-SHA256-RSA2048`).
//! Both sides of the wire use it: the upstream client signs requests and verifies responses,
//! the sandbox verifies requests and signs responses. RSA is ring's (constant-time).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{self, RsaKeyPair, UnparsedPublicKey};
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
        let der = pem_block(pem, "PRIVATE KEY").ok_or("expected a PKCS#8 PEM block (BEGIN PRIVATE KEY)")?;
        RsaKeyPair::from_pkcs8(&der).map(PrivateKey).map_err(|e| format!("not a usable RSA private key: {e}"))
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
        if let Some(der) = pem_block(pem, "PUBLIC KEY") {
            return der::rsa_key_from_spki(&der).map(PublicKey).ok_or_else(|| "PUBLIC KEY is not an RSA SubjectPublicKeyInfo".into());
        }
        if let Some(der) = pem_block(pem, "CERTIFICATE") {
            return der::rsa_key_from_certificate(&der).map(PublicKey).ok_or_else(|| "CERTIFICATE holds no RSA public key".into());
        }
        Err("expected a PUBLIC KEY or CERTIFICATE PEM block".into())
    }

    /// Checks a base64 SHA256withRSA signature over `message`.
    pub fn verify(&self, message: &[u8], signature_b64: &str) -> bool {
        let Ok(sig) = B64.decode(signature_b64.trim()) else { return false };
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.0).verify(message, &sig).is_ok()
    }
}

/// `METHOD\nPATH?QUERY\ntimestamp\nnonce\nbody\n`: what a request signature covers.
pub fn request_message(method: &str, path_and_query: &str, timestamp: i64, nonce: &str, body: &[u8]) -> Vec<u8> {
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
    pub fn sign(key: &PrivateKey, mchid: &str, serial_no: &str, method: &str, path_and_query: &str, body: &[u8], timestamp: i64) -> Self {
        let nonce_str = nonce();
        let signature = key.sign(&request_message(method, path_and_query, timestamp, &nonce_str, body));
        Authorization { mchid: mchid.into(), nonce_str, timestamp, serial_no: serial_no.into(), signature }
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
        key.verify(&request_message(method, path_and_query, self.timestamp, &self.nonce_str, body), &self.signature)
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn pem_block(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    let b64: String = pem[start..stop].chars().filter(|c| !c.is_whitespace()).collect();
    B64.decode(b64).ok()
}

/// Just enough DER to find an RSA public key in a SubjectPublicKeyInfo or an X.509
/// certificate; ring wants the bare PKCS#1 `RSAPublicKey`.
mod der {
    const SEQUENCE: u8 = 0x30;
    const BIT_STRING: u8 = 0x03;
    const OID: u8 = 0x06;
    const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

    /// One TLV: (tag, content, rest).
    fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            (rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b)), &rest[n..])
        };
        (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
    }

    fn expect(input: &[u8], want: u8) -> Option<(&[u8], &[u8])> {
        let (tag, content, rest) = tlv(input)?;
        (tag == want).then_some((content, rest))
    }

    pub fn rsa_key_from_spki(der: &[u8]) -> Option<Vec<u8>> {
        let (spki, _) = expect(der, SEQUENCE)?;
        let (alg, rest) = expect(spki, SEQUENCE)?;
        let (oid, _) = expect(alg, OID)?;
        if oid != RSA_ENCRYPTION {
            return None;
        }
        let (bits, _) = expect(rest, BIT_STRING)?;
        let (&unused, key) = bits.split_first()?;
        (unused == 0).then(|| key.to_vec())
    }

    pub fn rsa_key_from_certificate(der: &[u8]) -> Option<Vec<u8>> {
        let (cert, _) = expect(der, SEQUENCE)?;
        let (tbs, _) = expect(cert, SEQUENCE)?;
        let mut rest = tbs;
        // [0] version (optional), serial, signature algorithm, issuer, validity, subject.
        if rest.first() == Some(&0xa0) {
            rest = tlv(rest)?.2;
        }
        for _ in 0..5 {
            rest = tlv(rest)?.2;
        }
        let (tag, _, _) = tlv(rest)?;
        if tag != SEQUENCE {
            return None;
        }
        let spki_len = rest.len() - tlv(rest)?.2.len();
        rsa_key_from_spki(&rest[..spki_len])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MERCHANT_KEY: &str = include_str!("../keys/test-only-merchant-private.pem");
    const MERCHANT_PUB: &str = include_str!("../keys/test-only-merchant-public.pem");
    const PLATFORM_PUB: &str = include_str!("../keys/test-only-platform-public.pem");

    #[test]
    fn a_signed_request_verifies_and_a_tampered_one_does_not() {
        let key = PrivateKey::from_pem(MERCHANT_KEY).unwrap();
        let auth = Authorization::sign(&key, "1900000001", "SERIAL", "GET", "/v3/x?a=1", b"", 1_700_000_000);
        let parsed = Authorization::parse(&auth.header_value()).unwrap();
        assert_eq!(parsed, auth);
        let public = PublicKey::from_pem(MERCHANT_PUB).unwrap();
        assert!(parsed.verify(&public, "GET", "/v3/x?a=1", b""));
        assert!(!parsed.verify(&public, "GET", "/v3/x?a=2", b""));
        assert!(!parsed.verify(&PublicKey::from_pem(PLATFORM_PUB).unwrap(), "GET", "/v3/x?a=1", b""));
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
        assert!(PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").is_err());
        assert!(PublicKey::from_pem("nonsense").is_err());
        assert!(!PublicKey::from_pem(PLATFORM_PUB).unwrap().verify(b"m", "!!not base64!!"));
    }
}
