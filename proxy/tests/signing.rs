//! The request signer agrees with an independent implementation: the openssl CLI.

use base64::Engine;
use coupon_wechatpay::{request_message, PrivateKey, PublicKey};
use std::process::Command;

const KEY_FILE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../sandbox/keys/test-only-merchant-private.pem");

#[test]
fn signatures_match_openssl_byte_for_byte() {
    let message = request_message(
        "GET",
        "/v3/marketing/busifavor/users/o_x/coupons?appid=wx1&offset=0&limit=20",
        1_700_000_000,
        "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
        b"",
    );
    let dir = std::env::temp_dir().join(format!("cw-sign-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let msg_file = dir.join("message");
    let sig_file = dir.join("signature");
    std::fs::write(&msg_file, &message).unwrap();
    let status = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign", KEY_FILE, "-out"])
        .arg(&sig_file)
        .arg(&msg_file)
        .status()
        .expect("openssl CLI");
    assert!(status.success());
    let openssl_signature =
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(&sig_file).unwrap());
    let ours =
        PrivateKey::from_pem(&std::fs::read_to_string(KEY_FILE).unwrap()).unwrap().sign(&message);
    assert_eq!(ours, openssl_signature, "PKCS#1 v1.5 is deterministic: both must agree");
    let public = PublicKey::from_pem(coupon_sandbox::identity::MERCHANT_PUBLIC).unwrap();
    assert!(public.verify(&message, &openssl_signature));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_platform_certificate_verifies_like_its_public_key() {
    let dir = std::env::temp_dir().join(format!("cw-cert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../sandbox/keys/test-only-platform-private.pem");
    let cert = dir.join("cert.pem");
    let status = Command::new("openssl")
        .args([
            "req",
            "-new",
            "-x509",
            "-key",
            key,
            "-subj",
            "/CN=wechatpay-sandbox-test",
            "-days",
            "1",
            "-out",
        ])
        .arg(&cert)
        .status()
        .expect("openssl CLI");
    assert!(status.success());
    let from_cert = PublicKey::from_pem(&std::fs::read_to_string(&cert).unwrap())
        .expect("the certificate's RSA key is found");
    let message = coupon_wechatpay::response_message("1700000000", "NONCE", br#"{"data":[]}"#);
    let signature =
        PrivateKey::from_pem(&std::fs::read_to_string(key).unwrap()).unwrap().sign(&message);
    assert!(from_cert.verify(&message, &signature));
    assert!(!from_cert.verify(b"another message", &signature));
    std::fs::remove_dir_all(dir).ok();
}
