//! Configuration: a TOML file, then environment variables, then flags (later wins).
//! `coupon-proxy --help` lists every option with its variable.

use clap::{Parser, Subcommand, ValueEnum};
pub use coupon_rules::api::ClaimableStock;
use coupon_wechatpay::{ApiV3Key, Certificate, KeySet, PublicKey};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Against the embedded sandbox upstream, with test keys and a development login.
    #[default]
    Sandbox,
    /// Against WeChat Pay with the merchant's credentials and WeChat OAuth.
    Live,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Parser)]
#[command(
    name = "coupon-proxy",
    version,
    about = "Merchant proxy for the 我的代金券 widget: signs WeChat Pay v3 calls, ties sessions to openids, serves the widget's JSON API."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// `text` (plain, coloured only on a terminal) or `json` (one object a line, for a log
    /// pipeline) [default: text].
    #[arg(long, env = "COUPON_PROXY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    #[command(flatten)]
    pub options: Options,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API, the widget and (in sandbox mode) the embedded sandbox. The default.
    Serve,
    /// Run only the sandbox upstream (the WeChat Pay look-alike), e.g. for another proxy.
    #[cfg(feature = "sandbox")]
    Sandbox {
        #[arg(long, default_value = "127.0.0.1:8788")]
        listen: SocketAddr,
    },
    /// Print the sandbox's generated data set as JSON (how sandbox/data.json is made).
    #[cfg(feature = "sandbox")]
    SandboxData,
}

