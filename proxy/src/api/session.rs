//! Who the browser is. Sandbox mode: a development login picks a sandbox user (and the demo
//! page logs in the default one). Live mode: WeChat web OAuth (`snsapi_base`) gives the
//! openid. Either way the browser only ever holds the session cookie.

use crate::config::Mode;
use crate::error::ApiError;
use crate::session::{cookie_value, set_cookie, Session};
use crate::upstream::{decode, encode};
use crate::SharedApp;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use coupon_rules::api::{DevUser, DevUsers, SessionInfo};

impl FromRequestParts<SharedApp> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &SharedApp) -> Result<Self, Self::Rejection> {
        app.sessions.resolve(cookie_value(&parts.headers).as_deref(), login_url(app))
    }
}

/// Where a browser without a session goes to get one.
pub fn login_url(app: &SharedApp) -> &'static str {
    match app.settings.mode {
        Mode::Sandbox => "/api/v1/dev/login",
        Mode::Live => "/api/v1/oauth/login",
    }
}

fn with_cookie(mut response: Response, value: Option<&str>, app: &SharedApp) -> Response {
    let cookie = set_cookie(value, app.settings.secure_cookie, app.settings.session_ttl);
    if let Ok(v) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

/// Only same-site paths: never an open redirect.
fn safe_redirect(r: Option<&str>) -> String {
    match r {
        Some(r) if r.starts_with('/') && !r.starts_with("//") && !r.contains('\\') && !r.chars().any(char::is_control) => r.to_owned(),
        _ => "/".to_owned(),
    }
}

pub async fn current(session: Session, State(app): State<SharedApp>) -> Json<SessionInfo> {
    Json(SessionInfo { csrf_token: session.csrf, expires_in: session.expires_in.as_secs(), mode: app.settings.mode.into() })
}

pub async fn logout(session: Session, State(app): State<SharedApp>, headers: HeaderMap) -> Result<Response, ApiError> {
    session.check_csrf(&headers)?;
    app.sessions.destroy(&session.id);
    Ok(with_cookie(StatusCode::NO_CONTENT.into_response(), None, &app))
}

pub async fn dev_users(State(app): State<SharedApp>) -> Result<Json<DevUsers>, ApiError> {
    let sandbox = app.sandbox.as_ref().ok_or(ApiError::NotFound)?;
    let users = sandbox.users().into_iter().map(|(user, label)| DevUser { user, label }).collect();
    Ok(Json(DevUsers { users }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevLogin {
    user: Option<String>,
    redirect: Option<String>,
}

/// Sandbox only: log in as a sandbox user and go back to the page.
pub async fn dev_login(State(app): State<SharedApp>, query: Result<Query<DevLogin>, axum::extract::rejection::QueryRejection>) -> Result<Response, ApiError> {
    let sandbox = app.sandbox.as_ref().ok_or(ApiError::NotFound)?;
    let Query(q) = query.map_err(|e| ApiError::InvalidParameter(e.body_text()))?;
    let users = sandbox.users();
    let user = match q.user {
        Some(u) => users.into_iter().find(|(openid, _)| *openid == u).ok_or_else(|| ApiError::InvalidParameter("未知的沙箱用户".into()))?.0,
        None => users.into_iter().next().ok_or(ApiError::NotFound)?.0,
    };
    let cookie = app.sessions.create(&user);
    Ok(with_cookie(redirect(&safe_redirect(q.redirect.as_deref())), Some(&cookie), &app))
}

/// The demo page. In sandbox mode a visitor without a session is logged in as the first
/// sandbox user, so the demo works on first load.
pub async fn demo_page(State(app): State<SharedApp>, headers: HeaderMap) -> Response {
    let page = match tokio::fs::read_to_string(app.settings.static_dir.join("index.html")).await {
        Ok(p) => p,
        Err(_) => return (StatusCode::SERVICE_UNAVAILABLE, "The widget is not built: run `trunk build --release` (or scripts/demo.sh).").into_response(),
    };
    let response = Html(page).into_response();
    let has_session = app.sessions.resolve(cookie_value(&headers).as_deref(), "").is_ok();
    match (&app.sandbox, has_session) {
        (Some(sandbox), false) => match sandbox.users().into_iter().next() {
            Some((openid, _)) => {
                let cookie = app.sessions.create(&openid);
                with_cookie(response, Some(&cookie), &app)
            }
            None => response,
        },
        _ => response,
    }
}

#[derive(Deserialize)]
pub struct OAuthLogin {
    redirect: Option<String>,
}

/// Live only: send the browser to WeChat's OAuth page; it comes back to `/oauth/callback`.
pub async fn oauth_login(State(app): State<SharedApp>, headers: HeaderMap, Query(q): Query<OAuthLogin>) -> Result<Response, ApiError> {
    if app.settings.mode != Mode::Live {
        return Err(ApiError::NotFound);
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).ok_or_else(|| ApiError::InvalidParameter("缺少Host".into()))?;
    let target = safe_redirect(q.redirect.as_deref());
    let issued = crate::wechatpay::unix_now().to_string();
    let state = format!("{issued}.{}.{}", encode(&target), &app.sessions.keyed_hash(&["oauth", &issued, &target])[..16]);
    let callback = format!("https://{host}/api/v1/oauth/callback");
    let url = format!(
        "https://open.weixin.qq.com/connect/oauth2/authorize?appid={}&redirect_uri={}&response_type=code&scope=snsapi_base&state={}#wechat_redirect",
        encode(&app.settings.appid),
        encode(&callback),
        encode(&state)
    );
    Ok(redirect(&url))
}

#[derive(Deserialize)]
pub struct OAuthCallback {
    code: String,
    state: String,
}

/// Live only: exchange the OAuth code for the openid and start the session.
pub async fn oauth_callback(State(app): State<SharedApp>, Query(q): Query<OAuthCallback>) -> Result<Response, ApiError> {
    if app.settings.mode != Mode::Live {
        return Err(ApiError::NotFound);
    }
    let bad_state = || ApiError::InvalidParameter("登录状态无效，请重试".into());
    let mut parts = q.state.splitn(3, '.');
    let (issued, target_enc, tag) = (parts.next().ok_or_else(bad_state)?, parts.next().ok_or_else(bad_state)?, parts.next().ok_or_else(bad_state)?);
    let target = decode(target_enc);
    let fresh = issued.parse::<i64>().is_ok_and(|t| (crate::wechatpay::unix_now() - t).abs() < 600);
    if !fresh || app.sessions.keyed_hash(&["oauth", issued, &target])[..16] != *tag {
        return Err(bad_state());
    }
    let secret = app.settings.app_secret.as_deref().unwrap_or_default();
    let url = format!(
        "{}/sns/oauth2/access_token?appid={}&secret={}&code={}&grant_type=authorization_code",
        app.settings.oauth_api,
        encode(&app.settings.appid),
        encode(secret),
        encode(&q.code)
    );
    let client = reqwest::Client::builder().timeout(app.settings.upstream_timeout).build().map_err(|e| ApiError::Upstream(crate::upstream::UpstreamError::Unreachable(e.to_string())))?;
    let response = client.get(url).send().await.map_err(|e| ApiError::Upstream(crate::upstream::UpstreamError::Unreachable(e.without_url().to_string())))?;
    let bytes = response.bytes().await.map_err(|e| ApiError::Upstream(crate::upstream::UpstreamError::Unreachable(e.without_url().to_string())))?;
    let body: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| ApiError::Upstream(crate::upstream::UpstreamError::Malformed(e.to_string())))?;
    let openid = body.get("openid").and_then(|v| v.as_str()).filter(|s| !s.is_empty()).ok_or_else(bad_state)?;
    let cookie = app.sessions.create(openid);
    Ok(with_cookie(redirect(&safe_redirect(Some(&target))), Some(&cookie), &app))
}

