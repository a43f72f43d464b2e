//! Live mode: no development login, and the openid comes only from WeChat OAuth
//! (snsapi_base), here answered by a fake WeChat on loopback.

use axum::extract::Query;
use axum::routing::get;
use axum::{Json, Router};
use coupon_proxy::config::{Mode, Options, Settings};
use std::collections::HashMap;
use std::path::PathBuf;

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/keys");

async fn fake_wechat_oauth() -> String {
    let app = Router::new().route(
        "/sns/oauth2/access_token",
        get(|Query(q): Query<HashMap<String, String>>| async move {
            let ok = q.get("code").map(String::as_str) == Some("good-code")
                && q.get("secret").map(String::as_str) == Some("the-app-secret")
                && q.get("grant_type").map(String::as_str) == Some("authorization_code");
            Json(if ok {
                serde_json::json!({ "access_token": "AT", "expires_in": 7200, "openid": "o_live_user", "scope": "snsapi_base" })
            } else {
                serde_json::json!({ "errcode": 40029, "errmsg": "invalid code" })
            })
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn live_proxy() -> coupon_proxy::Running {
    let options = Options {
        mode: Some(Mode::Live),
        listen: Some("127.0.0.1:0".parse().unwrap()),
        upstream: Some("http://127.0.0.1:9".into()),
        mchid: Some("1230000109".into()),
        appid: Some("wxlive000000000001".into()),
        merchant_serial: Some("LIVE-SERIAL".into()),
        // Any key but the sandbox merchant's: live mode refuses that one.
        merchant_key_file: Some(PathBuf::from(KEYS).join("test-only-platform-private.pem")),
        platform_key_file: Some(PathBuf::from(KEYS).join("test-only-platform-public.pem")),
        platform_serial: Some("PUB_KEY_ID_LIVE".into()),
        app_secret: Some("the-app-secret".into()),
        session_secret: Some("a-session-secret-of-at-least-32-characters".into()),
        oauth_api: Some(fake_wechat_oauth().await),
        ..Options::default()
    };
    coupon_proxy::start(Settings::resolve(options).unwrap()).await.unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn query_param(url: &str, name: &str) -> String {
    let query = url.split_once('?').unwrap().1.split('#').next().unwrap();
    let raw = query.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}="))).unwrap();
    let mut out = Vec::new();
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&raw[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn the_openid_comes_from_wechat_oauth_and_nowhere_else() {
    let proxy = live_proxy().await;
    let base = format!("http://{}/api/v1", proxy.addr);
    let http = client();

    let r = http.get(format!("{base}/dev/login?user=o_live_user")).send().await.unwrap();
    assert_eq!(r.status(), 404, "no development login in live mode");

    let r = http.get(format!("{base}/coupons")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["login_url"], "/api/v1/oauth/login");

    let r = http.get(format!("{base}/oauth/login?redirect=/shop/checkout")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("https://open.weixin.qq.com/connect/oauth2/authorize?appid=wxlive000000000001&"), "{to}");
    assert!(to.contains("scope=snsapi_base") && to.ends_with("#wechat_redirect"), "{to}");
    assert_eq!(query_param(&to, "redirect_uri"), format!("https://{}/api/v1/oauth/callback", proxy.addr));
    let state = query_param(&to, "state");

    // A forged state, or a code WeChat does not accept, starts no session.
    let forged = state.replacen("%2Fshop", "%2Fevil", 1).replacen("/shop", "/evil", 1);
    let r = http.get(format!("{base}/oauth/callback?code=good-code&state={}", urlencode(&forged))).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = http.get(format!("{base}/oauth/callback?code=bad-code&state={}", urlencode(&state))).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("set-cookie").is_none());

    let r = http.get(format!("{base}/oauth/callback?code=good-code&state={}", urlencode(&state))).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/shop/checkout");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("Secure"), "live cookies are Secure: {cookie}");
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let r = http.get(format!("{base}/session")).header("cookie", cookie).send().await.unwrap();
    assert_eq!(r.status(), 200);
    proxy.shutdown().await;
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