/// Every option; each may also come from the config file under the same name.
#[derive(Debug, Default, Clone, clap::Args, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Options {
    /// TOML file with any of these options (file keys use the long names with `_`).
    #[arg(long, env = "COUPON_PROXY_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8787].
    #[arg(long, env = "COUPON_PROXY_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// sandbox (default) or live.
    #[arg(long, env = "COUPON_PROXY_MODE")]
    pub mode: Option<Mode>,
    /// WeChat Pay API base URL [live default: https://api.mch.weixin.qq.com; sandbox: the embedded one].
    #[arg(long, env = "COUPON_PROXY_UPSTREAM")]
    pub upstream: Option<String>,
    /// Merchant id (商户号).
    #[arg(long, env = "COUPON_PROXY_MCHID")]
    pub mchid: Option<String>,
    /// The official account appid the coupons belong to.
    #[arg(long, env = "COUPON_PROXY_APPID")]
    pub appid: Option<String>,
    /// Serial number of the merchant API certificate.
    #[arg(long, env = "COUPON_PROXY_MERCHANT_SERIAL")]
    pub merchant_serial: Option<String>,
    /// PEM file of the merchant private key (apiclient_key.pem).
    #[arg(long, env = "COUPON_PROXY_MERCHANT_KEY_FILE")]
    pub merchant_key_file: Option<PathBuf>,
    /// PEM file of a WeChat Pay platform certificate (平台证书, `wechatpay_<serial>.pem`); its
    /// serial and validity are read from it; repeatable.
    #[arg(
        long = "platform-cert-file",
        env = "COUPON_PROXY_PLATFORM_CERT_FILES",
        value_delimiter = ','
    )]
    pub platform_cert_files: Option<Vec<PathBuf>>,
    /// PEM file of the WeChat Pay public key (微信支付公钥, `pub_key.pem`).
    #[arg(long, env = "COUPON_PROXY_WECHATPAY_PUBLIC_KEY_FILE")]
    pub wechatpay_public_key_file: Option<PathBuf>,
    /// Id of that public key (`PUB_KEY_ID_…`), as the merchant platform shows it.
    #[arg(long, env = "COUPON_PROXY_WECHATPAY_PUBLIC_KEY_ID")]
    pub wechatpay_public_key_id: Option<String>,
    /// The merchant's APIv3 key (APIv3 密钥, 32 bytes): downloads and refreshes the platform
    /// certificates (`GET /v3/certificates`), so that a rotation needs no restart.
    #[arg(long, env = "COUPON_PROXY_APIV3_KEY", hide_env_values = true)]
    pub apiv3_key: Option<String>,
    /// How often the platform certificates are downloaded again, in seconds, with up to a tenth
    /// of jitter [default: 14400].
    #[arg(long, env = "COUPON_PROXY_CERTIFICATE_REFRESH_SECS")]
    pub certificate_refresh_secs: Option<u64>,
    /// Older form of the two options above: a platform public key or certificate PEM ...
    #[arg(long, env = "COUPON_PROXY_PLATFORM_KEY_FILE")]
    pub platform_key_file: Option<PathBuf>,
    /// ... and its serial (`PUB_KEY_ID_…` for a public key).
    #[arg(long, env = "COUPON_PROXY_PLATFORM_SERIAL")]
    pub platform_serial: Option<String>,
    /// WeChat Pay's backup API domain, tried once when the primary cannot be reached or times
    /// out [live default: https://api2.mch.weixin.qq.com; sandbox: none; `none` turns it off].
    #[arg(long, env = "COUPON_PROXY_UPSTREAM_BACKUP")]
    pub upstream_backup: Option<String>,
    /// Base URL of WeChat's OAuth API (the code → openid exchange) [default: https://api.weixin.qq.com].
    #[arg(long, env = "COUPON_PROXY_OAUTH_API")]
    pub oauth_api: Option<String>,
    /// Official account AppSecret, for WeChat OAuth (snsapi_base) in live mode.
    #[arg(long, env = "COUPON_PROXY_APP_SECRET", hide_env_values = true)]
    pub app_secret: Option<String>,
    /// Secret that signs session cookies, at least 32 characters [sandbox: the sandbox's test secret].
    #[arg(long, env = "COUPON_PROXY_SESSION_SECRET", hide_env_values = true)]
    pub session_secret: Option<String>,
    /// The origin browsers reach this proxy at (`https://api.shop.example.com`), whatever
    /// `Host` a front end passes on: WeChat's OAuth comes back to it and the widget's login
    /// link goes to it [live: required; sandbox default: the page's own origin].
    #[arg(long, env = "COUPON_PROXY_PUBLIC_ORIGIN")]
    pub public_origin: Option<String>,
    /// Origins (scheme://host[:port]) allowed to call the API from a browser, each on the same
    /// site as `--public-origin` (the session cookie is SameSite=Lax); repeatable.
    #[arg(long = "allowed-origin", env = "COUPON_PROXY_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Option<Vec<String>>,
    /// Stocks users may claim (领取) through the widget, as `STOCK_ID` or `STOCK_ID=名称`; repeatable.
    #[arg(long = "claimable-stock", env = "COUPON_PROXY_CLAIMABLE_STOCKS", value_delimiter = ',')]
    pub claimable_stocks: Option<Vec<String>>,
    /// Merchants (headquarters, partners) whose 代金券 and 消费金 this store accepts, asked for
    /// by creator so that their used and expired coupons are listed too (WeChat Pay must have
    /// authorised it; otherwise that part of the list is reported missing); repeatable.
    #[arg(long = "partner-mchid", env = "COUPON_PROXY_PARTNER_MCHIDS", value_delimiter = ',')]
    pub partner_mchids: Option<Vec<String>>,
    /// The goods a 单品券 stock covers, as `STOCK_ID=GOODS_ID|GOODS_ID`; repeatable. Without it
    /// such a coupon shows 仅限指定商品 and is never picked automatically.
    #[arg(
        long = "single-item-goods",
        env = "COUPON_PROXY_SINGLE_ITEM_GOODS",
        value_delimiter = ','
    )]
    pub single_item_goods: Option<Vec<String>>,
    /// A claimable stock issued with a value the merchant sets, as `STOCK_ID=VALUE/MINIMUM` in fen
    /// (发放's coupon_value and coupon_minimum); repeatable.
    #[arg(long = "claim-value", env = "COUPON_PROXY_CLAIM_VALUES", value_delimiter = ',')]
    pub claim_values: Option<Vec<String>>,
    /// Redis for state shared by several instances (`redis://[:password@]host:port[/db]`, or
    /// `rediss://` for TLS) [default: none, state in this process's memory].
    #[arg(long, env = "COUPON_PROXY_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// A prefix before every Redis key, so that several merchants' proxies can share one Redis.
    #[arg(long, env = "COUPON_PROXY_REDIS_PREFIX")]
    pub redis_prefix: Option<String>,
    /// Timeout of one call to the state store, in milliseconds [default: 500].
    #[arg(long, env = "COUPON_PROXY_STORE_TIMEOUT_MS")]
    pub store_timeout_ms: Option<u64>,
    /// Upstream requests per second for the whole merchant, across every instance sharing the
    /// store; beyond it requests wait up to a second, then fail with UPSTREAM_BUSY
    /// [live default: 100; sandbox: none; 0 turns it off].
    #[arg(long, env = "COUPON_PROXY_UPSTREAM_RATE_LIMIT")]
    pub upstream_rate_limit: Option<u32>,
    /// Address for Prometheus metrics (`GET /metrics`); keep it off the public network
    /// [default: none, no metrics listener].
    #[arg(long, env = "COUPON_PROXY_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Folder with the built widget and demo page [default: dist].
    #[arg(long, env = "COUPON_PROXY_STATIC_DIR")]
    pub static_dir: Option<PathBuf>,
    /// Timeout of one upstream call, in milliseconds [default: 3000].
    #[arg(long, env = "COUPON_PROXY_UPSTREAM_TIMEOUT_MS")]
    pub upstream_timeout_ms: Option<u64>,
    /// How long a user's coupons are served from cache, in seconds [default: 30].
    #[arg(long, env = "COUPON_PROXY_CACHE_TTL_SECS")]
    pub cache_ttl_secs: Option<u64>,
    /// How long stale coupons may still be served when upstream fails, in seconds [default: 600].
    #[arg(long, env = "COUPON_PROXY_STALE_TTL_SECS")]
    pub stale_ttl_secs: Option<u64>,
    /// Session lifetime, in seconds [default: 7200].
    #[arg(long, env = "COUPON_PROXY_SESSION_TTL_SECS")]
    pub session_ttl_secs: Option<u64>,
    /// Requests one session may make per minute [default: 120].
    #[arg(long, env = "COUPON_PROXY_RATE_LIMIT")]
    pub rate_limit_per_minute: Option<u32>,
    /// Set the Secure flag on the session cookie [default: true in live mode].
    #[arg(long, env = "COUPON_PROXY_SECURE_COOKIE")]
    pub secure_cookie: Option<bool>,
    /// The longest one API request may take, in seconds; past it the answer is 504
    /// UPSTREAM_TIMEOUT [default: 30].
    #[arg(long, env = "COUPON_PROXY_REQUEST_TIMEOUT_SECS")]
    pub request_timeout_secs: Option<u64>,
    /// The longest a client may take to send a request's headers, or to start its next request
    /// on a kept-alive connection, in seconds [default: 10].
    #[arg(long, env = "COUPON_PROXY_HEADER_READ_TIMEOUT_SECS")]
    pub header_read_timeout_secs: Option<u64>,
    /// Upstream fetches of one user's wallet per minute, across all their sessions [default: 60].
    #[arg(long, env = "COUPON_PROXY_USER_FETCHES_PER_MINUTE")]
    pub user_fetches_per_minute: Option<u32>,
    /// How long a query WeChat Pay refused for the merchant's setup (NOAUTH: a partner that has
    /// not authorised it, …) is not asked again, in seconds [default: 60].
    #[arg(long, env = "COUPON_PROXY_SETUP_FAILURE_TTL_SECS")]
    pub setup_failure_ttl_secs: Option<u64>,
    /// Live mode only, for testing on loopback: accept `http://` upstream, OAuth and origins and
    /// cookies without Secure, as long as every such address is a loopback one.
    #[arg(long, env = "COUPON_PROXY_ALLOW_INSECURE_HTTP", num_args = 0..=1, default_missing_value = "true")]
    pub allow_insecure_http: Option<bool>,
    /// Behind a reverse proxy: the header it appends the client's address to (e.g.
    /// `X-Forwarded-For`; its last value is taken), for per-client limits [default: the
    /// connection's address].
    #[arg(long, env = "COUPON_PROXY_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<String>,
    /// Client connections open at once [default: 10000].
    #[arg(long, env = "COUPON_PROXY_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
}

