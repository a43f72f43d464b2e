//! Configuration: a TOML file, then environment variables, then flags (later wins).
//! `coupon-proxy --help` lists every option with its variable.

use clap::{Parser, Subcommand, ValueEnum};
pub use coupon_rules::api::ClaimableStock;
use coupon_wechatpay::{ApiV3Key, Certificate, KeySet, PublicKey};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Why the proxy did not start: the start-up layer's one error type (`coupon-proxy` prints it
/// and exits non-zero).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// An option is missing, malformed or unsafe; the message names it.
    #[error("{0}")]
    Config(String),
    /// The state store named by `--redis-url` could not be used.
    #[error("{0} (--redis-url)")]
    Store(#[from] crate::store::StoreError),
    /// No WeChat Pay platform key can verify an answer.
    #[error("{0}")]
    PlatformKeys(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("http client: {0}")]
    HttpClient(#[from] reqwest::Error),
    /// WeChat Pay refused or failed a call made at start-up (registering the callbacks).
    #[error("WeChat Pay: {0}")]
    Upstream(String),
    /// The embedded sandbox (sandbox mode) could not start.
    #[error("sandbox: {0}")]
    Sandbox(String),
}

impl From<String> for StartError {
    fn from(message: String) -> Self {
        StartError::Config(message)
    }
}

impl From<&str> for StartError {
    fn from(message: &str) -> Self {
        StartError::Config(message.to_owned())
    }
}

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
    /// pipeline).
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
    /// Register this proxy's notification URL (`<public origin>/api/v1/wechatpay/notifications`)
    /// with WeChat Pay's two callback APIs, 代金券's and 商家券's, and print what they hold.
    Callbacks {
        #[command(subcommand)]
        action: CallbacksAction,
    },
    /// Print the sandbox's generated data set as JSON (how sandbox/data.json is made).
    #[cfg(feature = "sandbox")]
    SandboxData,
}

#[derive(Debug, Subcommand)]
pub enum CallbacksAction {
    /// Set both to `--url` (https), then read them back.
    Set {
        #[arg(long)]
        url: String,
    },
}

