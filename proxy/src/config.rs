//! Configuration: a TOML file, then environment variables, then flags (later wins).
//! `coupon-proxy --help` lists every option with its variable.

use clap::{Parser, Subcommand, ValueEnum};
pub use coupon_rules::api::ClaimableStock;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Against the embedded sandbox upstream, with test keys and a development login.
    #[default]
    Sandbox,
    /// Against WeChat Pay with the merchant's credentials and WeChat OAuth.
    Live,
}

#[derive(Debug, Parser)]
#[command(name = "coupon-proxy", version, about = "Merchant proxy for the 我的代金券 widget: signs WeChat Pay v3 calls, ties sessions to openids, serves the widget's JSON API.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub options: Options,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API, the widget and (in sandbox mode) the embedded sandbox. The default.
    Serve,
    /// Run only the sandbox upstream (the WeChat Pay look-alike), e.g. for another proxy.
    Sandbox {
        #[arg(long, default_value = "127.0.0.1:8788")]
        listen: SocketAddr,
    },
    /// Print the sandbox's generated data set as JSON (how sandbox/data.json is made).
    SandboxData,
}

/// Every option; each may also come from the config file under the same name.
#[derive(Debug, Default, Clone, clap::Args, Deserialize)]
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
    /// PEM file of WeChat Pay's platform public key or certificate.
    #[arg(long, env = "COUPON_PROXY_PLATFORM_KEY_FILE")]
    pub platform_key_file: Option<PathBuf>,
    /// Serial (Wechatpay-Serial) of that platform key or certificate.
    #[arg(long, env = "COUPON_PROXY_PLATFORM_SERIAL")]
    pub platform_serial: Option<String>,
    /// Base URL of WeChat's OAuth API (the code → openid exchange) [default: https://api.weixin.qq.com].
    #[arg(long, env = "COUPON_PROXY_OAUTH_API")]
    pub oauth_api: Option<String>,
    /// Official account AppSecret, for WeChat OAuth (snsapi_base) in live mode.
    #[arg(long, env = "COUPON_PROXY_APP_SECRET", hide_env_values = true)]
    pub app_secret: Option<String>,
    /// Secret that signs session cookies, at least 32 characters [sandbox: random per start].
    #[arg(long, env = "COUPON_PROXY_SESSION_SECRET", hide_env_values = true)]
    pub session_secret: Option<String>,
    /// Origins (scheme://host[:port]) allowed to call the API from a browser; repeatable.
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
    #[arg(long = "single-item-goods", env = "COUPON_PROXY_SINGLE_ITEM_GOODS", value_delimiter = ',')]
    pub single_item_goods: Option<Vec<String>>,
    /// A claimable stock issued with a value the merchant sets, as `STOCK_ID=VALUE/MINIMUM` in fen
    /// (发放's coupon_value and coupon_minimum); repeatable.
    #[arg(long = "claim-value", env = "COUPON_PROXY_CLAIM_VALUES", value_delimiter = ',')]
    pub claim_values: Option<Vec<String>>,
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
}

impl Options {
    /// Fills what is unset here from the config file named by `config`, if any.
    pub fn with_file(self) -> Result<Options, String> {
        let Some(path) = &self.config else { return Ok(self) };
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read config {}: {e}", path.display()))?;
        let file: Options = toml::from_str(&text).map_err(|e| format!("config {}: {e}", path.display()))?;
        Ok(self.or(file))
    }

