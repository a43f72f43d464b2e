//! The upstream client rejects any response it cannot verify: a tampered body, a wrong
//! serial, a stale timestamp, a missing signature, a probe signature, a signature type it does
//! not implement; an unsigned error is WeChat's refusal, not an attack. A hostile fake
//! upstream produces each.

use axum::http::HeaderMap;
use axum::routing::get;
use axum::Router;
use coupon_proxy::{UpstreamClient as Client, UpstreamError};
use coupon_sandbox::identity as id;
use coupon_wechatpay::{nonce, response_message, unix_now, PrivateKey, Unverified};

#[derive(Clone, Copy)]
enum Trick {
    Honest,
    TamperedBody,
    WrongSerial,
    StaleTimestamp,
    /// A timestamp at the edge of i64: the skew check must not overflow.
    ExtremeTimestamp,
    Unsigned,
    UnsignedError,
    Probe,
    OtherSignatureType,
}

async fn fake_upstream(trick: Trick) -> String {
    let app = Router::new().fallback(get(move || async move {
        let key = PrivateKey::from_pem(id::PLATFORM_KEY).unwrap();
        let body = r#"{"coupon_id":"real"}"#;
        let ts = match trick {
            Trick::StaleTimestamp => unix_now() - 400,
            Trick::ExtremeTimestamp => i64::MIN,
            _ => unix_now(),
        };
        let n = nonce();
        let mut signature = key.sign(&response_message(&ts.to_string(), &n, body.as_bytes()));
        if matches!(trick, Trick::Probe) {
            signature = format!("WECHATPAY/SIGNTEST/{signature}");
        }
        let sent = match trick {
            Trick::TamperedBody => r#"{"coupon_id":"forged"}"#,
            _ => body,
        };
        let mut h = HeaderMap::new();
        h.insert("request-id", "08F4A5C3B60610A1B2C3D4E5F6".parse().unwrap());
        if matches!(trick, Trick::OtherSignatureType) {
            h.insert("wechatpay-signature-type", "WECHATPAY2-SM2-WITH-SM3".parse().unwrap());
        }
        if matches!(trick, Trick::UnsignedError) {
            let status = axum::http::StatusCode::UNAUTHORIZED;
            return (status, h, r#"{"code":"SIGN_ERROR","message":"签名错误"}"#);
        }
        if !matches!(trick, Trick::Unsigned) {
            h.insert("wechatpay-timestamp", ts.to_string().parse().unwrap());
            h.insert("wechatpay-nonce", n.parse().unwrap());
            h.insert("wechatpay-signature", signature.parse().unwrap());
            let serial = if matches!(trick, Trick::WrongSerial) {
                "SOMEONE_ELSE"
            } else {
                id::PLATFORM_SERIAL
            };
            h.insert("wechatpay-serial", serial.parse().unwrap());
        }
        (axum::http::StatusCode::OK, h, sent)
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn call(trick: Trick) -> Result<bytes::Bytes, UpstreamError> {
    let (settings, _sandbox) = coupon_proxy::dev::sandbox_settings().await.unwrap();
    let client = Client::new(&settings, fake_upstream(trick).await).unwrap();
    client.get("/v3/anything").await
}

#[tokio::test]
async fn an_honest_response_verifies() {
    assert_eq!(&call(Trick::Honest).await.unwrap()[..], br#"{"coupon_id":"real"}"#);
}

#[tokio::test]
async fn a_tampered_body_is_rejected() {
    assert_eq!(
        call(Trick::TamperedBody).await,
        Err(UpstreamError::BadSignature(Unverified::Forged))
    );
}

#[tokio::test]
async fn a_wrong_serial_is_rejected() {
    assert!(
        matches!(call(Trick::WrongSerial).await, Err(UpstreamError::BadSignature(e @ Unverified::UnknownSerial(_))) if e.to_string().contains("Serial"))
    );
}

#[tokio::test]
async fn a_stale_timestamp_is_rejected() {
    assert!(
        matches!(call(Trick::StaleTimestamp).await, Err(UpstreamError::BadSignature(e @ Unverified::ClockSkew { .. })) if e.to_string().contains("5 minutes"))
    );
}

#[tokio::test]
async fn a_timestamp_at_the_edge_of_the_integers_is_clock_skew_not_a_panic() {
    assert!(matches!(
        call(Trick::ExtremeTimestamp).await,
        Err(UpstreamError::BadSignature(Unverified::ClockSkew { .. }))
    ));
}

#[tokio::test]
async fn an_unsigned_response_is_rejected() {
    assert_eq!(call(Trick::Unsigned).await, Err(UpstreamError::BadSignature(Unverified::Unsigned)));
}

#[tokio::test]
async fn a_probe_signature_is_refused_as_a_probe() {
    assert_eq!(call(Trick::Probe).await, Err(UpstreamError::BadSignature(Unverified::Probe)));
}

#[tokio::test]
async fn a_signature_type_not_implemented_is_refused_not_assumed_rsa() {
    assert!(
        matches!(call(Trick::OtherSignatureType).await, Err(UpstreamError::BadSignature(Unverified::UnsupportedType(t))) if t == "WECHATPAY2-SM2-WITH-SM3")
    );
}

#[tokio::test]
async fn an_unsigned_error_is_wechats_refusal_with_its_code_kept() {
    let e = call(Trick::UnsignedError).await.unwrap_err();
    assert_eq!(
        e,
        UpstreamError::Rejected {
            status: 401,
            code: "SIGN_ERROR".into(),
            message: "签名错误".into(),
            signed: false
        }
    );
}