impl Options {
    /// Fills what is unset here from the config file named by `config`, if any.
    pub fn with_file(self) -> Result<Options, String> {
        let Some(path) = &self.config else { return Ok(self) };
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config {}: {e}", path.display()))?;
        // Read as options first, for the file's own errors (an unknown key, a wrong type).
        let _: Options =
            toml::from_str(&text).map_err(|e| format!("config {}: {e}", path.display()))?;
        let file: serde_json::Map<String, serde_json::Value> =
            toml::from_str(&text).map_err(|e| format!("config {}: {e}", path.display()))?;
        // The file's options under what the flags and the environment set (clap's `None`s are
        // JSON nulls): one merge for every option, however many there are.
        let given = serde_json::to_value(&self).map_err(|e| e.to_string())?;
        let mut merged = file;
        if let serde_json::Value::Object(given) = given {
            merged.extend(given.into_iter().filter(|(_, v)| !v.is_null()));
        }
        let options: Options = serde_json::from_value(serde_json::Value::Object(merged))
            .map_err(|e| format!("config {}: {e}", path.display()))?;
        Ok(Options { config: self.config, ..options })
    }
}

/// A stock the widget offers a 领取 button for: `STOCK_ID` or `STOCK_ID=名称` (the button
/// says the stock id when no name is configured).
pub fn claimable_stock(entry: &str) -> ClaimableStock {
    let (id, name) = entry.split_once('=').unwrap_or((entry, entry));
    ClaimableStock { stock_id: id.trim().to_owned(), name: name.trim().to_owned() }
}

/// `STOCK_ID=GOODS_ID|GOODS_ID`.
fn single_item_goods(entry: &str) -> Result<(String, Vec<String>), String> {
    let (stock, goods) = entry.split_once('=').ok_or_else(|| {
        format!("--single-item-goods {entry:?}: expected STOCK_ID=GOODS_ID|GOODS_ID")
    })?;
    let goods: Vec<String> =
        goods.split('|').map(str::trim).filter(|g| !g.is_empty()).map(str::to_owned).collect();
    if stock.trim().is_empty() || goods.is_empty() {
        return Err(format!("--single-item-goods {entry:?}: expected STOCK_ID=GOODS_ID|GOODS_ID"));
    }
    Ok((stock.trim().to_owned(), goods))
}

/// `STOCK_ID=VALUE/MINIMUM`, fen.
fn claim_value(entry: &str) -> Result<(String, (u64, u64)), String> {
    let bad = || format!("--claim-value {entry:?}: expected STOCK_ID=VALUE/MINIMUM in fen");
    let (stock, amounts) = entry.split_once('=').ok_or_else(bad)?;
    let (value, minimum) = amounts.split_once('/').ok_or_else(bad)?;
    let (value, minimum) =
        (value.trim().parse().map_err(|_| bad())?, minimum.trim().parse().map_err(|_| bad())?);
    Ok((stock.trim().to_owned(), (value, minimum)))
}

