//! The widget's API, `/api/v1`: routes, the request guards (origin, session, body size),
//! and the static widget files. Handlers are short; the rules live in `coupon-rules`.

mod claims;
mod coupons;
mod first_screen;
pub mod pushes;
mod redemptions;
mod session;

pub use claims::STOCK_TTL;
pub use session::login_url;

use crate::error::ApiError;
use crate::SharedApp;
use axum::extract::{Request, State};
use axum::http::HeaderName;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use coupon_rules::api::{Health, HealthStatus, StoreHealth};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

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
        Some(_) => api
            .route("/dev/users", get(session::dev_users))
            .route("/dev/login", get(session::dev_login))
            .route("/dev/redeem", post(session::dev_redeem)),
        None => api
            .route("/oauth/login", get(session::oauth_login))
            .route("/oauth/callback", get(session::oauth_callback)),
    };
    let api = api
        .route("/coupons", get(coupons::list))
        .route("/coupons/{source}/{id}", get(coupons::detail))
        .route("/claims", post(claims::claim))
        .route("/claimable", get(claims::claimable))
        .route("/first-screen", get(first_screen::wallet))
        .fallback(|| async { ApiError::NoSuchRoute })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .route_layer(middleware::from_fn(crate::metrics::track))
        .layer(middleware::from_fn_with_state(app.clone(), deadline))
        // A stream lasts minutes: outside the request deadline (it has its own lifetime).
        .route("/coupons/{source}/{id}/events", get(pushes::events))
        .layer(middleware::map_response(crate::error::log_failures))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(app.clone(), guard_origin))
        .layer(cors(&app))
        // Answers carry a user's data: never stored by a shared cache, by a browser only where
        // a route says so (`shown_again`), and a cache keyed on the URL alone must not serve one
        // user's answer to another.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::appending(header::VARY, HeaderValue::from_static("Cookie")));
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        // WeChat Pay's server calls it: no session, no browser's origin, WeChat's own answers.
        .route(
            "/api/v1/wechatpay/notifications",
            post(notification).layer(axum::extract::DefaultBodyLimit::max(64 * 1024)),
        )
        // The merchant's order system calls it: a bearer token, no session, no CORS.
        .route(
            "/api/v1/merchant/redemptions",
            post(redemptions::redeem)
                .layer::<_, std::convert::Infallible>(middleware::map_response(
                    crate::error::log_failures,
                ))
                .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
        .nest("/api/v1", api)
        .route("/", get(session::demo_page))
        .route("/index.html", get(session::demo_page))
        // JSON and the demo page compressed as they are sent; the widget's files come
        // precompressed (a response that already has a Content-Encoding is left alone).
        .layer(CompressionLayer::new())
        .fallback_service(widget_files(&app.settings.static_dir))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN")))
        // Every request gets an id: in its log lines (the span) and in the answer's header.
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
                    tracing::info_span!("request", id = %id, method = %request.method(), path = %logged_path(request.uri().path()))
                })
                .on_response(|response: &Response, latency: std::time::Duration, _span: &tracing::Span| {
                    tracing::info!(status = response.status().as_u16(), ms = latency.as_millis() as u64, "served");
                }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(middleware::map_request(drop_unusable_request_id))
        .with_state(app)
}

/// An answer the page's loader asks for on every visit (the first page, the 领取 list, the first
/// screen), which the browser may show again on a repeat visit, without a round trip, for
/// `--stale-while-revalidate-secs`: stale at once, private to this browser and its session
/// cookie (`Vary: Cookie`). The widget asks again past the cache as soon as it has shown one
/// (`src/api.rs`), so what the user acts on is the proxy's. Only a success is kept.
fn shown_again(app: &SharedApp, response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    let secs = app.settings.stale_while_revalidate.as_secs();
    if response.status().is_success() && secs > 0 {
        let value = format!("private, max-age=0, stale-while-revalidate={secs}");
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(header::CACHE_CONTROL, value);
        }
        // The widget tells the browser's copy by its resource timing, which a page on another
        // origin (an H5 page on a CDN) reads only when allowed: else it would ask every time.
        let origins = app.settings.allowed_origins.join(", ");
        if let Ok(value) = HeaderValue::from_str(&origins) {
            if !origins.is_empty() {
                response.headers_mut().insert(TIMING_ALLOW_ORIGIN, value);
            }
        }
    }
    response
}

const TIMING_ALLOW_ORIGIN: HeaderName = HeaderName::from_static("timing-allow-origin");

/// A client's own `x-request-id` is kept only when it looks like an id (letters, digits, `-`,
/// `_`, `.`, at most 64): anything else is replaced by a fresh one before it reaches a log.
async fn drop_unusable_request_id(mut request: Request) -> Request {
    let usable = |v: &HeaderValue| {
        v.len() <= 64
            && !v.is_empty()
            && v.as_bytes().iter().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(b))
    };
    if request.headers().get("x-request-id").is_some_and(|v| !usable(v)) {
        request.headers_mut().remove("x-request-id");
    }
    request
}

/// A request's path as logged: a coupon's id (a 商家券 code is what the till scans) becomes the
/// route's pattern.
fn logged_path(path: &str) -> &str {
    if path.starts_with("/api/v1/coupons/") {
        "/api/v1/coupons/{source}/{id}"
    } else {
        path
    }
}

/// The built widget (`trunk build --release` into `dist/`): the brotli or gzip copy the build
/// wrote beside each file when the browser accepts it (`.wasm` keeps `application/wasm`, so the
/// browser compiles while it downloads), hashed names cached for a year, the rest revalidated.
/// A name that is not a file is a 404 (never the page under a name cached for a year).
fn widget_files(dist: &std::path::Path) -> Router {
    let files = ServeDir::new(dist).precompressed_br().precompressed_gzip();
    Router::new().fallback_service(files).layer(middleware::map_response(cache_headers))
}

