//! Who the browser is. Sandbox mode: a development login picks a sandbox user (and the demo
//! page logs in the default one). Live mode: WeChat web OAuth (`snsapi_base`) gives the
//! openid. Either way the browser only ever holds the session cookie.

use super::ApiQuery;
use crate::config::Mode;
use crate::error::ApiError;
use crate::session::{cookie_value, set_cookie, Session, COOKIE, LOGIN_COOKIE};
use crate::token::random_token;
use crate::upstream::encode;
use crate::SharedApp;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use coupon_rules::api::{DevUsers, SessionInfo};
use serde::Deserialize;
use subtle::ConstantTimeEq;

impl FromRequestParts<SharedApp> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &SharedApp,
    ) -> Result<Self, Self::Rejection> {
        let cookie = cookie_value(&parts.headers, COOKIE, app.settings.secure_cookie);
        Ok(app.sessions.resolve(cookie.as_deref()).await?)
    }
}

/// Where a browser without a session goes to get one: on the public origin when it is told
/// (the widget resolves a bare path against the API's address, not the page's).
pub fn login_url(settings: &crate::config::Settings) -> String {
    let path = match settings.mode {
        Mode::Sandbox => "/api/v1/dev/login",
        Mode::Live => "/api/v1/oauth/login",
    };
    format!("{}{path}", settings.public_origin.as_deref().unwrap_or_default())
}

fn with_cookie(response: Response, value: Option<&str>, app: &SharedApp) -> Response {
    with_named_cookie(response, COOKIE, value, app.settings.session_ttl, app)
}