impl From<Mode> for coupon_rules::api::Mode {
    fn from(m: Mode) -> Self {
        match m {
            Mode::Sandbox => coupon_rules::api::Mode::Sandbox,
            Mode::Live => coupon_rules::api::Mode::Live,
        }
    }
}

/// The resolved settings the proxy runs with. Secrets are held, never printed.
#[derive(Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub mode: Mode,
    pub upstream: Option<String>,
    pub mchid: String,
    pub appid: String,
    pub merchant_serial: String,
    pub merchant_key_pem: String,
    /// Every key WeChat Pay may sign with, by serial; refreshed at run time with the APIv3 key.
    pub platform_keys: KeySet,
    pub apiv3_key: Option<ApiV3Key>,
    pub certificate_refresh: Duration,
    /// WeChat Pay's backup domain, for one retry when the primary cannot be reached.
    pub upstream_backup: Option<String>,
    pub oauth_api: String,
    pub app_secret: Option<String>,
    pub session_secret: Vec<u8>,
    /// Where browsers reach this proxy (`scheme://host[:port]`), when it is told.
    pub public_origin: Option<String>,
    pub allowed_origins: Vec<String>,
    pub claimable_stocks: Vec<ClaimableStock>,
    pub partner_mchids: Vec<String>,
    /// 单品券 stock id → the merchant's goods ids it covers.
    pub single_item_goods: std::collections::HashMap<String, Vec<String>>,
    /// Claimable stock id → (coupon_value, coupon_minimum) in fen.
    pub claim_values: std::collections::HashMap<String, (u64, u64)>,
    pub static_dir: PathBuf,
    /// Where Prometheus metrics are served, if anywhere (never the public listener).
    pub metrics_listen: Option<SocketAddr>,
    /// Redis, when state is shared by several instances; else this process's memory.
    pub redis_url: Option<String>,
    pub redis_prefix: Option<String>,
    pub store_timeout: Duration,
    /// Bytes the in-memory stores hold at most: sessions and counters, and cached wallets
    /// (each its own budget, so a flood of wallets never evicts a session).
    pub memory_state_bytes: u64,
    pub memory_cache_bytes: u64,
    /// Upstream requests per second for the whole merchant.
    pub upstream_rate_limit: Option<u32>,
    /// The most pages read per upstream list query (50 coupons each); more is reported as
    /// `truncated`, never dropped silently.
    pub max_upstream_pages: u64,
    pub upstream_timeout: Duration,
    pub cache_ttl: Duration,
    pub stale_ttl: Duration,
    pub session_ttl: Duration,
    pub rate_limit_per_minute: u32,
    pub secure_cookie: bool,
    /// The deadline of one API request.
    pub request_timeout: Duration,
    pub header_read_timeout: Duration,
    pub max_connections: usize,
    pub user_fetches_per_minute: u32,
    pub setup_failure_ttl: Duration,
    /// Where the client's address is, behind a reverse proxy.
    pub client_ip_header: Option<axum::http::HeaderName>,
    /// Sandbox mode only: the users the development login offers. `None` in live mode, where
    /// the development routes are not mounted at all.
    pub dev_users: Option<Vec<coupon_rules::api::DevUser>>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("mode", &self.mode)
            .field("upstream", &self.upstream)
            .field("mchid", &self.mchid)
            .field("appid", &self.appid)
            .field("public_origin", &self.public_origin)
            .field("allowed_origins", &self.allowed_origins)
            .field("claimable_stocks", &self.claimable_stocks)
            .field("static_dir", &self.static_dir)
            .finish_non_exhaustive()
    }
}

/// What sandbox mode runs against: a development upstream (the `coupon-sandbox` crate, wired
/// in by the `sandbox` feature, see `coupon_proxy::dev`) and the identity the proxy uses
/// towards it, the users its development login offers, and its demo merchant's setup. A
/// production build (`--no-default-features`) has none, and refuses sandbox mode.
#[derive(Clone)]
pub struct DevUpstream {
    pub base: String,
    pub mchid: String,
    pub appid: String,
    pub merchant_serial: String,
    pub merchant_key_pem: String,
    /// The platform's public key and its id, and the APIv3 key its certificates open with.
    pub public_key_pem: String,
    pub public_key_id: String,
    pub apiv3_key: String,
    pub session_secret: String,
    pub users: Vec<coupon_rules::api::DevUser>,
    pub claimable_stocks: Vec<ClaimableStock>,
    pub partner_mchids: Vec<String>,
    pub single_item_goods: std::collections::HashMap<String, Vec<String>>,
}