/// Every option; each may also come from the config file under the same name.
#[derive(Debug, Default, Clone, clap::Args, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Options {
    /// TOML file with any of these options (file keys use the long names with `_`).
    #[arg(long, env = "COUPON_PROXY_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "COUPON_PROXY_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// sandbox or live.
    #[arg(long, env = "COUPON_PROXY_MODE")]
    pub mode: Option<Mode>,
    /// WeChat Pay API base URL.
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
    /// of jitter.
    #[arg(long, env = "COUPON_PROXY_CERTIFICATE_REFRESH_SECS")]
    pub certificate_refresh_secs: Option<u64>,
    /// Older form of the two options above: a platform public key or certificate PEM ...
    #[arg(long, env = "COUPON_PROXY_PLATFORM_KEY_FILE")]
    pub platform_key_file: Option<PathBuf>,
    /// ... and its serial (`PUB_KEY_ID_…` for a public key).
    #[arg(long, env = "COUPON_PROXY_PLATFORM_SERIAL")]
    pub platform_serial: Option<String>,
    /// WeChat Pay's backup API domain, tried once when the primary cannot be reached or times
    /// out (`none` turns it off).
    #[arg(long, env = "COUPON_PROXY_UPSTREAM_BACKUP")]
    pub upstream_backup: Option<String>,
    /// Base URL of WeChat's OAuth API (the code → openid exchange).
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
    /// link goes to it.
    #[arg(long, env = "COUPON_PROXY_PUBLIC_ORIGIN")]
    pub public_origin: Option<String>,
    /// Origins (scheme://host[:port]) allowed to call the API from a browser, each on the same
    /// site as `--public-origin` (the session cookie is SameSite=Lax); repeatable.
    #[arg(long = "allowed-origin", env = "COUPON_PROXY_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Option<Vec<String>>,
    /// Stocks users may claim (领取) through the widget, as `STOCK_ID` or `STOCK_ID=名称`;
    /// repeatable. Each is offered while WeChat Pay reports it running with coupons left, under
    /// its name there; the name given here is used only when WeChat Pay cannot be asked.
    #[arg(long = "claimable-stock", env = "COUPON_PROXY_CLAIMABLE_STOCKS", value_delimiter = ',')]
    pub claimable_stocks: Option<Vec<String>>,
    /// Merchants (headquarters, partners) whose 代金券 and 消费金 this store accepts, asked for
    /// by creator so that their used and expired coupons are listed too (WeChat Pay must have
    /// authorised it; otherwise that part of the list is reported missing); repeatable.
    #[arg(long = "partner-mchid", env = "COUPON_PROXY_PARTNER_MCHIDS", value_delimiter = ',')]
    pub partner_mchids: Option<Vec<String>>,
    /// The goods a 单品券 stock covers, as `STOCK_ID=GOODS_ID|GOODS_ID`, in place of what
    /// 查询可用单品 lists; repeatable. A 单品券 whose goods are known neither way shows
    /// 仅限指定商品 and is never picked automatically.
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
    /// `rediss://` for TLS).
    #[arg(long, env = "COUPON_PROXY_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// A prefix before every Redis key, so that several merchants' proxies can share one Redis.
    #[arg(long, env = "COUPON_PROXY_REDIS_PREFIX")]
    pub redis_prefix: Option<String>,
    /// Timeout of one call to the state store, in milliseconds.
    #[arg(long, env = "COUPON_PROXY_STORE_TIMEOUT_MS")]
    pub store_timeout_ms: Option<u64>,
    /// Upstream requests per second for the whole merchant, across every instance sharing the
    /// store; beyond it requests wait up to a second, then fail with UPSTREAM_BUSY (0 turns it
    /// off).
    #[arg(long, env = "COUPON_PROXY_UPSTREAM_RATE_LIMIT")]
    pub upstream_rate_limit: Option<u32>,
    /// Address for Prometheus metrics (`GET /metrics`); keep it off the public network.
    #[arg(long, env = "COUPON_PROXY_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Folder with the built widget and demo page.
    #[arg(long, env = "COUPON_PROXY_STATIC_DIR")]
    pub static_dir: Option<PathBuf>,
    /// Timeout of one upstream call, in milliseconds.
    #[arg(long, env = "COUPON_PROXY_UPSTREAM_TIMEOUT_MS")]
    pub upstream_timeout_ms: Option<u64>,
    /// How long a user's coupons are served from cache, in seconds.
    #[arg(long, env = "COUPON_PROXY_CACHE_TTL_SECS")]
    pub cache_ttl_secs: Option<u64>,
    /// WeChat Pay's notifications reach this proxy (its URL is registered, `callbacks set`): a
    /// 代金券's use and a 商家券 received then arrive as they happen, so wallets are kept longer
    /// (see --cache-ttl-secs), and fewer users wait on WeChat's per-merchant rate in a campaign.
    #[arg(long, env = "COUPON_PROXY_NOTIFICATIONS")]
    pub notifications: Option<bool>,
    /// An open use sheet is told of its coupon's use over Server-Sent Events; false makes every
    /// sheet poll once a second instead (behind a front proxy that cuts or buffers long answers).
    #[arg(long, env = "COUPON_PROXY_PUSH_UPDATES")]
    pub push_updates: Option<bool>,
    /// How long stale coupons may still be served when upstream fails, in seconds.
    #[arg(long, env = "COUPON_PROXY_STALE_TTL_SECS")]
    pub stale_ttl_secs: Option<u64>,
    /// Session lifetime, in seconds.
    #[arg(long, env = "COUPON_PROXY_SESSION_TTL_SECS")]
    pub session_ttl_secs: Option<u64>,
    /// Requests one session may make per minute.
    #[arg(long, env = "COUPON_PROXY_RATE_LIMIT")]
    pub rate_limit_per_minute: Option<u32>,
    /// Set the Secure flag on the session cookie.
    #[arg(long, env = "COUPON_PROXY_SECURE_COOKIE")]
    pub secure_cookie: Option<bool>,
    /// The longest one API request may take, in seconds; past it the answer is 504
    /// UPSTREAM_TIMEOUT.
    #[arg(long, env = "COUPON_PROXY_REQUEST_TIMEOUT_SECS")]
    pub request_timeout_secs: Option<u64>,
    /// The longest a client may take to send a request's headers, or to start its next request
    /// on a kept-alive connection, in seconds.
    #[arg(long, env = "COUPON_PROXY_HEADER_READ_TIMEOUT_SECS")]
    pub header_read_timeout_secs: Option<u64>,
    /// How long, in seconds, a browser may show its own copy of a user's first page, 领取 list
    /// and first screen on a repeat visit while the widget asks the proxy again at once (a
    /// private `stale-while-revalidate`); 0: never, every answer `no-store`. At most 3600.
    #[arg(long, env = "COUPON_PROXY_STALE_WHILE_REVALIDATE_SECS")]
    pub stale_while_revalidate_secs: Option<u64>,
    /// Upstream fetches of one user's wallet per minute, across all their sessions.
    #[arg(long, env = "COUPON_PROXY_USER_FETCHES_PER_MINUTE")]
    pub user_fetches_per_minute: Option<u32>,
    /// How long a query WeChat Pay refused for the merchant's setup (NOAUTH: a partner that has
    /// not authorised it, …) is not asked again, in seconds.
    #[arg(long, env = "COUPON_PROXY_SETUP_FAILURE_TTL_SECS")]
    pub setup_failure_ttl_secs: Option<u64>,
    /// Live mode only, for testing on loopback: accept `http://` upstream, OAuth and origins and
    /// cookies without Secure, as long as every such address is a loopback one.
    #[arg(long, env = "COUPON_PROXY_ALLOW_INSECURE_HTTP", num_args = 0..=1, default_missing_value = "true")]
    pub allow_insecure_http: Option<bool>,
    /// Behind a reverse proxy: the header it appends the client's address to (e.g.
    /// `X-Forwarded-For`; its last value is taken), for per-client limits.
    #[arg(long, env = "COUPON_PROXY_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<String>,
    /// Bearer token of the merchant's order system for `POST /api/v1/merchant/redemptions`
    /// (核销 of the 商家券 chosen at checkout), at least 32 characters.
    #[arg(long, env = "COUPON_PROXY_REDEMPTION_TOKEN", hide_env_values = true)]
    pub redemption_token: Option<String>,
    /// Client connections open at once.
    #[arg(long, env = "COUPON_PROXY_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
}