fn with_named_cookie(
    mut response: Response,
    name: &'static str,
    value: Option<&str>,
    max_age: std::time::Duration,
    app: &SharedApp,
) -> Response {
    let cookie = set_cookie(name, value, app.settings.secure_cookie, max_age);
    if let Ok(v) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// OAuth requests one client address may make a minute, and all clients together: each
/// callback makes an outbound call with the AppSecret.
const OAUTH_PER_CLIENT_PER_MINUTE: u64 = 30;
const OAUTH_PER_MINUTE: u64 = 3_000;

/// The client's address: the last one the reverse proxy appended to `--client-ip-header`, or
/// the connection's.
fn client_ip(app: &SharedApp, headers: &HeaderMap, peer: std::net::SocketAddr) -> std::net::IpAddr {
    let forwarded = app
        .settings
        .client_ip_header
        .as_ref()
        .and_then(|h| headers.get_all(h).iter().next_back())
        .and_then(|v| v.to_str().ok());
    forwarded
        .and_then(|v| v.rsplit(',').next())
        .and_then(|ip| ip.trim().parse().ok())
        .unwrap_or(peer.ip())
}

/// Counts an OAuth request against the per-client and the global limit.
async fn oauth_allowed(
    app: &SharedApp,
    headers: &HeaderMap,
    peer: std::net::SocketAddr,
) -> Result<(), ApiError> {
    use crate::store::PerMinute;
    let now = crate::clock::now().unix_millis();
    // Each counter its own hash tag: on a Redis Cluster its two minutes are in one slot.
    let ip = format!("{{{}}}", client_ip(app, headers, peer));
    let (mine, all) =
        (PerMinute::at(&["oauth-rate", &ip], now), PerMinute::at(&["oauth-rate", "{all}"], now));
    let (mine_counts, all_counts) = (app.store.count(&mine).await?, app.store.count(&all).await?);
    if mine.over(mine_counts, OAUTH_PER_CLIENT_PER_MINUTE) || all.over(all_counts, OAUTH_PER_MINUTE)
    {
        return Err(ApiError::RateLimited);
    }
    Ok(())
}

/// How long a started OAuth login may take.
const LOGIN_TTL: std::time::Duration = std::time::Duration::from_secs(600);

fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

/// The longest `redirect` a login keeps.
const MAX_REDIRECT: usize = 1_024;

/// Only URL path and query characters (never `;`, a backslash or a control character), bounded
/// in length, and either a path on this origin or an address on the public or an allowed origin
/// (a page on another origin of the site): never an open redirect, never a cookie attribute.
fn safe_redirect(app: &SharedApp, r: Option<&str>) -> String {
    let path_char = |c: char| c.is_ascii_alphanumeric() || "-._~!$&'()*+,=:@/?%#".contains(c);
    let ours = |r: &str| {
        let Ok(url) = url::Url::parse(r) else { return false };
        let origin = url.origin().ascii_serialization();
        app.settings.public_origin.as_deref() == Some(origin.as_str())
            || app.settings.allowed_origins.contains(&origin)
    };
    match r {
        Some(r)
            if r.len() <= MAX_REDIRECT
                && r.chars().all(path_char)
                && ((r.starts_with('/') && !r.starts_with("//")) || ours(r)) =>
        {
            r.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// A login on a browser that still has a session ends that session first.
async fn end_previous_session(app: &SharedApp, headers: &HeaderMap) {
    if let Ok(previous) = app
        .sessions
        .resolve(cookie_value(headers, COOKIE, app.settings.secure_cookie).as_deref())
        .await
    {
        let _ = app.sessions.destroy(&previous.id).await;
    }
}

pub async fn current(session: Session, State(app): State<SharedApp>) -> Json<SessionInfo> {
    Json(SessionInfo {
        csrf_token: session.csrf,
        expires_in: session.expires_in.as_secs(),
        mode: app.settings.mode.into(),
    })
}

pub async fn logout(
    session: Session,
    State(app): State<SharedApp>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    session.check_csrf(&headers)?;
    app.sessions.destroy(&session.id).await?;
    Ok(with_cookie(StatusCode::NO_CONTENT.into_response(), None, &app))
}

/// Sandbox mode's users (the route exists only in sandbox mode).
pub async fn dev_users(State(app): State<SharedApp>) -> Json<DevUsers> {
    Json(DevUsers { users: app.settings.dev_users.clone().unwrap_or_default() })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevRedeem {
    /// A 商家券's code or a 代金券's id, as `cw:use` names it.
    coupon_id: String,
}

/// Sandbox only: the demo page's 模拟核销, the session user's coupon redeemed at the sandbox's
/// till (a 代金券's use then comes back as WeChat's notification would).
pub async fn dev_redeem(
    session: Session,
    State(app): State<SharedApp>,
    headers: HeaderMap,
    super::ApiJson(r): super::ApiJson<DevRedeem>,
) -> Result<StatusCode, ApiError> {
    session.check_csrf(&headers)?;
    let sandbox = app.settings.upstream.as_deref().unwrap_or_default();
    let body = serde_json::json!({ "openid": session.openid, "coupon": r.coupon_id });
    let answer = app.oauth_http.post(format!("{sandbox}/sandbox/redeem")).json(&body).send().await;
    let redeemed = match answer {
        Ok(a) => a.json::<serde_json::Value>().await.ok().and_then(|v| v["redeemed"].as_bool()),
        Err(_) => None,
    };
    match redeemed {
        Some(true) => Ok(StatusCode::NO_CONTENT),
        Some(false) => Err(ApiError::NotFound),
        None => Err(ApiError::Upstream(crate::upstream::UpstreamError::Unreachable(
            "the sandbox did not answer".into(),
        ))),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevLogin {
    user: Option<String>,
    redirect: Option<String>,
}

/// Sandbox only: log in as a sandbox user and go back to the page.
pub async fn dev_login(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<DevLogin>,
) -> Result<Response, ApiError> {
    let users = app.settings.dev_users.clone().unwrap_or_default();
    let user = match q.user {
        Some(u) => {
            users
                .into_iter()
                .find(|d| d.user == u)
                .ok_or_else(|| ApiError::InvalidParameter("未知的沙箱用户".into()))?
                .user
        }
        None => users.into_iter().next().ok_or(ApiError::NotFound)?.user,
    };
    end_previous_session(&app, &headers).await;
    let cookie = app.sessions.create(&user).await?;
    Ok(with_cookie(redirect(&safe_redirect(&app, q.redirect.as_deref())), Some(&cookie), &app))
}

/// The demo page. In sandbox mode a visitor without a session is logged in as the first
/// sandbox user, so the demo works on first load.
pub async fn demo_page(State(app): State<SharedApp>, headers: HeaderMap) -> Response {
    let page = match tokio::fs::read_to_string(app.settings.static_dir.join("index.html")).await {
        Ok(p) => p,
        Err(_) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "The widget is not built: run `trunk build --release` (or scripts/demo.sh).",
            )
                .into_response()
        }
    };
    let mut response = Html(page).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        axum::http::HeaderValue::from_static(super::DEMO_CSP),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-cache"));
    let has_session = app
        .sessions
        .resolve(cookie_value(&headers, COOKIE, app.settings.secure_cookie).as_deref())
        .await
        .is_ok();
    match (app.settings.dev_users.as_ref().and_then(|u| u.first()), has_session) {
        (Some(first), false) => {
            // Without the store the page still loads; the widget then shows the store's error.
            match app.sessions.create(&first.user).await {
                Ok(cookie) => with_cookie(response, Some(&cookie), &app),
                Err(_) => response,
            }
        }
        _ => response,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthLogin {
    redirect: Option<String>,
}

/// Live only: send the browser to WeChat's OAuth page; it comes back to `/oauth/callback`.
/// The `state` is random and bound to this browser by a signed, short-lived pre-login cookie,
/// so a `state` (or a whole callback URL) from another browser starts no session here.
pub async fn oauth_login(
    State(app): State<SharedApp>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<OAuthLogin>,
) -> Result<Response, ApiError> {
    oauth_allowed(&app, &headers, client).await?;
    let target = safe_redirect(&app, q.redirect.as_deref());
    let state = random_token();
    let login = app
        .sessions
        .sign(LOGIN_COOKIE, &format!("{state}|{}|{target}", coupon_wechatpay::unix_now()));
    // Live mode refuses to start without a public origin; the request's Host may be a front
    // end's rewrite.
    let callback = format!(
        "{}/api/v1/oauth/callback",
        app.settings.public_origin.as_deref().unwrap_or_default()
    );
    let url = format!(
        "https://open.weixin.qq.com/connect/oauth2/authorize?appid={}&redirect_uri={}&response_type=code&scope=snsapi_base&state={}#wechat_redirect",
        encode(&app.settings.identity.appid),
        encode(&callback),
        encode(&state)
    );
    Ok(with_named_cookie(redirect(&url), LOGIN_COOKIE, Some(&login), LOGIN_TTL, &app))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthCallback {
    code: String,
    state: String,
}

/// Live only: exchange the OAuth code for the openid and start the session. The `state` must
/// be the one this browser's pre-login cookie holds (compared in constant time), fresh, and
/// not used before.
pub async fn oauth_callback(
    State(app): State<SharedApp>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<OAuthCallback>,
) -> Result<Response, ApiError> {
    oauth_allowed(&app, &headers, client).await?;
    let bad_state = || ApiError::InvalidParameter("登录状态无效，请重试".into());
    let login = cookie_value(&headers, LOGIN_COOKIE, app.settings.secure_cookie)
        .and_then(|v| app.sessions.verify(LOGIN_COOKIE, &v))
        .ok_or_else(bad_state)?;
    let mut parts = login.splitn(3, '|');
    let (state, issued, target) = (
        parts.next().ok_or_else(bad_state)?,
        parts.next().ok_or_else(bad_state)?,
        parts.next().ok_or_else(bad_state)?,
    );
    let same = bool::from(state.as_bytes().ct_eq(q.state.as_bytes()));
    // A minute's grace for another instance's clock.
    let fresh = issued
        .parse::<i64>()
        .ok()
        .and_then(|t| coupon_wechatpay::unix_now().checked_sub(t))
        .is_some_and(|age| (-60..LOGIN_TTL.as_secs() as i64).contains(&age));
    if !same || !fresh {
        return Err(bad_state());
    }
    // Single use: a state seen before is refused, even from its own browser.
    if !app.sessions.first_use_of_state(&q.state).await? {
        return Err(bad_state());
    }
    let openid = exchange_code(&app, &q.code).await?.ok_or_else(bad_state)?;
    end_previous_session(&app, &headers).await;
    let cookie = app.sessions.create(&openid).await?;
    let response = with_cookie(redirect(&safe_redirect(&app, Some(target))), Some(&cookie), &app);
    Ok(with_named_cookie(response, LOGIN_COOKIE, None, LOGIN_TTL, &app))
}

/// WeChat's answer to an OAuth code: the openid, or `None` when WeChat refuses the code.
async fn exchange_code(app: &SharedApp, code: &str) -> Result<Option<String>, ApiError> {
    use crate::upstream::UpstreamError;
    #[derive(Deserialize)]
    struct Answer {
        openid: Option<String>,
    }
    let secret = app.settings.app_secret.as_deref().unwrap_or_default();
    let url = format!(
        "{}/sns/oauth2/access_token?appid={}&secret={}&code={}&grant_type=authorization_code",
        app.settings.oauth_api,
        encode(&app.settings.identity.appid),
        encode(secret),
        encode(code)
    );
    let unreachable = |e: reqwest::Error| {
        ApiError::Upstream(UpstreamError::Unreachable(e.without_url().to_string()))
    };
    let bytes = app
        .oauth_http
        .get(url)
        .send()
        .await
        .map_err(unreachable)?
        .bytes()
        .await
        .map_err(unreachable)?;
    let answer: Answer = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::Upstream(UpstreamError::Malformed(e.to_string())))?;
    Ok(answer.openid.filter(|o| !o.is_empty()))
}