/// The public test identities of the sandbox (`coupon-sandbox`): a live proxy refuses each.
/// Keys are held as fingerprints (SHA-256 of the RSA public key), so that this build carries
/// no test key; `proxy/tests/live_mode.rs` checks them against the sandbox's own.
pub mod test_identities {
    pub const MCHIDS: [&str; 1] = ["1900000109"];
    pub const APPIDS: [&str; 1] = ["wx8888888888888888"];
    pub const SERIALS: [&str; 4] = [
        "TEST-ONLY-MERCHANT-SERIAL",
        "PUB_KEY_ID_TEST_ONLY_SANDBOX",
        "3F5A2C0E1B2D4F6071829304A5B6C7D8E9F0A1B2",
        "4B6C8D0E2F3A5B7C9D1E3F5A7B9C1D3E5F7A9B1C",
    ];
    /// The sandbox's merchant key pair, its public key, then its two platform certificates' keys.
    pub const KEY_FINGERPRINTS: [&str; 4] = [
        "4913fb3cac09bda40dc1dfed497b0be987e6819b579fda4aeea8782abf6cf853",
        "913255236209f76400d4e70a796c2b3a99c240b08f648c6f22892307c0dc335f",
        "a47d78d5a577aa2966b90a2e4968a62da83e400f9ed8bf08bd9d216fead408f1",
        "4587c4703f4d216a491292b54ee9e84f93647a969310c7fefeb0b4babbb1bfb0",
    ];
    /// SHA-256 of the sandbox's session secret, hex.
    pub const SESSION_SECRET_SHA256: &str =
        "9bd1296e62aec12eabd16529258e2f74c1671a79574df8d46097644f662298ac";
    /// SHA-256 of the sandbox's APIv3 key, hex.
    pub const APIV3_KEY_SHA256: &str =
        "b95b86ce4f8b6d332b0fac94ae52607de670281bc157b4d78f6a74f2dad47802";
}

pub use coupon_wechatpay::sha256_hex;

/// Refuses, in live mode, anything that is the public sandbox's.
fn refuse_test_identities(s: &Settings) -> Result<(), String> {
    use test_identities as t;
    let refuse = |what: &str| {
        Err(format!("live mode refuses the sandbox's public test {what}: it is published in this repository"))
    };
    if t::MCHIDS.contains(&s.mchid.as_str()) {
        return refuse("merchant id");
    }
    if t::APPIDS.contains(&s.appid.as_str()) {
        return refuse("appid");
    }
    if t::SERIALS.contains(&s.merchant_serial.as_str()) {
        return refuse("merchant certificate serial");
    }
    if s.platform_keys.keys().any(|(serial, _)| t::SERIALS.contains(&serial)) {
        return refuse("platform serial");
    }
    let merchant = coupon_wechatpay::PrivateKey::from_pem(&s.merchant_key_pem)
        .map_err(|e| format!("merchant key: {e}"))?;
    if t::KEY_FINGERPRINTS.contains(&merchant.fingerprint().as_str()) {
        return refuse("merchant key");
    }
    if s.platform_keys
        .keys()
        .any(|(_, key)| t::KEY_FINGERPRINTS.contains(&key.fingerprint().as_str()))
    {
        return refuse("platform key or certificate");
    }
    if sha256_hex(&s.session_secret) == t::SESSION_SECRET_SHA256 {
        return refuse("session secret");
    }
    if s.apiv3_key.as_ref().is_some_and(|k| k.sha256_hex() == t::APIV3_KEY_SHA256) {
        return refuse("APIv3 key");
    }
    Ok(())
}

/// The keys WeChat Pay's answers are checked with, from every way of giving them: certificates,
/// the public key with its id, the older key-and-serial pair, or (sandbox mode) the sandbox's.
fn platform_keys(
    o: &Options,
    dev: Option<&DevUpstream>,
) -> Result<(KeySet, Option<ApiV3Key>), String> {
    let read = |p: &PathBuf, what: &str| {
        std::fs::read_to_string(p).map_err(|e| format!("cannot read {what} {}: {e}", p.display()))
    };
    let mut keys = KeySet::default();
    for path in o.platform_cert_files.iter().flatten() {
        let cert = Certificate::from_pem(&read(path, "platform certificate")?)
            .map_err(|e| format!("--platform-cert-file {}: {e}", path.display()))?;
        keys.add_certificate(cert);
    }
    match (&o.wechatpay_public_key_file, &o.wechatpay_public_key_id) {
        (Some(path), Some(id)) if id.starts_with(coupon_wechatpay::PUBLIC_KEY_ID_PREFIX) => {
            keys.set_public_key(
                id,
                PublicKey::from_pem(&read(path, "WeChat Pay public key")?)
                    .map_err(|e| format!("--wechatpay-public-key-file: {e}"))?,
            );
        }
        (Some(_), Some(id)) => {
            return Err(format!(
            "--wechatpay-public-key-id {id:?}: a WeChat Pay public key id starts with PUB_KEY_ID_"
        ))
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(
                "--wechatpay-public-key-file and --wechatpay-public-key-id go together".into()
            )
        }
        (None, None) => {}
    }
    match (&o.platform_key_file, &o.platform_serial) {
        (Some(path), Some(serial)) => {
            let pem = read(path, "platform key")?;
            // A certificate of that serial is held with its validity; anything else, as before,
            // as a key answers under that serial are checked with.
            match Certificate::from_pem(&pem) {
                Ok(cert) if cert.serial.eq_ignore_ascii_case(serial) => keys.add_certificate(cert),
                _ => keys.add_key(
                    serial,
                    PublicKey::from_pem(&pem).map_err(|e| format!("platform key: {e}"))?,
                ),
            }
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err("--platform-key-file and --platform-serial go together".into())
        }
        (None, None) => {}
    }
    let apiv3 = o
        .apiv3_key
        .as_deref()
        .or(dev.map(|d| d.apiv3_key.as_str()))
        .map(ApiV3Key::new)
        .transpose()
        .map_err(|e| format!("--apiv3-key: {e}"))?;
    if let Some(d) = dev.filter(|_| keys.keys().next().is_none()) {
        keys.set_public_key(&d.public_key_id, PublicKey::from_pem(&d.public_key_pem)?);
    }
    Ok((keys, apiv3))
}

