//! The upstream client rejects any response it cannot verify: a tampered body, a wrong
//! serial, a stale timestamp, a missing signature. A hostile fake upstream produces each.

use axum::http::HeaderMap;
use axum::routing::get;
use axum::Router;
use coupon_proxy::upstream::{Client, UpstreamError};
use coupon_sandbox::identity as id;
use coupon_wechatpay::{nonce, response_message, unix_now, PrivateKey};

#[derive(Clone, Copy)]
enum Trick {
    Honest,
    TamperedBody,
    WrongSerial,
    StaleTimestamp,
    Unsigned,
}

async fn fake_upstream(trick: Trick) -> String {
    let app = Router::new().fallback(get(move || async move {
        let key = PrivateKey::from_pem(id::PLATFORM_KEY).unwrap();
        let body = r#"{"coupon_id":"real"}"#;
        let ts = match trick {
            Trick::StaleTimestamp => unix_now() - 400,
            _ => unix_now(),
        };
        let n = nonce();
        let signature = key.sign(&response_message(&ts.to_string(), &n, body.as_bytes()));
        let sent = match trick {
            Trick::TamperedBody => r#"{"coupon_id":"forged"}"#,
            _ => body,
        };
        let mut h = HeaderMap::new();
        if !matches!(trick, Trick::Unsigned) {
            h.insert("wechatpay-timestamp", ts.to_string().parse().unwrap());
            h.insert("wechatpay-nonce", n.parse().unwrap());
            h.insert("wechatpay-signature", signature.parse().unwrap());
            let serial = if matches!(trick, Trick::WrongSerial) { "SOMEONE_ELSE" } else { id::PLATFORM_SERIAL };
            h.insert("wechatpay-serial", serial.parse().unwrap());
        }
        (h, sent)
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
    assert!(matches!(call(Trick::TamperedBody).await, Err(UpstreamError::BadSignature(_))));
}

#[tokio::test]
async fn a_wrong_serial_is_rejected() {
    assert!(matches!(call(Trick::WrongSerial).await, Err(UpstreamError::BadSignature(e)) if e.contains("Serial")));
}

#[tokio::test]
async fn a_stale_timestamp_is_rejected() {
    assert!(matches!(call(Trick::StaleTimestamp).await, Err(UpstreamError::BadSignature(e)) if e.contains("5 minutes")));
}

#[tokio::test]
async fn an_unsigned_response_is_rejected() {
    assert!(matches!(call(Trick::Unsigned).await, Err(UpstreamError::BadSignature(_))));
}
