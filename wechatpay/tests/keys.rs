//! The key set and the APIv3 key: which key an answer is checked with, which serial a request
//! names, what an encrypted certificate list opens to.

use coupon_sandbox::identity as id;
use coupon_wechatpay::*;

const DAY: i64 = 86_400;
const NOW: i64 = 1_790_000_000;

fn cert(which: usize, from_days: i64, to_days: i64) -> Certificate {
    let pem = coupon_sandbox::certificate(
        id::PLATFORM_CERT_KEYS[which],
        id::PLATFORM_CERT_SERIALS[which],
        NOW + from_days * DAY,
        NOW + to_days * DAY,
    );
    Certificate::from_pem(&pem.unwrap()).unwrap()
}

/// An answer signed at `NOW` with certificate `which`'s key, naming `serial`.
fn signed(which: usize, serial: &str, body: &[u8]) -> (String, String, String, String) {
    let (ts, n) = (NOW.to_string(), nonce());
    let signature = PrivateKey::from_pem(id::PLATFORM_CERT_KEYS[which])
        .unwrap()
        .sign(&response_message(&ts, &n, body));
    (ts, n, signature, serial.to_owned())
}

fn headers(a: &(String, String, String, String)) -> SignedHeaders<'_> {
    SignedHeaders {
        timestamp: Some(&a.0),
        nonce: Some(&a.1),
        signature: Some(&a.2),
        serial: Some(&a.3),
        signature_type: Some(SIGNATURE_TYPE),
    }
}

#[test]
fn a_certificate_gives_its_serial_in_uppercase_hex_and_its_validity() {
    let c = cert(0, -10, 20);
    assert_eq!(c.serial, id::PLATFORM_CERT_SERIALS[0]);
    assert_eq!((c.not_before, c.not_after), (NOW - 10 * DAY, NOW + 20 * DAY));
    assert!(c.is_valid_at(NOW) && !c.is_valid_at(NOW + 21 * DAY));
}

#[test]
fn an_answer_is_checked_with_the_key_its_serial_names() {
    let mut keys = KeySet::default();
    keys.add_certificate(cert(0, -10, 20));
    keys.add_certificate(cert(1, -1, 400));
    let body = br#"{"ok":true}"#;
    for which in [0, 1] {
        let a = signed(which, id::PLATFORM_CERT_SERIALS[which], body);
        assert_eq!(keys.verify(&headers(&a), body, NOW), Ok(()));
    }
    let crossed = signed(0, id::PLATFORM_CERT_SERIALS[1], body);
    assert_eq!(
        keys.verify(&headers(&crossed), body, NOW),
        Err(Unverified::Forged),
        "signed by one, naming the other"
    );
    let unknown = signed(0, "0BADC0DE", body);
    assert_eq!(
        keys.verify(&headers(&unknown), body, NOW),
        Err(Unverified::UnknownSerial("0BADC0DE".into()))
    );
    let late = signed(0, id::PLATFORM_CERT_SERIALS[0], body);
    let at_expiry = NOW + 21 * DAY;
    let stale = keys.verify(
        &SignedHeaders { timestamp: Some(&at_expiry.to_string()), ..headers(&late) },
        body,
        at_expiry,
    );
    assert_eq!(stale, Err(Unverified::ExpiredCertificate(id::PLATFORM_CERT_SERIALS[0].into())));
    assert_eq!(keys.verify(&SignedHeaders::default(), body, NOW), Err(Unverified::Unsigned));
}

#[test]
fn a_request_names_the_public_key_first_then_the_newest_valid_certificate() {
    let mut keys = KeySet::default();
    assert_eq!(keys.preferred_serial(NOW), None);
    keys.add_certificate(cert(0, -10, 20));
    keys.add_certificate(cert(1, -1, 400));
    assert_eq!(keys.preferred_serial(NOW), Some(id::PLATFORM_CERT_SERIALS[1]));
    assert_eq!(
        keys.preferred_serial(NOW - 5 * DAY),
        Some(id::PLATFORM_CERT_SERIALS[0]),
        "the successor is not valid yet"
    );
    keys.add_key(id::PLATFORM_SERIAL, PublicKey::from_pem(id::PLATFORM_PUBLIC).unwrap());
    assert_eq!(keys.preferred_serial(NOW), Some(id::PLATFORM_SERIAL));
    assert!(keys.has_usable_key(NOW + 10_000 * DAY), "a public key does not expire");
}

#[test]
fn the_apiv3_key_opens_what_it_sealed_and_nothing_else() {
    let key = ApiV3Key::new(id::APIV3_KEY).unwrap();
    let sealed = key.seal("certificate", b"-----BEGIN CERTIFICATE-----");
    assert_eq!(key.open(&sealed).unwrap(), b"-----BEGIN CERTIFICATE-----");
    let other = ApiV3Key::new("0123456789abcdef0123456789abcdef").unwrap();
    assert!(other.open(&sealed).unwrap_err().contains("does not open"));
    let altered = EncryptedResource { associated_data: "transaction".into(), ..sealed.clone() };
    assert!(key.open(&altered).is_err(), "the associated data is authenticated too");
    assert!(ApiV3Key::new("short").unwrap_err().contains("32 bytes"));
    assert_eq!(format!("{key:?}"), "ApiV3Key(<redacted>)");
}

#[test]
fn a_listed_certificate_must_carry_its_own_serial() {
    let key = ApiV3Key::new(id::APIV3_KEY).unwrap();
    let pem = coupon_sandbox::certificate(
        id::PLATFORM_CERT_KEYS[0],
        id::PLATFORM_CERT_SERIALS[0],
        NOW - DAY,
        NOW + DAY,
    )
    .unwrap();
    let listed = |serial: &str| {
        let list = CertificateList {
            data: vec![ListedCertificate {
                serial_no: serial.into(),
                effective_time: String::new(),
                expire_time: String::new(),
                encrypt_certificate: key.seal("certificate", pem.as_bytes()),
            }],
        };
        serde_json::to_vec(&list).unwrap()
    };
    let opened = open_certificates(&listed(id::PLATFORM_CERT_SERIALS[0]), &key).unwrap();
    assert_eq!(opened[0].serial, id::PLATFORM_CERT_SERIALS[0]);
    assert!(open_certificates(&listed("0BADC0DE"), &key)
        .unwrap_err()
        .contains("listed as 0BADC0DE"));
    assert!(open_certificates(b"{\"data\": 1}", &key).is_err());
}