/// Refuses the platform key set that cannot work: nothing to verify with, the merchant's own
/// key or serial in place of the platform's, or only certificates that have expired.
fn check_platform_keys(
    keys: &KeySet,
    can_download: bool,
    merchant_key_pem: &str,
    merchant_serial: &str,
) -> Result<(), String> {
    if keys.keys().next().is_none() && !can_download {
        return Err("no WeChat Pay platform key: give --wechatpay-public-key-file with --wechatpay-public-key-id, or --platform-cert-file, or --apiv3-key to download the certificates".into());
    }
    let merchant = coupon_wechatpay::PrivateKey::from_pem(merchant_key_pem)
        .map_err(|e| format!("merchant key: {e}"))?
        .fingerprint();
    for (serial, key) in keys.keys() {
        if key.fingerprint() == merchant {
            return Err(format!(
                "the platform key {serial} is the merchant's own key (apiclient_cert.pem?): give WeChat Pay's platform certificate or public key, which the merchant platform or GET /v3/certificates provides"
            ));
        }
        if serial.eq_ignore_ascii_case(merchant_serial) {
            return Err(format!("the platform serial {serial} is the merchant's own certificate serial (--merchant-serial): give WeChat Pay's"));
        }
    }
    let now = coupon_wechatpay::unix_now();
    if !can_download && !keys.has_usable_key(now) {
        let serials: Vec<&str> = keys.certificates().map(|c| c.serial.as_str()).collect();
        return Err(format!(
            "every platform certificate has expired ({}): download the current one, or give --apiv3-key to have the proxy download it",
            serials.join(", ")
        ));
    }
    Ok(())
}

/// Each origin is `scheme://host[:port]` and nothing else (never `*`: a credentialed API
/// cannot be open to every site).
fn check_origins(option: &str, origins: &[String]) -> Result<(), String> {
    for origin in origins {
        let bad = |why: &str| Err(format!("{option} {origin:?}: {why}"));
        if origin == "*" {
            return bad("a wildcard cannot carry the session cookie; list the H5 origins (https://shop.example.com)");
        }
        let Ok(url) = url::Url::parse(origin) else {
            return bad("not an origin (scheme://host[:port])");
        };
        if !matches!(url.scheme(), "http" | "https")
            || url.host().is_none()
            || url.path() != "/"
            || url.query().is_some()
            || origin.ends_with('/')
        {
            return bad("an origin is scheme://host[:port], with no path");
        }
    }
    Ok(())
}

/// A page's requests carry the `SameSite=Lax` session cookie only to an API on the page's own
/// site: the same scheme and registrable domain (the public suffix list's, so that
/// `a.example.com.cn` and `b.example.com.cn` are one site and `x.com.cn` and `y.com.cn` two).
fn site(origin: &str) -> Option<(String, String)> {
    let url = url::Url::parse(origin).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    let domain = match url.host()? {
        url::Host::Domain(_) => psl::domain_str(&host).map_or_else(|| host.clone(), str::to_owned),
        _ => host,
    };
    Some((url.scheme().to_owned(), domain))
}

fn check_same_site(public_origin: &str, allowed: &[String]) -> Result<(), String> {
    let home = site(public_origin);
    match allowed.iter().find(|o| site(o) != home) {
        Some(other) => Err(format!(
            "--allowed-origin {other} is not on the same site as --public-origin {public_origin}: the session cookie (SameSite=Lax) \
             would not travel with its requests; serve the API under the page's site (api.<its domain>) or list only pages of the API's site"
        )),
        None => Ok(()),
    }
}