    fn or(self, f: Options) -> Options {
        Options {
            config: self.config,
            listen: self.listen.or(f.listen),
            mode: self.mode.or(f.mode),
            upstream: self.upstream.or(f.upstream),
            mchid: self.mchid.or(f.mchid),
            appid: self.appid.or(f.appid),
            merchant_serial: self.merchant_serial.or(f.merchant_serial),
            merchant_key_file: self.merchant_key_file.or(f.merchant_key_file),
            platform_key_file: self.platform_key_file.or(f.platform_key_file),
            platform_serial: self.platform_serial.or(f.platform_serial),
            oauth_api: self.oauth_api.or(f.oauth_api),
            app_secret: self.app_secret.or(f.app_secret),
            session_secret: self.session_secret.or(f.session_secret),
            allowed_origins: self.allowed_origins.or(f.allowed_origins),
            claimable_stocks: self.claimable_stocks.or(f.claimable_stocks),
            partner_mchids: self.partner_mchids.or(f.partner_mchids),
            single_item_goods: self.single_item_goods.or(f.single_item_goods),
            claim_values: self.claim_values.or(f.claim_values),
            static_dir: self.static_dir.or(f.static_dir),
            upstream_timeout_ms: self.upstream_timeout_ms.or(f.upstream_timeout_ms),
            cache_ttl_secs: self.cache_ttl_secs.or(f.cache_ttl_secs),
            stale_ttl_secs: self.stale_ttl_secs.or(f.stale_ttl_secs),
            session_ttl_secs: self.session_ttl_secs.or(f.session_ttl_secs),
            rate_limit_per_minute: self.rate_limit_per_minute.or(f.rate_limit_per_minute),
            secure_cookie: self.secure_cookie.or(f.secure_cookie),
        }
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
    let (stock, goods) = entry.split_once('=').ok_or_else(|| format!("--single-item-goods {entry:?}: expected STOCK_ID=GOODS_ID|GOODS_ID"))?;
    let goods: Vec<String> = goods.split('|').map(str::trim).filter(|g| !g.is_empty()).map(str::to_owned).collect();
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
    let (value, minimum) = (value.trim().parse().map_err(|_| bad())?, minimum.trim().parse().map_err(|_| bad())?);
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
    pub platform_key_pem: String,
    pub platform_serial: String,
    pub oauth_api: String,
    pub app_secret: Option<String>,
    pub session_secret: Vec<u8>,
    pub allowed_origins: Vec<String>,
    pub claimable_stocks: Vec<ClaimableStock>,
    pub partner_mchids: Vec<String>,
    /// 单品券 stock id → the merchant's goods ids it covers.
    pub single_item_goods: std::collections::HashMap<String, Vec<String>>,
    /// Claimable stock id → (coupon_value, coupon_minimum) in fen.
    pub claim_values: std::collections::HashMap<String, (u64, u64)>,
    pub static_dir: PathBuf,
    /// The most pages read per upstream list query (50 coupons each); more is reported as
    /// `truncated`, never dropped silently.
    pub max_upstream_pages: u64,
    pub upstream_timeout: Duration,
    pub cache_ttl: Duration,
    pub stale_ttl: Duration,
    pub session_ttl: Duration,
    pub rate_limit_per_minute: u32,
    pub secure_cookie: bool,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("mode", &self.mode)
            .field("upstream", &self.upstream)
            .field("mchid", &self.mchid)
            .field("appid", &self.appid)
            .field("allowed_origins", &self.allowed_origins)
            .field("claimable_stocks", &self.claimable_stocks)
            .field("static_dir", &self.static_dir)
            .finish_non_exhaustive()
    }
}

/// The sandbox's identities: fixed, public, and refused in live mode.
pub mod sandbox_identity {
    pub const MCHID: &str = "1900000109";
    pub const APPID: &str = "wx8888888888888888";
    pub const MERCHANT_SERIAL: &str = "TEST-ONLY-MERCHANT-SERIAL";
    pub const PLATFORM_SERIAL: &str = "PUB_KEY_ID_TEST_ONLY_SANDBOX";
    pub const MERCHANT_KEY: &str = include_str!("../keys/test-only-merchant-private.pem");
    pub const MERCHANT_PUBLIC: &str = include_str!("../keys/test-only-merchant-public.pem");
    pub const PLATFORM_KEY: &str = include_str!("../keys/test-only-platform-private.pem");
    pub const PLATFORM_PUBLIC: &str = include_str!("../keys/test-only-platform-public.pem");
}