/// `Cache-Control` for a static file: trunk names the files it builds `name-<16 hex>.ext`, so a
/// new build has new names and the old ones never change; anything else (the HTML, `demo.js`)
/// is revalidated on every use.
async fn cache_headers(uri: axum::http::Uri, mut response: Response) -> Response {
    if response.status().is_success() || response.status() == axum::http::StatusCode::NOT_MODIFIED {
        let value = if is_hashed_asset(uri.path()) {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
        // The body depends on Accept-Encoding (brotli, gzip or neither): a shared cache must
        // keep one copy per encoding.
        response.headers_mut().append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// `…-0123456789abcdef.js`, `…-0123456789abcdef_bg.wasm`: a content hash in the file name.
/// Trunk writes its 64-bit hash without leading zeros, so it may be shorter than 16 digits (one
/// name in 16 has 15); fewer than 12 is left to revalidation.
fn is_hashed_asset(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let stem = name.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        (12..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The demo page's Content Security Policy as a header: everything but scripts. Scripts (this
/// origin, wasm compilation, and the inline loader by its hash) are ruled by the page's own
/// meta tag, which the build writes with that hash; both policies apply.
pub const DEMO_CSP: &str = "style-src 'self'; img-src 'self' https: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'";

fn cors(app: &SharedApp) -> CorsLayer {
    let origins: Vec<HeaderValue> =
        app.settings.allowed_origins.iter().filter_map(|o| o.parse().ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::HeaderName::from_static(crate::session::CSRF_HEADER),
        ])
}

/// Every API request ends by its deadline (`--request-timeout-secs`), with the API's own timeout
/// error rather than a bare status.
async fn deadline(State(app): State<SharedApp>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(app.settings.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Upstream(crate::upstream::UpstreamError::Timeout).into_response(),
    }
}

/// A browser request from an origin that is neither this server nor an allowed H5 origin is
/// refused before it can reach a handler (CORS alone would let a simple POST through).
async fn guard_origin(State(app): State<SharedApp>, request: Request, next: Next) -> Response {
    if let Some(origin) = request.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host =
            request.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let same_origin = origin.split_once("://").is_some_and(|(_, rest)| rest == host);
        let allowed = app.settings.allowed_origins.iter().any(|o| o == origin);
        if !same_origin && !allowed {
            return ApiError::OriginNotAllowed.into_response();
        }
    }
    next.run(request).await
}

/// `POST /api/v1/wechatpay/notifications`: 204 once acted on (or known), else WeChat's
/// `{"code": "FAIL"}` with a 4xx or 5xx, so that it delivers again.
async fn notification(
    State(app): State<SharedApp>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    match app.notification_receiver().receive(&headers, &body).await {
        Ok(outcome) => {
            tracing::info!(?outcome, "WeChat Pay notification");
            axum::http::StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "WeChat Pay notification refused");
            let status = axum::http::StatusCode::from_u16(e.status())
                .unwrap_or(axum::http::StatusCode::BAD_REQUEST);
            let body = serde_json::json!({ "code": "FAIL", "message": e.to_string() });
            (status, Json(body)).into_response()
        }
    }
}

/// Always 200 while the process serves; `status` says whether the state store answers.
async fn health(State(app): State<SharedApp>) -> Json<Health> {
    let available = app.store.ping().await.is_ok();
    crate::metrics::store_up(available);
    Json(Health {
        status: if available { HealthStatus::Ok } else { HealthStatus::Degraded },
        mode: app.settings.mode.into(),
        upstream_requests: app.upstream.requests_sent(),
        store: StoreHealth { kind: app.store.kind(), available },
    })
}

/// A query string read into `T` (a serde type with `deny_unknown_fields`): an unknown or
/// malformed parameter is a 400 that names it.
pub struct ApiQuery<T>(pub T);

/// A JSON body read with axum's `Json`, its rejection (too large, not JSON, not the shape)
/// answered as an [`ApiError`].
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S>
    for ApiQuery<T>
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(ApiQuery).map_err(|e| {
            let field = e.path().to_string();
            let detail: String = e.inner().to_string().chars().take(160).collect();
            ApiError::InvalidParameter(if field == "." {
                detail
            } else {
                format!("{field}: {detail}")
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::is_hashed_asset;

    #[test]
    fn hashed_assets_are_the_files_named_by_content() {
        assert!(is_hashed_asset("/coupon-widget-18111faa099a4b66.js"));
        assert!(is_hashed_asset("/coupon-widget-18111faa099a4b66_bg.wasm"));
        assert!(is_hashed_asset("/widget-f2aa55bbdba26e19.css"));
        // The codes module, named by content in scripts/post-build.py.
        assert!(is_hashed_asset("/coupon-codes-023c90fcff5e9c97.js"));
        assert!(is_hashed_asset("/coupon-codes-023c90fcff5e9c97_bg.wasm"));
        assert!(is_hashed_asset("/coupon-widget-8fd8811d2ee6733_bg.wasm"), "15 digits");
        assert!(!is_hashed_asset("/coupon-widget-loader.js"));
        assert!(!is_hashed_asset("/coupon-codes_bg.wasm"));
        assert!(!is_hashed_asset("/demo.js"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/"));
        assert!(!is_hashed_asset("/coupon-widget-18111faa099a4b6z.js"));
        assert!(!is_hashed_asset("/a-18111faa099a4b66/index.html"));
    }
}