/// Live mode talks TLS to WeChat and sends Secure cookies; `--allow-insecure-http` lifts that
/// for loopback addresses only (a test against fakes on this machine).
fn check_transport(s: &Settings, allow_insecure_http: bool) -> Result<(), String> {
    let loopback = |u: &url::Url| match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    let named = [
        ("--upstream", s.upstream.as_deref()),
        ("--upstream-backup", s.upstream_backup.as_deref()),
        ("--oauth-api", Some(s.oauth_api.as_str())),
        ("--public-origin", s.public_origin.as_deref()),
    ];
    let origins = s.allowed_origins.iter().map(|o| ("--allowed-origin", Some(o.as_str())));
    for (option, value) in named.into_iter().chain(origins) {
        let Some(value) = value else { continue };
        let url = url::Url::parse(value).map_err(|e| format!("{option} {value:?}: {e}"))?;
        if url.scheme() == "https" {
            continue;
        }
        if !allow_insecure_http {
            return Err(format!("live mode refuses {option} {value}: not https (--allow-insecure-http is for testing on loopback only)"));
        }
        if !loopback(&url) {
            return Err(format!(
                "--allow-insecure-http is for loopback addresses only, not {option} {value}"
            ));
        }
    }
    if !s.secure_cookie && !allow_insecure_http {
        return Err("live mode refuses --secure-cookie false: session cookies travel only over TLS (--allow-insecure-http is for testing on loopback)".into());
    }
    Ok(())
}

