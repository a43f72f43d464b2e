//! Calls to the merchant proxy's `/api/v1`. Always with the session cookie; every failure
//! becomes an [`ApiError`] the view can show, never a panic.

use coupon_rules::wallet::{Tab, TabCounts};
use coupon_rules::Coupon;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// One page of the 我的代金券 list, as the proxy serves it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CouponPage {
    pub coupons: Vec<Coupon>,
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub counts: TabCounts,
    /// Served from the proxy's cache because upstream failed.
    #[serde(default)]
    pub stale: bool,
}

/// What went wrong talking to the proxy.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The proxy's stable code (`UNAUTHENTICATED`, `UPSTREAM_TIMEOUT` …) or `NETWORK`/`BAD_RESPONSE`.
    pub code: String,
    /// A message the user can read.
    pub message: String,
    pub retryable: bool,
    /// Where to log in, with `UNAUTHENTICATED`.
    pub login_url: Option<String>,
}

impl ApiError {
    fn local(code: &str, message: &str) -> Self {
        ApiError { code: code.into(), message: message.into(), retryable: true, login_url: None }
    }
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    message: String,
    #[serde(default)]
    retryable: bool,
    #[serde(default)]
    login_url: Option<String>,
}

/// Every usable coupon (all pages of the 可用 tab), for the checkout picker to rank.
pub async fn all_available(base: &str) -> Result<Vec<Coupon>, ApiError> {
    const PAGE: usize = 50;
    let mut all = Vec::new();
    loop {
        let page = list_coupons(base, Tab::Available, all.len(), PAGE).await?;
        let got = page.coupons.len();
        all.extend(page.coupons);
        if got == 0 || all.len() >= page.total {
            return Ok(all);
        }
    }
}

pub async fn list_coupons(base: &str, tab: Tab, offset: usize, limit: usize) -> Result<CouponPage, ApiError> {
    get(&format!("{base}/coupons?tab={}&offset={offset}&limit={limit}", tab.as_str())).await
}

async fn get<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
    let network = || ApiError::local("NETWORK", "网络异常，请检查网络后重试");
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_credentials(web_sys::RequestCredentials::Include);
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(|_| network())?;
    request.headers().set("Accept", "application/json").map_err(|_| network())?;
    let window = web_sys::window().ok_or_else(network)?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request)).await.map_err(|_| network())?.dyn_into().map_err(|_| network())?;
    let text = JsFuture::from(response.text().map_err(|_| network())?).await.map_err(|_| network())?.as_string().unwrap_or_default();
    if response.ok() {
        serde_json::from_str(&text).map_err(|_| ApiError::local("BAD_RESPONSE", "数据异常，请稍后重试"))
    } else {
        match serde_json::from_str::<ErrorEnvelope>(&text) {
            Ok(e) => Err(ApiError { code: e.error.code, message: e.error.message, retryable: e.error.retryable, login_url: e.error.login_url }),
            Err(_) => Err(ApiError::local("BAD_RESPONSE", "服务暂时不可用，请稍后重试")),
        }
    }
}
