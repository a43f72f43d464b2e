//! Live mode: no development login, and the openid comes only from WeChat OAuth
//! (snsapi_base), here answered by a fake WeChat on loopback.

use axum::extract::Query;
use axum::routing::get;
use axum::{Json, Router};
use coupon_proxy::config::{Mode, Options, Settings};
use coupon_sandbox::identity as id;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

/// A fresh RSA key pair (made by the openssl CLI) in a temporary folder: live mode refuses
/// every key the sandbox publishes, so a live test needs keys of its own.
struct LiveKeys {
    dir: PathBuf,
}

impl LiveKeys {
    fn new(name: &str) -> LiveKeys {
        let dir = std::env::temp_dir().join(format!("cw-live-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for key in ["merchant", "platform"] {
            let private = dir.join(format!("{key}.pem"));
            let ok = Command::new("openssl")
                .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out"])
                .arg(&private)
                .status()
                .expect("openssl CLI")
                .success();
            assert!(ok);
            let ok = Command::new("openssl")
                .args(["pkey", "-pubout", "-in"])
                .arg(&private)
                .arg("-out")
                .arg(dir.join(format!("{key}-public.pem")))
                .status()
                .unwrap()
                .success();
            assert!(ok);
        }
        LiveKeys { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Complete live options with these keys.
    fn options(&self) -> Options {
        Options {
            mode: Some(Mode::Live),
            listen: Some("127.0.0.1:0".parse().unwrap()),
            upstream: Some("http://127.0.0.1:9".into()),
            mchid: Some("1230000109".into()),
            appid: Some("wxlive000000000001".into()),
            merchant_serial: Some("LIVE-SERIAL".into()),
            merchant_key_file: Some(self.path("merchant.pem")),
            platform_key_file: Some(self.path("platform-public.pem")),
            platform_serial: Some("PUB_KEY_ID_LIVE".into()),
            app_secret: Some("the-app-secret".into()),
            session_secret: Some("a-session-secret-of-at-least-32-characters".into()),
            public_origin: Some(PUBLIC_ORIGIN.into()),
            // The fakes here listen on loopback over plain HTTP.
            allow_insecure_http: Some(true),
            ..Options::default()
        }
    }
}

impl Drop for LiveKeys {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// Where browsers reach the proxy under test: a front end that the tests stand in for.
const PUBLIC_ORIGIN: &str = "https://api.shop.example.com";

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

async fn live_proxy(keys: &LiveKeys) -> coupon_proxy::Running {
    let options = Options { oauth_api: Some(fake_wechat_oauth().await), ..keys.options() };
    coupon_proxy::start(Settings::resolve(options, None).unwrap()).await.unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn query_param(url: &str, name: &str) -> String {
    let query = url.split_once('?').unwrap().1.split('#').next().unwrap();
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

/// Starts an OAuth login in a browser (a cookie jar of its own): WeChat's URL and the
/// pre-login cookie.
async fn start_login(base: &str, http: &reqwest::Client, redirect: &str) -> (String, String) {
    // A front end that rewrites Host (to the upstream's own name) changes nothing.
    let r = http
        .get(format!("{base}/oauth/login?redirect={redirect}"))
        .header("host", "proxy.internal:8787")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.starts_with("__Host-cw_login=")
            && set.contains("HttpOnly")
            && set.contains("SameSite=Lax"),
        "{set}"
    );
    (to, set.split(';').next().unwrap().to_owned())
}

async fn callback(
    base: &str,
    http: &reqwest::Client,
    cookie: Option<&str>,
    code: &str,
    state: &str,
) -> reqwest::Response {
    let mut r = http.get(format!("{base}/oauth/callback?code={code}&state={}", urlencode(state)));
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    r.send().await.unwrap()
}

#[tokio::test]
async fn the_openid_comes_from_wechat_oauth_and_nowhere_else() {
    let keys = LiveKeys::new("oauth");
    let proxy = live_proxy(&keys).await;
    let base = format!("http://{}/api/v1", proxy.addr);
    let http = client();

    for dev in ["/dev/login?user=o_live_user", "/dev/users"] {
        let r = http.get(format!("{base}{dev}")).send().await.unwrap();
        assert_eq!(r.status(), 404, "{dev}: no development routes in live mode");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            body["error"]["code"], "NOT_FOUND",
            "the router itself answers: the route does not exist"
        );
    }

    let r = http.get(format!("{base}/coupons")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body["error"]["login_url"],
        format!("{PUBLIC_ORIGIN}/api/v1/oauth/login"),
        "the login link is on the public origin"
    );

    let (to, login_cookie) = start_login(&base, &http, "/shop/checkout").await;
    assert!(
        to.starts_with(
            "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wxlive000000000001&"
        ),
        "{to}"
    );
    assert!(to.contains("scope=snsapi_base") && to.ends_with("#wechat_redirect"), "{to}");
    assert_eq!(
        query_param(&to, "redirect_uri"),
        format!("{PUBLIC_ORIGIN}/api/v1/oauth/callback"),
        "the public origin, not the request's Host"
    );
    let state = query_param(&to, "state");

    // A state that is not this browser's, or a code WeChat does not accept, starts no session.
    let r = callback(&base, &http, Some(&login_cookie), "good-code", &format!("{state}x")).await;
    assert_eq!(r.status(), 400);
    let r = callback(&base, &http, Some(&login_cookie), "bad-code", &state).await;
    assert_eq!(r.status(), 400);
    assert!(r
        .headers()
        .get_all("set-cookie")
        .iter()
        .all(|c| !c.to_str().unwrap().starts_with("__Host-cw_session=")));

    // A new login (the refused code used up the state), completed.
    let (to, login_cookie) = start_login(&base, &http, "/shop/checkout").await;
    let state = query_param(&to, "state");
    let r = callback(&base, &http, Some(&login_cookie), "good-code", &state).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/shop/checkout");
    let cookies: Vec<String> =
        r.headers().get_all("set-cookie").iter().map(|c| c.to_str().unwrap().to_owned()).collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("__Host-cw_session="))
        .expect("a session cookie, __Host- as it is Secure");
    assert!(
        session.contains("HttpOnly") && session.contains("Secure"),
        "live cookies are Secure: {session}"
    );
    assert!(
        cookies.iter().any(|c| c.starts_with("__Host-cw_login=") && c.contains("Max-Age=0")),
        "the pre-login cookie is cleared: {cookies:?}"
    );
    let session = session.split(';').next().unwrap().to_owned();
    let r = http.get(format!("{base}/session")).header("cookie", session).send().await.unwrap();
    assert_eq!(r.status(), 200);
    proxy.shutdown().await;
}

#[tokio::test]
async fn a_state_replayed_from_another_browser_starts_no_session() {
    let keys = LiveKeys::new("replay");
    let proxy = live_proxy(&keys).await;
    let base = format!("http://{}/api/v1", proxy.addr);
    let http = client();
    // The victim's browser starts a login; an attacker gets hold of its callback URL.
    let (to, _victims_cookie) = start_login(&base, &http, "/").await;
    let state = query_param(&to, "state");
    // From the attacker's browser: no pre-login cookie, or its own from another login.
    assert_eq!(callback(&base, &http, None, "good-code", &state).await.status(), 400);
    let (_, attackers_cookie) = start_login(&base, &http, "/").await;
    let r = callback(&base, &http, Some(&attackers_cookie), "good-code", &state).await;
    assert_eq!(r.status(), 400, "another browser's state is refused");
    proxy.shutdown().await;
}

#[tokio::test]
async fn a_state_works_once() {
    let keys = LiveKeys::new("once");
    let proxy = live_proxy(&keys).await;
    let base = format!("http://{}/api/v1", proxy.addr);
    let http = client();
    let (to, cookie) = start_login(&base, &http, "/").await;
    let state = query_param(&to, "state");
    assert_eq!(callback(&base, &http, Some(&cookie), "good-code", &state).await.status(), 303);
    assert_eq!(
        callback(&base, &http, Some(&cookie), "good-code", &state).await.status(),
        400,
        "replayed in the same browser"
    );
    proxy.shutdown().await;
}

/// Live mode with `change` applied to otherwise valid options: the error, if refused.
fn live_with(name: &str, change: impl FnOnce(&LiveKeys, &mut Options)) -> Result<(), String> {
    let keys = LiveKeys::new(name);
    let mut options = keys.options();
    change(&keys, &mut options);
    Settings::resolve(options, None).map(|_| ()).map_err(|e| e.to_string())
}

fn sandbox_file(name: &str) -> Option<PathBuf> {
    Some(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../sandbox/keys")).join(name))
}

fn refused(result: Result<(), String>, what: &str) {
    let err = result.expect_err("live mode must refuse it");
    assert!(err.contains("sandbox") && err.contains(what), "{err}");
}

#[test]
fn live_options_of_its_own_are_accepted() {
    live_with("ok", |_, _| {}).unwrap();
}

#[test]
fn live_mode_refuses_the_sandbox_merchant_id() {
    refused(live_with("mchid", |_, o| o.mchid = Some(id::MCHID.into())), "merchant id");
}

#[test]
fn live_mode_refuses_the_sandbox_appid() {
    refused(live_with("appid", |_, o| o.appid = Some(id::APPID.into())), "appid");
}

#[test]
fn live_mode_refuses_the_sandbox_merchant_serial() {
    refused(
        live_with("mserial", |_, o| o.merchant_serial = Some(id::MERCHANT_SERIAL.into())),
        "merchant certificate serial",
    );
}

#[test]
fn live_mode_refuses_the_sandbox_platform_serial() {
    refused(
        live_with("pserial", |_, o| o.platform_serial = Some(id::PLATFORM_SERIAL.into())),
        "platform serial",
    );
}

#[test]
fn live_mode_refuses_the_sandbox_merchant_key() {
    refused(
        live_with("mkey", |_, o| {
            o.merchant_key_file = sandbox_file("test-only-merchant-private.pem")
        }),
        "merchant key",
    );
}

#[test]
fn live_mode_refuses_the_sandbox_platform_key() {
    refused(
        live_with("pkey", |_, o| {
            o.platform_key_file = sandbox_file("test-only-platform-public.pem")
        }),
        "platform key",
    );
}

#[test]
fn live_mode_refuses_a_certificate_of_the_sandbox_platform_key() {
    refused(
        live_with("pcert", |keys, o| {
            let cert = keys.path("sandbox-cert.pem");
            let key = sandbox_file("test-only-platform-private.pem").unwrap();
            let ok = Command::new("openssl")
                .args(["req", "-new", "-x509", "-subj", "/CN=sandbox", "-days", "1", "-key"])
                .arg(key)
                .arg("-out")
                .arg(&cert)
                .status()
                .unwrap()
                .success();
            assert!(ok);
            o.platform_key_file = Some(cert);
        }),
        "platform key or certificate",
    );
}

#[test]
fn live_mode_refuses_the_sandbox_session_secret() {
    refused(
        live_with("secret", |_, o| o.session_secret = Some(id::SESSION_SECRET.into())),
        "session secret",
    );
}

#[test]
fn the_refused_identities_are_the_sandboxs_own() {
    use coupon_proxy::config::test_identities as t;
    use coupon_wechatpay::{PrivateKey, PublicKey};
    assert!(t::MCHIDS.contains(&id::MCHID) && t::APPIDS.contains(&id::APPID));
    assert!(t::SERIALS.contains(&id::MERCHANT_SERIAL) && t::SERIALS.contains(&id::PLATFORM_SERIAL));
    assert!(id::PLATFORM_CERT_SERIALS.iter().all(|s| t::SERIALS.contains(s)));
    let merchant = PrivateKey::from_pem(id::MERCHANT_KEY).unwrap().fingerprint();
    assert_eq!(merchant, PublicKey::from_pem(id::MERCHANT_PUBLIC).unwrap().fingerprint());
    let certificates =
        id::PLATFORM_CERT_KEYS.map(|k| PrivateKey::from_pem(k).unwrap().fingerprint());
    let platform = PublicKey::from_pem(id::PLATFORM_PUBLIC).unwrap().fingerprint();
    assert_eq!(
        t::KEY_FINGERPRINTS,
        [merchant, platform, certificates[0].clone(), certificates[1].clone()]
    );
    assert_eq!(
        t::SESSION_SECRET_SHA256,
        coupon_proxy::config::sha256_hex(id::SESSION_SECRET.as_bytes())
    );
    assert_eq!(t::APIV3_KEY_SHA256, coupon_proxy::config::sha256_hex(id::APIV3_KEY.as_bytes()));
}

#[test]
fn sandbox_mode_needs_a_sandbox() {
    let err = Settings::resolve(Options::default(), None).unwrap_err().to_string();
    assert!(err.contains("sandbox mode is not in this build"), "{err}");
}

#[test]
fn a_browser_keeps_a_first_page_for_an_hour_at_most() {
    let keys = LiveKeys::new("stale");
    let options = Options { stale_while_revalidate_secs: Some(3_601), ..keys.options() };
    let err = Settings::resolve(options, None).unwrap_err().to_string();
    assert!(err.contains("--stale-while-revalidate-secs 3601: at most 3600"), "{err}");
    let options = Options { stale_while_revalidate_secs: Some(0), ..keys.options() };
    assert!(Settings::resolve(options, None).unwrap().stale_while_revalidate.is_zero());
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A certificate of the live test's platform key, with the serial and validity given.
fn live_certificate(
    keys: &LiveKeys,
    name: &str,
    serial: &str,
    from_days: i64,
    to_days: i64,
) -> PathBuf {
    let now = coupon_wechatpay::unix_now();
    let key = std::fs::read_to_string(keys.path("platform.pem")).unwrap();
    let pem =
        coupon_sandbox::certificate(&key, serial, now + from_days * 86_400, now + to_days * 86_400)
            .unwrap();
    let path = keys.path(name);
    std::fs::write(&path, pem).unwrap();
    path
}

fn refused_because(result: Result<(), String>, why: &str) {
    let err = result.expect_err("live mode must refuse it");
    assert!(err.contains(why), "{err}");
}

#[test]
fn a_platform_key_that_is_the_merchants_own_is_refused() {
    refused_because(
        live_with("own-key", |k, o| o.platform_key_file = Some(k.path("merchant-public.pem"))),
        "merchant's own key",
    );
}

#[test]
fn a_platform_serial_that_is_the_merchant_serial_is_refused() {
    refused_because(
        live_with("own-serial", |_, o| o.platform_serial = o.merchant_serial.clone()),
        "merchant's own certificate serial",
    );
}

#[test]
fn an_apiv3_key_that_is_not_32_bytes_is_refused() {
    refused_because(
        live_with("apiv3", |_, o| o.apiv3_key = Some("thirty-one-bytes-is-not-enough!".into())),
        "must be 32 bytes",
    );
    live_with("apiv3-ok", |_, o| o.apiv3_key = Some("0123456789abcdef0123456789abcdef".into()))
        .unwrap();
}

#[test]
fn an_expired_certificate_as_the_only_key_is_refused() {
    let only_expired = |k: &LiveKeys, o: &mut Options| {
        (o.platform_key_file, o.platform_serial) = (None, None);
        o.platform_cert_files = Some(vec![live_certificate(k, "old.pem", "0A1B2C3D", -400, -1)]);
    };
    refused_because(
        live_with("expired", only_expired),
        "every platform certificate has expired (0A1B2C3D)",
    );
    // With the APIv3 key the proxy downloads the current one instead.
    live_with("expired-apiv3", |k, o| {
        only_expired(k, o);
        o.apiv3_key = Some("0123456789abcdef0123456789abcdef".into());
    })
    .unwrap();
}

#[test]
fn no_platform_key_at_all_is_refused_with_the_ways_to_give_one() {
    refused_because(
        live_with("none", |_, o| (o.platform_key_file, o.platform_serial) = (None, None)),
        "--wechatpay-public-key-file",
    );
}

#[test]
fn certificates_and_the_public_key_are_read_with_their_serials() {
    let keys = LiveKeys::new("readable");
    let mut o = keys.options();
    (o.platform_key_file, o.platform_serial) = (None, None);
    o.platform_cert_files = Some(vec![
        live_certificate(&keys, "a.pem", "5157F09EFDC096DE", -10, 300),
        live_certificate(&keys, "b.pem", "7A0C", -1, 1_800),
    ]);
    o.wechatpay_public_key_file = Some(keys.path("platform-public.pem"));
    o.wechatpay_public_key_id = Some("PUB_KEY_ID_0112233445566778899".into());
    let settings = Settings::resolve(o.clone(), None).unwrap();
    let now = coupon_wechatpay::unix_now();
    let serials: Vec<&str> =
        settings.platform_keys.certificates().map(|c| c.serial.as_str()).collect();
    assert_eq!(serials, ["5157F09EFDC096DE", "7A0C"]);
    assert_eq!(
        settings.platform_keys.preferred_serial(now),
        Some("PUB_KEY_ID_0112233445566778899"),
        "the public key first"
    );
    o.wechatpay_public_key_file = None;
    o.wechatpay_public_key_id = None;
    let settings = Settings::resolve(o.clone(), None).unwrap();
    assert_eq!(
        settings.platform_keys.preferred_serial(now),
        Some("7A0C"),
        "else the newest valid certificate"
    );
    o.wechatpay_public_key_file = Some(keys.path("platform-public.pem"));
    o.wechatpay_public_key_id = Some("0112233445566778899".into());
    refused_because(
        Settings::resolve(o, None).map(|_| ()).map_err(|e| e.to_string()),
        "starts with PUB_KEY_ID_",
    );
}

#[tokio::test]
async fn a_live_proxy_that_cannot_download_its_only_keys_does_not_start() {
    let keys = LiveKeys::new("no-download");
    let mut o = keys.options();
    (o.platform_key_file, o.platform_serial) = (None, None);
    o.apiv3_key = Some("0123456789abcdef0123456789abcdef".into());
    o.upstream_backup = Some("none".into());
    let err = coupon_proxy::start(Settings::resolve(o, None).unwrap())
        .await
        .err()
        .expect("no key, no start")
        .to_string();
    assert!(err.contains("cannot download the platform certificates"), "{err}");
}

#[tokio::test]
async fn a_redirect_cannot_add_cookie_attributes_and_a_new_login_ends_the_old_session() {
    let keys = LiveKeys::new("redirect");
    let proxy = live_proxy(&keys).await;
    let base = format!("http://{}/api/v1", proxy.addr);
    let http = client();
    let (to, cookie) = start_login(&base, &http, "/shop%3BDomain%3Devil.example").await;
    let r = http
        .get(format!("{base}/oauth/login?redirect=/shop%3BDomain%3Devil.example"))
        .send()
        .await
        .unwrap();
    let set = r.headers()["set-cookie"].to_str().unwrap();
    assert!(!set.contains("Domain"), "{set}");
    let state = query_param(&to, "state");
    let r = callback(&base, &http, Some(&cookie), "good-code", &state).await;
    assert_eq!(r.headers()["location"], "/", "a redirect with `;` is not kept");
    let first = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("__Host-cw_session="))
        .unwrap();
    let first = first.split(';').next().unwrap().to_owned();
    assert_eq!(
        http.get(format!("{base}/session")).header("cookie", &first).send().await.unwrap().status(),
        200
    );

    // The same browser logs in again: its first session is over.
    let (to, login) = start_login(&base, &http, "/").await;
    let both = format!("{first}; {login}");
    let r = callback(&base, &http, Some(&both), "good-code", &query_param(&to, "state")).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        http.get(format!("{base}/session")).header("cookie", &first).send().await.unwrap().status(),
        401
    );
    proxy.shutdown().await;
}

#[test]
fn live_mode_refuses_insecure_transport_unless_told_and_then_on_loopback_only() {
    let plain = |o: &mut Options| o.allow_insecure_http = None;
    refused_because(
        live_with("http-upstream", |_, o| plain(o)),
        "live mode refuses --upstream http://127.0.0.1:9",
    );
    refused_because(
        live_with("cookie", |_, o| {
            plain(o);
            o.upstream = Some("https://api.mch.weixin.qq.com".into());
            o.secure_cookie = Some(false);
        }),
        "refuses --secure-cookie false",
    );
    refused_because(
        live_with("http-origin", |_, o| {
            o.allowed_origins = Some(vec!["http://shop.example.com".into()])
        }),
        "loopback addresses only",
    );
    refused_because(
        live_with("remote", |_, o| o.upstream = Some("http://10.1.2.3:8080".into())),
        "loopback addresses only",
    );
    live_with("https", |_, o| {
        plain(o);
        o.upstream = Some("https://api.mch.weixin.qq.com".into());
        o.allowed_origins = Some(vec!["https://shop.example.com".into()]);
    })
    .unwrap();
}

#[test]
fn origins_are_checked_at_start_up_and_a_wildcard_is_refused_not_a_panic() {
    refused_because(
        live_with("star", |_, o| o.allowed_origins = Some(vec!["*".into()])),
        "wildcard",
    );
    refused_because(
        live_with("path", |_, o| {
            o.allowed_origins = Some(vec!["https://shop.example.com/h5".into()])
        }),
        "no path",
    );
    refused_because(
        live_with("junk", |_, o| o.allowed_origins = Some(vec!["shop".into()])),
        "not an origin",
    );
}

#[test]
fn live_mode_needs_the_public_origin_and_allowed_origins_on_its_site() {
    refused_because(
        live_with("no-public", |_, o| o.public_origin = None),
        "live mode needs --public-origin",
    );
    refused_because(
        live_with("public-path", |_, o| {
            o.public_origin = Some("https://api.shop.example.com/api".into())
        }),
        "no path",
    );
    refused_because(
        live_with("public-http", |_, o| {
            o.public_origin = Some("http://api.shop.example.com".into())
        }),
        "loopback addresses only",
    );
    let origins = |public: &str, allowed: &[&str]| {
        let (public, allowed) =
            (public.to_owned(), allowed.iter().map(|a| a.to_string()).collect());
        live_with("site", move |_, o| {
            (o.public_origin, o.allowed_origins) = (Some(public), Some(allowed))
        })
    };
    origins(
        "https://api.shop.example.com",
        &["https://shop.example.com", "https://h5.example.com:8443"],
    )
    .unwrap();
    origins("https://api.example.com.cn", &["https://h5.example.com.cn"]).unwrap();
    for (public, allowed) in [
        ("https://api.shop.example.com", "https://shop.example.net"),
        // com.cn is a public suffix: these two are different merchants' sites.
        ("https://api.example.com.cn", "https://h5.other.com.cn"),
        // Schemeful: an http page is another site than an https API.
        ("http://127.0.0.1:8787", "https://127.0.0.1:8080"),
        ("https://127.0.0.1:8787", "https://localhost:8080"),
    ] {
        refused_because(origins(public, &[allowed]), "not on the same site");
    }
}

#[tokio::test]
async fn after_login_the_browser_returns_to_a_page_on_an_allowed_origin_only() {
    let keys = LiveKeys::new("return");
    let options = Options {
        oauth_api: Some(fake_wechat_oauth().await),
        allowed_origins: Some(vec!["https://h5.example.com".into()]),
        ..keys.options()
    };
    let proxy = coupon_proxy::start(Settings::resolve(options, None).unwrap()).await.unwrap();
    let base = format!("http://{}/api/v1", proxy.addr);
    let http = client();
    for (asked, back) in [
        ("https://h5.example.com/shop/pay?order=7", "https://h5.example.com/shop/pay?order=7"),
        ("https://api.shop.example.com/", "https://api.shop.example.com/"),
        ("https://evil.example.net/shop", "/"),
        ("https://h5.example.com.evil.net/", "/"),
        ("javascript:alert(1)", "/"),
    ] {
        let (to, cookie) = start_login(&base, &http, &urlencode(asked)).await;
        let r =
            callback(&base, &http, Some(&cookie), "good-code", &query_param(&to, "state")).await;
        assert_eq!(r.headers()["location"], back, "{asked}");
    }
    proxy.shutdown().await;
}

#[tokio::test]
async fn oauth_requests_are_throttled_per_client() {
    let keys = LiveKeys::new("throttle");
    let proxy = live_proxy(&keys).await;
    let http = client();
    let url = format!("http://{}/api/v1/oauth/callback?code=x&state=y", proxy.addr);
    let mut statuses = Vec::new();
    for _ in 0..32 {
        statuses.push(http.get(&url).send().await.unwrap().status().as_u16());
    }
    assert!(statuses[..30].iter().all(|s| *s == 400), "refused for their state: {statuses:?}");
    assert_eq!(&statuses[30..], [429, 429], "then throttled, before any outbound exchange");
    proxy.shutdown().await;

    // Behind a reverse proxy every client has its address: told by the header it appends.
    let options = Options {
        oauth_api: Some(fake_wechat_oauth().await),
        client_ip_header: Some("x-forwarded-for".into()),
        ..keys.options()
    };
    let proxy = coupon_proxy::start(Settings::resolve(options, None).unwrap()).await.unwrap();
    let url = format!("http://{}/api/v1/oauth/callback?code=x&state=y", proxy.addr);
    for client in 0..40 {
        let r = http
            .get(&url)
            .header("x-forwarded-for", format!("203.0.113.7, 198.51.100.{client}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "client {client} is not throttled for the others");
    }
    proxy.shutdown().await;
}