impl Settings {
    pub fn resolve(o: Options) -> Result<Settings, String> {
        use sandbox_identity as sb;
        let mode = o.mode.unwrap_or_default();
        let read = |p: &Option<PathBuf>, what: &str| -> Result<Option<String>, String> {
            p.as_ref().map(|p| std::fs::read_to_string(p).map_err(|e| format!("cannot read {what} {}: {e}", p.display()))).transpose()
        };
        let merchant_key = read(&o.merchant_key_file, "merchant key")?;
        let platform_key = read(&o.platform_key_file, "platform key")?;
        let (merchant_key_pem, platform_key_pem, session_secret) = match mode {
            Mode::Sandbox => (
                merchant_key.unwrap_or_else(|| sb::MERCHANT_KEY.into()),
                platform_key.unwrap_or_else(|| sb::PLATFORM_PUBLIC.into()),
                o.session_secret.map(String::into_bytes).unwrap_or_else(random_secret),
            ),
            Mode::Live => {
                let need = |v: Option<String>, name: &str| v.ok_or_else(|| format!("live mode needs --{name}"));
                let merchant_key = need(merchant_key, "merchant-key-file")?;
                if merchant_key.trim() == sb::MERCHANT_KEY.trim() {
                    return Err("live mode refuses the sandbox's public test key".into());
                }
                let secret = need(o.session_secret.clone(), "session-secret")?;
                if secret.len() < 32 {
                    return Err("--session-secret must be at least 32 characters".into());
                }
                (merchant_key, need(platform_key, "platform-key-file")?, secret.into_bytes())
            }
        };
        let live_need = |v: Option<String>, name: &str, sandbox: &str| -> Result<String, String> {
            match (v, mode) {
                (Some(v), _) => Ok(v),
                (None, Mode::Sandbox) => Ok(sandbox.to_owned()),
                (None, Mode::Live) => Err(format!("live mode needs --{name}")),
            }
        };
        if mode == Mode::Live && o.app_secret.is_none() {
            return Err("live mode needs --app-secret for WeChat OAuth".into());
        }
        Ok(Settings {
            listen: o.listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8787))),
            mode,
            upstream: o.upstream.or_else(|| (mode == Mode::Live).then(|| "https://api.mch.weixin.qq.com".to_owned())),
            mchid: live_need(o.mchid, "mchid", sb::MCHID)?,
            appid: live_need(o.appid, "appid", sb::APPID)?,
            merchant_serial: live_need(o.merchant_serial, "merchant-serial", sb::MERCHANT_SERIAL)?,
            merchant_key_pem,
            platform_key_pem,
            platform_serial: live_need(o.platform_serial, "platform-serial", sb::PLATFORM_SERIAL)?,
            oauth_api: o.oauth_api.unwrap_or_else(|| "https://api.weixin.qq.com".into()).trim_end_matches('/').to_owned(),
            app_secret: o.app_secret,
            session_secret,
            allowed_origins: o.allowed_origins.unwrap_or_default().into_iter().map(|s| s.trim_end_matches('/').to_owned()).collect(),
            claimable_stocks: match o.claimable_stocks {
                Some(list) => list.iter().map(|s| claimable_stock(s)).collect(),
                None if mode == Mode::Sandbox => crate::sandbox::claimable_stocks(),
                None => Vec::new(),
            },
            partner_mchids: match o.partner_mchids {
                Some(list) => list.into_iter().map(|m| m.trim().to_owned()).filter(|m| !m.is_empty()).collect(),
                None if mode == Mode::Sandbox => crate::sandbox::PARTNER_MCHIDS.iter().map(|m| (*m).to_owned()).collect(),
                None => Vec::new(),
            },
            single_item_goods: match o.single_item_goods {
                Some(list) => list.iter().map(|e| single_item_goods(e)).collect::<Result<_, _>>()?,
                None if mode == Mode::Sandbox => crate::sandbox::SINGLE_ITEM_GOODS.iter().map(|(s, g)| ((*s).to_owned(), g.iter().map(|g| (*g).to_owned()).collect())).collect(),
                None => Default::default(),
            },
            claim_values: o.claim_values.unwrap_or_default().iter().map(|e| claim_value(e)).collect::<Result<_, _>>()?,
            static_dir: o.static_dir.unwrap_or_else(|| PathBuf::from("dist")),
            upstream_timeout: Duration::from_millis(o.upstream_timeout_ms.unwrap_or(3_000)),
            max_upstream_pages: 100,
            cache_ttl: Duration::from_secs(o.cache_ttl_secs.unwrap_or(30)),
            stale_ttl: Duration::from_secs(o.stale_ttl_secs.unwrap_or(600)),
            session_ttl: Duration::from_secs(o.session_ttl_secs.unwrap_or(7_200)),
            rate_limit_per_minute: o.rate_limit_per_minute.unwrap_or(120),
            secure_cookie: o.secure_cookie.unwrap_or(mode == Mode::Live),
        })
    }

    /// Sandbox defaults, for tests and the demo.
    pub fn sandbox() -> Settings {
        Settings::resolve(Options::default()).expect("sandbox defaults are complete")
    }
}

fn random_secret() -> Vec<u8> {
    use ring::rand::SecureRandom;
    let mut s = vec![0u8; 32];
    ring::rand::SystemRandom::new().fill(&mut s).expect("the OS random source is available");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_fills_what_flags_and_environment_leave_unset() {
        let path = std::env::temp_dir().join(format!("cw-config-{}.toml", std::process::id()));
        std::fs::write(&path, "listen = \"127.0.0.1:9999\"\nclaimable_stocks = [\"A\", \"B=满50减5\"]\ncache_ttl_secs = 5\n").unwrap();
        let flags = Options { config: Some(path.clone()), cache_ttl_secs: Some(7), ..Options::default() };
        let s = Settings::resolve(flags.with_file().unwrap()).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:9999");
        assert_eq!(s.claimable_stocks.iter().map(|c| c.stock_id.as_str()).collect::<Vec<_>>(), ["A", "B"]);
        assert_eq!(s.claimable_stocks[1].name, "满50减5");
        assert_eq!(s.cache_ttl, Duration::from_secs(7), "a flag wins over the file");
        std::fs::write(&path, "lisen = \"typo\"\n").unwrap();
        let err = Options { config: Some(path.clone()), ..Options::default() }.with_file().unwrap_err();
        assert!(err.contains("lisen"), "{err}");
        std::fs::remove_file(path).ok();
    }

    #[test]
    fn live_mode_demands_real_credentials() {
        let err = Settings::resolve(Options { mode: Some(Mode::Live), ..Options::default() }).unwrap_err();
        assert!(err.contains("merchant-key-file"), "{err}");
        let dir = std::env::temp_dir().join(format!("cw-live-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("key.pem");
        std::fs::write(&key, sandbox_identity::MERCHANT_KEY).unwrap();
        let o = Options {
            mode: Some(Mode::Live),
            merchant_key_file: Some(key),
            session_secret: Some("x".repeat(40)),
            ..Options::default()
        };
        let err = Settings::resolve(o).unwrap_err();
        assert!(err.contains("test key"), "{err}");
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = Settings::sandbox();
        let shown = format!("{s:?}");
        assert!(!shown.contains("PRIVATE KEY") && !shown.contains("session_secret"), "{shown}");
    }
}
