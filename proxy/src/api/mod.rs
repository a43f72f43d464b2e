//! The widget's API, `/api/v1`: routes, the request guards (origin, session, body size),
//! and the static widget files. Handlers are short; the rules live in `coupon-rules`.

mod claims;
mod coupons;
mod session;

use coupon_rules::api::Health;
use crate::error::ApiError;
use crate::SharedApp;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};

/// Largest request body the API accepts.
pub const MAX_BODY_BYTES: usize = 4 * 1024;

pub fn router(app: SharedApp) -> Router {
    let mut api = Router::new()
        .route("/health", get(health))
        .route("/session", get(session::current))
        .route("/session/logout", post(session::logout));
    // Development login in sandbox mode, WeChat OAuth in live mode: the other mode's routes
    // do not exist (404 from the router itself).
    api = match app.settings.dev_users {
        Some(_) => api.route("/dev/users", get(session::dev_users)).route("/dev/login", get(session::dev_login)),
        None => api.route("/oauth/login", get(session::oauth_login)).route("/oauth/callback", get(session::oauth_callback)),
    };
    let api = api
        .route("/coupons", get(coupons::list))
        .route("/coupons/{source}/{id}", get(coupons::detail))
        .route("/claims", post(claims::claim))
        .route("/claimable", get(claims::claimable))
        .fallback(|| async { ApiError::NotFound })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(app.clone(), guard_origin))
        .layer(cors(&app));
    let dist = &app.settings.static_dir;
    let widget = ServeDir::new(dist).fallback(ServeFile::new(dist.join("index.html")));
    Router::new()
        .nest("/api/v1", api)
        .route("/", get(session::demo_page))
        .fallback_service(widget)
        .layer(middleware::from_fn(request_id))
        .with_state(app)
}

fn cors(app: &SharedApp) -> CorsLayer {
    let origins: Vec<HeaderValue> = app.settings.allowed_origins.iter().filter_map(|o| o.parse().ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::HeaderName::from_static(crate::session::CSRF_HEADER)])
}

/// A browser request from an origin that is neither this server nor an allowed H5 origin is
/// refused before it can reach a handler (CORS alone would let a simple POST through).
async fn guard_origin(State(app): State<SharedApp>, request: Request, next: Next) -> Response {
    if let Some(origin) = request.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = request.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let same_origin = origin.split_once("://").is_some_and(|(_, rest)| rest == host);
        let allowed = app.settings.allowed_origins.iter().any(|o| o == origin);
        if !same_origin && !allowed {
            return ApiError::OriginNotAllowed.into_response();
        }
    }
    next.run(request).await
}

/// Gives every request an id, in a tracing span and the `x-request-id` response header.
async fn request_id(request: Request, next: Next) -> Response {
    let id = coupon_wechatpay::nonce()[..12].to_owned();
    let span = tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path());
    let started = std::time::Instant::now();
    let mut response = tracing::Instrument::instrument(next.run(request), span.clone()).await;
    span.in_scope(|| tracing::info!(status = response.status().as_u16(), ms = started.elapsed().as_millis() as u64, "served"));
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

async fn health(State(app): State<SharedApp>) -> Json<Health> {
    Json(Health { status: "ok".into(), mode: app.settings.mode.into(), upstream_requests: app.upstream.requests_sent() })
}

/// A query string read into `T` (a serde type with `deny_unknown_fields`): an unknown or
/// malformed parameter is a 400 that names it.
pub struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize(de).map(ApiQuery).map_err(|e| {
            let field = e.path().to_string();
            let detail: String = e.inner().to_string().chars().take(160).collect();
            ApiError::InvalidParameter(if field == "." { detail } else { format!("{field}: {detail}") })
        })
    }
}

fn form_urlencoded_parse(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

/// The instant the rules are evaluated at.
pub fn now() -> coupon_rules::BeijingTime {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    coupon_rules::BeijingTime::from_unix_millis(ms)
}
