//! The merchant proxy: holds the merchant's WeChat Pay credentials, signs and verifies every
//! upstream call, ties each browser session to its openid, caches, retries, and serves the
//! widget a small, stable JSON API (`/api/v1`, described in `openapi.yaml`).
//!
//! Start reading at [`start`]; the routes are in `api/`, the fetch-and-merge of a wallet in
//! `wallet.rs`, the upstream client in `upstream/`.

mod api;
mod cache;
mod clock;
pub mod config;
#[cfg(feature = "sandbox")]
pub mod dev;
mod error;
mod metrics;
mod notifications;
mod serve;
mod session;
mod store;
mod token;
mod upstream;
mod wallet;

// What the tests, examples and benchmarks drive directly, beside `start` and `config`.
pub use cache::Wallet;
pub use clock::now;
pub use error::ApiError;
pub use session::{COOKIE, LOGIN_COOKIE};
pub use store::memory::MemoryStore;
pub use store::redis::{connect as connect_redis, Topology};
pub use store::{key, user, user_tag, Counts, PerMinute, Store};
pub use token::random_token;
pub use upstream::{
    deferred, Callbacks, Client as UpstreamClient, MerchantQuery, StockQuery, UpstreamError,
};

/// mimalloc for every binary built on the proxy (the server, its benchmarks and tests): a
/// request allocates and frees dozens of small buffers, where glibc's malloc spent about a
/// third of the proxy's time (perf; the figures are in BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use config::{Settings, StartError};
use coupon_rules::{Coupon, Source};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// A coupon's detail by (source, openid, id).
pub type DetailKey = (Source, String, String);
/// A coupon read fresh, with the version of its user's wallet it was read under.
pub type KeptDetail = (Option<Vec<u8>>, Coupon);

/// Everything a request handler may use.
pub struct App {
    pub settings: Settings,
    pub upstream: upstream::Client,
    pub wallets: cache::WalletCache,
    /// Coupons read fresh for the detail sheet, kept a few seconds.
    pub details: moka::future::Cache<DetailKey, KeptDetail>,
    /// The goods each 单品券 stock covers (查询可用单品), kept a few minutes.
    pub goods: wallet::GoodsCache,
    /// Claimable stocks as 查询批次详情 reports them, kept a few minutes.
    pub stocks: moka::future::Cache<String, coupon_rules::model::Stock>,
    /// Where sessions, OAuth states, rate counters and cached wallets live.
    pub store: Arc<dyn store::Store>,
    pub sessions: session::Sessions,
    /// The one client for WeChat's OAuth code exchange (live mode): no redirects followed.
    pub oauth_http: reqwest::Client,
    /// Claims under way, by idempotency key, so a double tap waits for the first.
    pub claims: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The use sheets' open event streams.
    pub pushes: api::pushes::Pushes,
}

impl App {
    /// What WeChat Pay's notifications act on.
    pub fn notification_receiver(&self) -> notifications::Receiver<'_> {
        notifications::Receiver {
            upstream: &self.upstream,
            apiv3_key: self.settings.apiv3_key.as_ref(),
            store: self.store.as_ref(),
            wallets: &self.wallets,
        }
    }

    /// What the user's wallet is read from.
    pub fn wallet_sources(&self) -> wallet::Sources<'_> {
        wallet::Sources {
            upstream: &self.upstream,
            store: self.store.as_ref(),
            settings: &self.settings,
            goods: &self.goods,
        }
    }
}

pub type SharedApp = Arc<App>;

/// A running proxy.
pub struct Running {
    pub addr: SocketAddr,
    /// Where Prometheus metrics are served, with `--metrics-listen`.
    pub metrics_addr: Option<SocketAddr>,
    pub app: SharedApp,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
    refresh: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, lets requests in flight finish, and returns when done.
    pub async fn shutdown(self) {
        self.app.pushes.stop();
        let _ = self.shutdown.send(());
        let _ = self.task.await;
        if let Some(refresh) = self.refresh {
            refresh.abort();
        }
    }
}

/// Downloads the platform certificates before serving (with the APIv3 key), and refuses to
/// start with no key that can verify an answer.
async fn prepare_platform_keys(upstream: &upstream::Client) -> Result<(), StartError> {
    if upstream.platform().can_download() {
        match upstream.download_certificates().await {
            Ok(got) => tracing::info!(?got, "platform certificates downloaded"),
            Err(e) if upstream.platform().has_usable_key() => tracing::warn!(error = %e, "platform certificates could not be downloaded; using the configured keys"),
            Err(e) => return Err(StartError::PlatformKeys(format!("cannot download the platform certificates (GET /v3/certificates): {e}; a merchant on the WeChat Pay public key gives --wechatpay-public-key-file and --wechatpay-public-key-id"))),
        }
    }
    if !upstream.platform().has_usable_key() {
        return Err(StartError::PlatformKeys("no usable WeChat Pay platform key: every certificate held has expired and none could be downloaded".into()));
    }
    upstream.platform().report();
    Ok(())
}

