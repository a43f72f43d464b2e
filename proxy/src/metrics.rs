//! Prometheus metrics, served on their own listen address (`--metrics-listen`), never on the
//! public one. Names and what to alert on: README, "Operating the proxy".

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

/// The process's recorder (metrics are process-wide; several proxies in one test process
/// share it).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0])
            .expect("fixed, non-empty buckets")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder already installed (an embedding program's): ours still renders.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Starts recording; call before serving.
pub fn init() {
    handle();
}

/// Serves `GET /metrics` on `addr`; returns the bound address.
pub async fn serve(addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app =
        axum::Router::new().route("/metrics", axum::routing::get(|| async { handle().render() }));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "metrics listener stopped");
        }
    });
    Ok(bound)
}

/// Counts every request by route (its pattern, never the raw path) and status, with its latency.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("cw_http_requests_total", "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("cw_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// One upstream call: its API, how it ended (`ok`, WeChat's error code, `unsigned_<code>`,
/// `bad_signature`, `probe_signature`, `clock_skew`, …: README's table) and how long it took.
pub fn upstream_call(api: &'static str, outcome: &str, seconds: f64) {
    metrics::counter!("cw_upstream_requests_total", "api" => api, "outcome" => outcome.to_owned())
        .increment(1);
    metrics::histogram!("cw_upstream_request_duration_seconds", "api" => api).record(seconds);
}

pub fn upstream_retry(api: &'static str) {
    metrics::counter!("cw_upstream_retries_total", "api" => api).increment(1);
}

/// A wallet read: `hit` (cache), `miss` (fetched) or `stale` (upstream failed, served old).
pub fn wallet_cache(result: &'static str) {
    metrics::counter!("cw_wallet_cache_total", "result" => result).increment(1);
}

pub fn session_started() {
    metrics::counter!("cw_sessions_started_total").increment(1);
}

pub fn session_ended() {
    metrics::counter!("cw_sessions_ended_total").increment(1);
}

/// Whether the state store answered its last check (1) or not (0).
pub fn store_up(up: bool) {
    metrics::gauge!("cw_store_up").set(if up { 1.0 } else { 0.0 });
}

/// Seconds until a held platform certificate expires (negative: expired).
pub fn platform_certificate_expiry(serial: &str, seconds: i64) {
    metrics::gauge!("cw_platform_certificate_expiry_seconds", "serial" => serial.to_owned())
        .set(seconds as f64);
}

/// A download of the platform certificates: `ok`, `public_key_only` or `failed`.
pub fn certificate_download(outcome: &'static str) {
    metrics::counter!("cw_platform_certificate_downloads_total", "outcome" => outcome).increment(1);
}