impl Options {
    /// Fills what is unset here from the config file named by `config`, if any.
    pub fn with_file(self) -> Result<Options, StartError> {
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

/// Every option's default, written once: [`Settings::resolve`] reads these and `--help` shows
/// them ([`Cli::command_with_defaults`]).
pub mod defaults {
    use clap::ValueEnum;
    pub const LISTEN: &str = "127.0.0.1:8787";
    pub const LIVE_UPSTREAM: &str = "https://api.mch.weixin.qq.com";
    pub const LIVE_UPSTREAM_BACKUP: &str = "https://api2.mch.weixin.qq.com";
    pub const OAUTH_API: &str = "https://api.weixin.qq.com";
    pub const CERTIFICATE_REFRESH_SECS: u64 = 4 * 3_600;
    pub const STORE_TIMEOUT_MS: u64 = 500;
    /// WeChat Pay limits each merchant's rate; live mode stays under it unless told.
    pub const LIVE_UPSTREAM_RATE_LIMIT: u32 = 100;
    pub const STATIC_DIR: &str = "dist";
    pub const UPSTREAM_TIMEOUT_MS: u64 = 3_000;
    pub const CACHE_TTL_SECS: u64 = 30;
    /// The cache TTL with `--notifications`: a 商家券 used elsewhere (no event for it) shows
    /// as used in its detail sheet, which reads it fresh and has the wallet fetched again.
    pub const NOTIFIED_CACHE_TTL_SECS: u64 = 300;
    pub const STALE_TTL_SECS: u64 = 600;
    pub const SESSION_TTL_SECS: u64 = 7_200;
    pub const RATE_LIMIT_PER_MINUTE: u32 = 120;
    pub const REQUEST_TIMEOUT_SECS: u64 = 30;
    pub const HEADER_READ_TIMEOUT_SECS: u64 = 10;
    pub const USER_FETCHES_PER_MINUTE: u32 = 60;
    pub const STALE_WHILE_REVALIDATE_SECS: u64 = 300;
    pub const SETUP_FAILURE_TTL_SECS: u64 = 60;
    pub const MAX_CONNECTIONS: usize = 10_000;

    /// What `--help` adds to each option's own text, by option id.
    pub fn shown() -> Vec<(&'static str, String)> {
        let plain = |id, value: &dyn std::fmt::Display| (id, format!("[default: {value}]"));
        vec![
            plain("mode", &super::Mode::default().to_possible_value().expect("named").get_name()),
            plain("listen", &LISTEN),
            ("upstream", format!("[live default: {LIVE_UPSTREAM}; sandbox: the embedded one]")),
            ("upstream_backup", format!("[live default: {LIVE_UPSTREAM_BACKUP}; sandbox: none]")),
            plain("oauth_api", &OAUTH_API),
            plain("certificate_refresh_secs", &CERTIFICATE_REFRESH_SECS),
            ("public_origin", "[live: required; sandbox: the page's own origin]".to_owned()),
            ("redis_url", "[default: none, state in this process's memory]".to_owned()),
            plain("store_timeout_ms", &STORE_TIMEOUT_MS),
            (
                "upstream_rate_limit",
                format!("[live default: {LIVE_UPSTREAM_RATE_LIMIT}; sandbox: none]"),
            ),
            ("metrics_listen", "[default: none, no metrics listener]".to_owned()),
            plain("static_dir", &STATIC_DIR),
            plain("upstream_timeout_ms", &UPSTREAM_TIMEOUT_MS),
            (
                "cache_ttl_secs",
                format!(
                    "[default: {CACHE_TTL_SECS}; {NOTIFIED_CACHE_TTL_SECS} with --notifications]"
                ),
            ),
            ("notifications", "[default: false]".to_owned()),
            ("push_updates", "[default: true]".to_owned()),
            plain("stale_ttl_secs", &STALE_TTL_SECS),
            plain("session_ttl_secs", &SESSION_TTL_SECS),
            plain("rate_limit_per_minute", &RATE_LIMIT_PER_MINUTE),
            ("secure_cookie", "[default: true in live mode, false in sandbox mode]".to_owned()),
            plain("request_timeout_secs", &REQUEST_TIMEOUT_SECS),
            plain("header_read_timeout_secs", &HEADER_READ_TIMEOUT_SECS),
            plain("user_fetches_per_minute", &USER_FETCHES_PER_MINUTE),
            plain("stale_while_revalidate_secs", &STALE_WHILE_REVALIDATE_SECS),
            plain("setup_failure_ttl_secs", &SETUP_FAILURE_TTL_SECS),
            ("client_ip_header", "[default: the connection's address]".to_owned()),
            ("redemption_token", "[default: none, the route refuses every call]".to_owned()),
            plain("max_connections", &MAX_CONNECTIONS),
        ]
    }
}

impl Cli {
    /// The command line with each option's default (from [`defaults`]) in its help.
    pub fn command_with_defaults() -> clap::Command {
        use clap::CommandFactory;
        defaults::shown().into_iter().fold(Cli::command(), |command, (id, shown)| {
            command.mut_arg(id, |arg| {
                let own = arg.get_help().map(ToString::to_string).unwrap_or_default();
                arg.help(format!("{own} {shown}"))
            })
        })
    }

    /// Parses this process's arguments (and environment); exits with clap's message if wrong.
    pub fn parse_with_defaults() -> Cli {
        use clap::FromArgMatches;
        let matches = Cli::command_with_defaults().get_matches();
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }
}

/// A stock the widget offers a 领取 button for: `STOCK_ID` or `STOCK_ID=名称` (the name shown
/// when 查询批次详情 cannot be asked; the stock id when none is configured).
pub fn claimable_stock(entry: &str) -> ClaimableStock {
    let (id, name) = entry.split_once('=').unwrap_or((entry, entry));
    ClaimableStock {
        stock_id: id.trim().to_owned(),
        name: name.trim().to_owned(),
        max_per_user: None,
        held: 0,
    }
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
    pub identity: MerchantIdentity,
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
    /// 单品券 stock id → the merchant's goods ids it covers, over 查询可用单品.
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
    pub push_updates: bool,
    pub stale_ttl: Duration,
    pub session_ttl: Duration,
    pub rate_limit_per_minute: u32,
    pub secure_cookie: bool,
    /// The deadline of one API request.
    pub request_timeout: Duration,
    pub header_read_timeout: Duration,
    pub max_connections: usize,
    pub user_fetches_per_minute: u32,
    /// How long a browser may show its copy of a first page while the widget asks again (zero:
    /// never).
    pub stale_while_revalidate: Duration,
    pub setup_failure_ttl: Duration,
    /// The order system's token for redemptions; none: the route refuses every call.
    pub redemption_token: Option<String>,
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
            .field("mchid", &self.identity.mchid)
            .field("appid", &self.identity.appid)
            .field("public_origin", &self.public_origin)
            .field("allowed_origins", &self.allowed_origins)
            .field("claimable_stocks", &self.claimable_stocks)
            .field("static_dir", &self.static_dir)
            .finish_non_exhaustive()
    }
}

/// Who the proxy is towards WeChat Pay: the merchant, the appid its coupons belong to, and the
/// merchant API certificate every request is signed with.
#[derive(Clone)]
pub struct MerchantIdentity {
    pub mchid: String,
    pub appid: String,
    pub merchant_serial: String,
    /// The merchant private key (`apiclient_key.pem`), PEM.
    pub merchant_key_pem: String,
}

impl MerchantIdentity {
    /// From the options, each part left unset taken from `dev` (sandbox mode); live mode needs
    /// all four.
    fn resolve(o: &Options, dev: Option<&MerchantIdentity>) -> Result<Self, String> {
        let need = |given: Option<String>, name: &str, from_dev: Option<&String>| {
            given.or_else(|| from_dev.cloned()).ok_or_else(|| format!("live mode needs --{name}"))
        };
        let key = o.merchant_key_file.as_ref().map(|p| read(p, "merchant key")).transpose()?;
        Ok(MerchantIdentity {
            merchant_key_pem: need(key, "merchant-key-file", dev.map(|d| &d.merchant_key_pem))?,
            merchant_serial: need(
                o.merchant_serial.clone(),
                "merchant-serial",
                dev.map(|d| &d.merchant_serial),
            )?,
            mchid: need(o.mchid.clone(), "mchid", dev.map(|d| &d.mchid))?,
            appid: need(o.appid.clone(), "appid", dev.map(|d| &d.appid))?,
        })
    }
}

fn read(path: &std::path::Path, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {what} {}: {e}", path.display()))
}

/// What sandbox mode runs against: a development upstream (the `coupon-sandbox` crate, wired
/// in by the `sandbox` feature, see `coupon_proxy::dev`) and the identity the proxy uses
/// towards it, the users its development login offers, and its demo merchant's setup. A
/// production build (`--no-default-features`) has none, and refuses sandbox mode.
#[derive(Clone)]
pub struct DevUpstream {
    pub base: String,
    pub identity: MerchantIdentity,
    /// The platform's public key and its id, and the APIv3 key its certificates open with.
    pub public_key_pem: String,
    pub public_key_id: String,
    pub apiv3_key: String,
    pub session_secret: String,
    pub users: Vec<coupon_rules::api::DevUser>,
    pub claimable_stocks: Vec<ClaimableStock>,
    pub partner_mchids: Vec<String>,
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
    if t::MCHIDS.contains(&s.identity.mchid.as_str()) {
        return refuse("merchant id");
    }
    if t::APPIDS.contains(&s.identity.appid.as_str()) {
        return refuse("appid");
    }
    if t::SERIALS.contains(&s.identity.merchant_serial.as_str()) {
        return refuse("merchant certificate serial");
    }
    if s.platform_keys.keys().any(|(serial, _)| t::SERIALS.contains(&serial)) {
        return refuse("platform serial");
    }
    let merchant = coupon_wechatpay::PrivateKey::from_pem(&s.identity.merchant_key_pem)
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

/// Sandbox mode runs against `dev`; a build without one (a production build) refuses it.
fn dev_for(mode: Mode, dev: Option<DevUpstream>) -> Result<Option<DevUpstream>, String> {
    match (mode, dev) {
        (Mode::Sandbox, Some(dev)) => Ok(Some(dev)),
        (Mode::Sandbox, None) => Err("sandbox mode is not in this build (a production build, without the `sandbox` feature): run with --mode live and the merchant's credentials".into()),
        (Mode::Live, _) => Ok(None),
    }
}

/// The session cookie's secret and the AppSecret WeChat OAuth needs (live mode).
fn secrets(o: &Options, mode: Mode, dev: Option<&DevUpstream>) -> Result<Vec<u8>, String> {
    let secret = o
        .session_secret
        .clone()
        .or_else(|| dev.map(|d| d.session_secret.clone()))
        .ok_or("live mode needs --session-secret")?;
    if mode == Mode::Live && secret.len() < 32 {
        return Err("--session-secret must be at least 32 characters".into());
    }
    if mode == Mode::Live && o.app_secret.is_none() {
        return Err("live mode needs --app-secret for WeChat OAuth".into());
    }
    Ok(secret.into_bytes())
}

/// What the widget offers beside the user's coupons: claimable stocks, partners' coupons, the
/// goods of 单品券; each list given replaces the sandbox's.
struct Catalogue {
    claimable_stocks: Vec<ClaimableStock>,
    partner_mchids: Vec<String>,
    single_item_goods: std::collections::HashMap<String, Vec<String>>,
    claim_values: std::collections::HashMap<String, (u64, u64)>,
}

impl Catalogue {
    fn resolve(o: &Options, dev: Option<&DevUpstream>) -> Result<Self, String> {
        Ok(Catalogue {
            claimable_stocks: match &o.claimable_stocks {
                Some(list) => list.iter().map(|s| claimable_stock(s)).collect(),
                None => dev.map(|d| d.claimable_stocks.clone()).unwrap_or_default(),
            },
            partner_mchids: match &o.partner_mchids {
                Some(list) => {
                    list.iter().map(|m| m.trim().to_owned()).filter(|m| !m.is_empty()).collect()
                }
                None => dev.map(|d| d.partner_mchids.clone()).unwrap_or_default(),
            },
            single_item_goods: match &o.single_item_goods {
                Some(list) => {
                    list.iter().map(|e| single_item_goods(e)).collect::<Result<_, _>>()?
                }
                None => std::collections::HashMap::new(),
            },
            claim_values: o
                .claim_values
                .iter()
                .flatten()
                .map(|e| claim_value(e))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// An origin or base URL as given, without a trailing slash.
fn bare(url: &str) -> String {
    url.trim_end_matches('/').to_owned()
}

impl Settings {
    /// The settings `o` asks for, each option unset taking its value from [`defaults`].
    /// Sandbox mode takes its upstream and identity from `dev`; without one (a production
    /// build) it is refused.
    pub fn resolve(o: Options, dev: Option<DevUpstream>) -> Result<Settings, StartError> {
        use defaults as d;
        let mode = o.mode.unwrap_or_default();
        let live = mode == Mode::Live;
        let dev = dev_for(mode, dev)?;
        let identity = MerchantIdentity::resolve(&o, dev.as_ref().map(|d| &d.identity))?;
        let session_secret = secrets(&o, mode, dev.as_ref())?;
        let (platform_keys, apiv3_key) = platform_keys(&o, dev.as_ref())?;
        check_platform_keys(
            &platform_keys,
            apiv3_key.is_some(),
            &identity.merchant_key_pem,
            &identity.merchant_serial,
        )?;
        let catalogue = Catalogue::resolve(&o, dev.as_ref())?;
        let secs = |given: Option<u64>, default: u64| Duration::from_secs(given.unwrap_or(default));
        let settings = Settings {
            listen: o.listen.unwrap_or_else(|| d::LISTEN.parse().expect("the default address")),
            mode,
            upstream: o
                .upstream
                .or_else(|| dev.as_ref().map(|d| d.base.clone()))
                .or_else(|| live.then(|| d::LIVE_UPSTREAM.to_owned())),
            identity,
            platform_keys,
            apiv3_key,
            certificate_refresh: secs(o.certificate_refresh_secs, d::CERTIFICATE_REFRESH_SECS)
                .max(Duration::from_secs(60)),
            upstream_backup: match o.upstream_backup.as_deref() {
                Some("none" | "") => None,
                Some(url) => Some(bare(url)),
                None => live.then(|| d::LIVE_UPSTREAM_BACKUP.to_owned()),
            },
            oauth_api: bare(o.oauth_api.as_deref().unwrap_or(d::OAUTH_API)),
            app_secret: o.app_secret,
            session_secret,
            public_origin: o.public_origin.as_deref().map(bare),
            allowed_origins: o.allowed_origins.iter().flatten().map(|s| bare(s)).collect(),
            claimable_stocks: catalogue.claimable_stocks,
            partner_mchids: catalogue.partner_mchids,
            single_item_goods: catalogue.single_item_goods,
            claim_values: catalogue.claim_values,
            static_dir: o.static_dir.unwrap_or_else(|| PathBuf::from(d::STATIC_DIR)),
            metrics_listen: o.metrics_listen,
            redis_url: o.redis_url,
            redis_prefix: o.redis_prefix,
            store_timeout: Duration::from_millis(o.store_timeout_ms.unwrap_or(d::STORE_TIMEOUT_MS)),
            memory_state_bytes: 128 << 20,
            // With mimalloc's own overhead, 200,000 sessions and a full wallet cache keep the
            // process under 300 MB resident (BENCHMARKS.md).
            memory_cache_bytes: 48 << 20,
            upstream_rate_limit: o
                .upstream_rate_limit
                .or(live.then_some(d::LIVE_UPSTREAM_RATE_LIMIT))
                .filter(|n| *n > 0),
            upstream_timeout: Duration::from_millis(
                o.upstream_timeout_ms.unwrap_or(d::UPSTREAM_TIMEOUT_MS),
            ),
            max_upstream_pages: 100,
            cache_ttl: secs(
                o.cache_ttl_secs,
                match o.notifications.unwrap_or(false) {
                    true => d::NOTIFIED_CACHE_TTL_SECS,
                    false => d::CACHE_TTL_SECS,
                },
            ),
            push_updates: o.push_updates.unwrap_or(true),
            stale_ttl: secs(o.stale_ttl_secs, d::STALE_TTL_SECS),
            session_ttl: secs(o.session_ttl_secs, d::SESSION_TTL_SECS),
            rate_limit_per_minute: o.rate_limit_per_minute.unwrap_or(d::RATE_LIMIT_PER_MINUTE),
            secure_cookie: o.secure_cookie.unwrap_or(live),
            request_timeout: secs(o.request_timeout_secs, d::REQUEST_TIMEOUT_SECS)
                .max(Duration::from_secs(1)),
            header_read_timeout: secs(o.header_read_timeout_secs, d::HEADER_READ_TIMEOUT_SECS)
                .max(Duration::from_secs(1)),
            max_connections: o.max_connections.unwrap_or(d::MAX_CONNECTIONS).max(1),
            user_fetches_per_minute: o
                .user_fetches_per_minute
                .unwrap_or(d::USER_FETCHES_PER_MINUTE)
                .max(1),
            stale_while_revalidate: match o.stale_while_revalidate_secs {
                Some(n) if n > 3_600 => {
                    return Err(format!(
                        "--stale-while-revalidate-secs {n}: at most 3600 (an hour)"
                    )
                    .into())
                }
                n => Duration::from_secs(n.unwrap_or(d::STALE_WHILE_REVALIDATE_SECS)),
            },
            setup_failure_ttl: secs(o.setup_failure_ttl_secs, d::SETUP_FAILURE_TTL_SECS),
            client_ip_header: o
                .client_ip_header
                .as_deref()
                .map(|h| {
                    h.parse().map_err(|_| format!("--client-ip-header {h:?} is not a header name"))
                })
                .transpose()?,
            redemption_token: o.redemption_token,
            dev_users: dev.map(|d| d.users),
        };
        settings.check(o.allow_insecure_http.unwrap_or(false))?;
        Ok(settings)
    }

    /// Refuses origins that are not origins, and in live mode anything unsafe or the sandbox's.
    fn check(&self, allow_insecure_http: bool) -> Result<(), String> {
        if self.redemption_token.as_ref().is_some_and(|t| t.len() < 32) {
            return Err("--redemption-token must be at least 32 characters".into());
        }
        check_origins("--allowed-origin", &self.allowed_origins)?;
        check_origins("--public-origin", self.public_origin.as_slice())?;
        if self.mode == Mode::Live {
            if self.public_origin.is_none() {
                return Err("live mode needs --public-origin, the https origin browsers reach this proxy at (https://api.shop.example.com): \
                            WeChat's OAuth comes back to it"
                    .into());
            }
            refuse_test_identities(self)?;
            check_transport(self, allow_insecure_http)?;
        }
        if let Some(public) = &self.public_origin {
            check_same_site(public, &self.allowed_origins)?;
        }
        Ok(())
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
                .unwrap_err()
                .to_string();
            std::fs::remove_file(&path).ok();
            assert!(err.contains("config") && err.contains(named), "{err}");
        }
    }
}