/// Downloads the certificates again every `every` (plus up to a tenth of jitter, so that
/// instances spread out), for as long as the proxy runs.
fn spawn_certificate_refresh(
    app: &SharedApp,
    every: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    let app = Arc::downgrade(app);
    tokio::spawn(async move {
        loop {
            let jitter =
                every.mul_f64(f64::from(coupon_wechatpay::nonce().as_bytes()[0] % 100) / 1_000.0);
            tokio::time::sleep(every + jitter).await;
            let Some(app) = app.upgrade() else { return };
            if let Err(e) = app.upstream.download_certificates().await {
                tracing::warn!(error = %e, "platform certificates could not be refreshed; trying again at the next refresh");
            }
            app.upstream.platform().report();
        }
    })
}

/// Registers `url` as the merchant's notification URL with WeChat Pay's two callback APIs (what
/// `coupon-proxy callbacks set` does); the URLs WeChat Pay then holds.
pub async fn register_callbacks(
    settings: &Settings,
    url: &str,
) -> Result<upstream::Callbacks, StartError> {
    let base = settings.upstream.clone().ok_or("no upstream to talk to")?;
    let upstream = upstream::Client::new(settings, base)?;
    prepare_platform_keys(&upstream).await?;
    upstream.set_callbacks(url).await.map_err(|e| StartError::Upstream(e.to_string()))
}

/// Binds the proxy and serves until [`Running::shutdown`]. Its upstream is
/// `settings.upstream` (in sandbox mode, the sandbox the caller started: see `dev`).
pub async fn start(settings: Settings) -> Result<Running, StartError> {
    start_with(settings, |router| router).await
}

/// [`start`] with extra routes or layers around the proxy's router (the benchmarks add a
/// fixed-body route to compare against, on the same server).
pub async fn start_with(
    settings: Settings,
    wrap: impl FnOnce(axum::Router) -> axum::Router,
) -> Result<Running, StartError> {
    let base = settings.upstream.clone().ok_or("no upstream to talk to")?;
    crate::metrics::init();
    // State (sessions, counters) and the coupon cache: one Redis, or two bounded memories.
    let (store, cache_store): (Arc<dyn store::Store>, Arc<dyn store::Store>) =
        match &settings.redis_url {
            Some(url) => {
                let prefix = settings.redis_prefix.as_deref().unwrap_or_default();
                let (redis, topology) =
                    store::redis::connect(url, settings.store_timeout, prefix).await?;
                tracing::info!(%topology, "state shared through {topology}");
                (redis.clone(), redis)
            }
            None => (
                Arc::new(store::memory::MemoryStore::new(settings.memory_state_bytes)),
                Arc::new(store::memory::MemoryStore::new(settings.memory_cache_bytes)),
            ),
        };
    let sessions = session::Sessions::new(
        &settings.session_secret,
        settings.session_ttl,
        settings.rate_limit_per_minute,
        store.clone(),
    )
    .login_at(api::login_url(&settings));
    // On one Redis, each request reads its session and its wallet's version in one round trip.
    let sessions = if Arc::ptr_eq(&store, &cache_store) {
        sessions.reading_along(cache::WalletCache::freshness_key)
    } else {
        sessions
    };
    let upstream = upstream::Client::new(&settings, base)?
        .with_rate_limit(store.clone(), settings.upstream_rate_limit);
    prepare_platform_keys(&upstream).await?;
    let app = Arc::new(App {
        upstream,
        wallets: cache::WalletCache::new(settings.cache_ttl, settings.stale_ttl, cache_store),
        details: moka::future::Cache::builder()
            .max_capacity(10_000)
            .time_to_live(settings.cache_ttl.min(std::time::Duration::from_secs(10)))
            .build(),
        goods: wallet::goods_cache(),
        stocks: moka::future::Cache::builder()
            .max_capacity(1_000)
            .time_to_live(api::STOCK_TTL)
            .build(),
        sessions,
        store,
        claims: Mutex::new(HashMap::new()),
        // Half the connections at most, so open sheets never keep other requests out.
        pushes: api::pushes::Pushes::new((settings.max_connections / 2).max(1)),
        oauth_http: reqwest::Client::builder()
            .timeout(settings.upstream_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?,
        settings,
    });
    let metrics_addr = match app.settings.metrics_listen {
        Some(addr) => Some(
            crate::metrics::serve(addr)
                .await
                .map_err(|source| StartError::Listen { addr, source })?,
        ),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(app.settings.listen)
        .await
        .map_err(|source| StartError::Listen { addr: app.settings.listen, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| StartError::Listen { addr: app.settings.listen, source })?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let router = wrap(api::router(app.clone()));
    let limits = serve::ConnectionLimits {
        header_read_timeout: app.settings.header_read_timeout,
        max_connections: app.settings.max_connections,
    };
    let task = tokio::spawn(serve::serve(listener, router, limits, async {
        let _ = rx.await;
    }));
    let refresh = app
        .upstream
        .platform()
        .can_download()
        .then(|| spawn_certificate_refresh(&app, app.settings.certificate_refresh));
    tracing::info!(%addr, mode = ?app.settings.mode, "proxy listening");
    Ok(Running { addr, metrics_addr, app, shutdown: tx, task, refresh })
}