impl Settings {
    /// The settings `o` asks for. Sandbox mode takes its upstream and identity from `dev`;
    /// without one (a production build) it is refused.
    pub fn resolve(o: Options, dev: Option<DevUpstream>) -> Result<Settings, String> {
        let mode = o.mode.unwrap_or_default();
        let allow_insecure_http = o.allow_insecure_http.unwrap_or(false);
        let read = |p: &Option<PathBuf>, what: &str| -> Result<Option<String>, String> {
            p.as_ref()
                .map(|p| {
                    std::fs::read_to_string(p)
                        .map_err(|e| format!("cannot read {what} {}: {e}", p.display()))
                })
                .transpose()
        };
        let merchant_key = read(&o.merchant_key_file, "merchant key")?;
        let dev = match (mode, dev) {
            (Mode::Sandbox, Some(dev)) => Some(dev),
            (Mode::Sandbox, None) => {
                return Err("sandbox mode is not in this build (a production build, without the `sandbox` feature): run with --mode live and the merchant's credentials".into());
            }
            (Mode::Live, _) => None,
        };
        let d = dev.as_ref();
        let need =
            |v: Option<String>, name: &str, from_dev: Option<&str>| -> Result<String, String> {
                v.or_else(|| from_dev.map(str::to_owned))
                    .ok_or_else(|| format!("live mode needs --{name}"))
            };
        let merchant_key_pem =
            need(merchant_key, "merchant-key-file", d.map(|d| d.merchant_key_pem.as_str()))?;
        let session_secret =
            need(o.session_secret.clone(), "session-secret", d.map(|d| d.session_secret.as_str()))?;
        if mode == Mode::Live && session_secret.len() < 32 {
            return Err("--session-secret must be at least 32 characters".into());
        }
        if mode == Mode::Live && o.app_secret.is_none() {
            return Err("live mode needs --app-secret for WeChat OAuth".into());
        }
        let merchant_serial = need(
            o.merchant_serial.clone(),
            "merchant-serial",
            d.map(|d| d.merchant_serial.as_str()),
        )?;
        let (platform_keys, apiv3_key) = platform_keys(&o, d)?;
        check_platform_keys(
            &platform_keys,
            apiv3_key.is_some(),
            &merchant_key_pem,
            &merchant_serial,
        )?;
        let upstream_backup = match o.upstream_backup.as_deref() {
            Some("none" | "") => None,
            Some(url) => Some(url.trim_end_matches('/').to_owned()),
            None => (mode == Mode::Live).then(|| "https://api2.mch.weixin.qq.com".to_owned()),
        };
        let settings = Settings {
            listen: o.listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8787))),
            mode,
            upstream: o.upstream.or_else(|| d.map(|d| d.base.clone())).or_else(|| {
                (mode == Mode::Live).then(|| "https://api.mch.weixin.qq.com".to_owned())
            }),
            merchant_key_pem,
            platform_keys,
            apiv3_key,
            certificate_refresh: Duration::from_secs(
                o.certificate_refresh_secs.unwrap_or(4 * 3_600).max(60),
            ),
            upstream_backup,
            mchid: need(o.mchid, "mchid", d.map(|d| d.mchid.as_str()))?,
            appid: need(o.appid, "appid", d.map(|d| d.appid.as_str()))?,
            merchant_serial,
            oauth_api: o
                .oauth_api
                .unwrap_or_else(|| "https://api.weixin.qq.com".into())
                .trim_end_matches('/')
                .to_owned(),
            app_secret: o.app_secret,
            session_secret: session_secret.into_bytes(),
            public_origin: o.public_origin.map(|s| s.trim_end_matches('/').to_owned()),
            allowed_origins: o
                .allowed_origins
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.trim_end_matches('/').to_owned())
                .collect(),
            claimable_stocks: match o.claimable_stocks {
                Some(list) => list.iter().map(|s| claimable_stock(s)).collect(),
                None => d.map(|d| d.claimable_stocks.clone()).unwrap_or_default(),
            },
            partner_mchids: match o.partner_mchids {
                Some(list) => list
                    .into_iter()
                    .map(|m| m.trim().to_owned())
                    .filter(|m| !m.is_empty())
                    .collect(),
                None => d.map(|d| d.partner_mchids.clone()).unwrap_or_default(),
            },
            single_item_goods: match o.single_item_goods {
                Some(list) => {
                    list.iter().map(|e| single_item_goods(e)).collect::<Result<_, _>>()?
                }
                None => d.map(|d| d.single_item_goods.clone()).unwrap_or_default(),
            },
            claim_values: o
                .claim_values
                .unwrap_or_default()
                .iter()
                .map(|e| claim_value(e))
                .collect::<Result<_, _>>()?,
            static_dir: o.static_dir.unwrap_or_else(|| PathBuf::from("dist")),
            metrics_listen: o.metrics_listen,
            redis_url: o.redis_url,
            redis_prefix: o.redis_prefix,
            store_timeout: Duration::from_millis(o.store_timeout_ms.unwrap_or(500)),
            memory_state_bytes: 128 << 20,
            // With mimalloc's own overhead, 200,000 sessions and a full wallet cache keep the
            // process under 300 MB resident (BENCHMARKS.md).
            memory_cache_bytes: 48 << 20,
            // WeChat Pay limits each merchant's rate; live mode stays under it unless told (0: off).
            upstream_rate_limit: o
                .upstream_rate_limit
                .or((mode == Mode::Live).then_some(100))
                .filter(|n| *n > 0),
            upstream_timeout: Duration::from_millis(o.upstream_timeout_ms.unwrap_or(3_000)),
            max_upstream_pages: 100,
            cache_ttl: Duration::from_secs(o.cache_ttl_secs.unwrap_or(30)),
            stale_ttl: Duration::from_secs(o.stale_ttl_secs.unwrap_or(600)),
            session_ttl: Duration::from_secs(o.session_ttl_secs.unwrap_or(7_200)),
            rate_limit_per_minute: o.rate_limit_per_minute.unwrap_or(120),
            secure_cookie: o.secure_cookie.unwrap_or(mode == Mode::Live),
            request_timeout: Duration::from_secs(o.request_timeout_secs.unwrap_or(30).max(1)),
            header_read_timeout: Duration::from_secs(
                o.header_read_timeout_secs.unwrap_or(10).max(1),
            ),
            max_connections: o.max_connections.unwrap_or(10_000).max(1),
            user_fetches_per_minute: o.user_fetches_per_minute.unwrap_or(60).max(1),
            setup_failure_ttl: Duration::from_secs(o.setup_failure_ttl_secs.unwrap_or(60)),
            client_ip_header: o
                .client_ip_header
                .as_deref()
                .map(|h| {
                    h.parse().map_err(|_| format!("--client-ip-header {h:?} is not a header name"))
                })
                .transpose()?,
            dev_users: dev.map(|d| d.users),
        };
        check_origins("--allowed-origin", &settings.allowed_origins)?;
        check_origins("--public-origin", settings.public_origin.as_slice())?;
        if mode == Mode::Live {
            if settings.public_origin.is_none() {
                return Err("live mode needs --public-origin, the https origin browsers reach this proxy at (https://api.shop.example.com): \
                            WeChat's OAuth comes back to it"
                    .into());
            }
            refuse_test_identities(&settings)?;
            check_transport(&settings, allow_insecure_http)?;
        }
        if let Some(public) = &settings.public_origin {
            check_same_site(public, &settings.allowed_origins)?;
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod file_tests {
    use super::*;

    fn file(text: &str) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("cw-config-{}.toml", crate::token::random_token()));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn the_file_fills_what_flags_and_environment_leave_unset() {
        let path = file(
            "listen = \"127.0.0.1:9000\"\ncache_ttl_secs = 5\npartner_mchids = [\"1900000001\"]\nmode = \"live\"\n",
        );
        let flags = Options {
            config: Some(path.clone()),
            cache_ttl_secs: Some(45),
            secure_cookie: Some(false),
            ..Options::default()
        };
        let o = flags.with_file().unwrap();
        std::fs::remove_file(&path).ok();
        assert_eq!(o.cache_ttl_secs, Some(45), "a flag wins over the file");
        assert_eq!(o.listen, Some("127.0.0.1:9000".parse().unwrap()), "the file fills the rest");
        assert_eq!(o.partner_mchids, Some(vec!["1900000001".to_owned()]));
        assert_eq!((o.mode, o.secure_cookie), (Some(Mode::Live), Some(false)));
        assert_eq!(o.config, Some(path), "the file's own name is kept");
    }

    #[test]
    fn a_file_with_an_unknown_or_mistyped_option_is_refused_with_its_name() {
        for (text, named) in
            [("cache_ttl = 5\n", "cache_ttl"), ("cache_ttl_secs = \"five\"\n", "five")]
        {
            let path = file(text);
            let err = Options { config: Some(path.clone()), ..Options::default() }
                .with_file()
                .unwrap_err();
            std::fs::remove_file(&path).ok();
            assert!(err.contains("config") && err.contains(named), "{err}");
        }
    }
}
