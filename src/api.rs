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

/// A stock the merchant offers to claim here.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ClaimableStock {
    pub stock_id: String,
    pub name: String,
}

#[derive(Deserialize)]
struct ClaimableList {
    stocks: Vec<ClaimableStock>,
}

pub async fn claimable(base: &str) -> Result<Vec<ClaimableStock>, ApiError> {
    Ok(get::<ClaimableList>(&format!("{base}/claimable")).await?.stocks)
}

/// What a successful claim returns: the new coupon's id, and the coupon when the proxy
/// could already read it back.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Claimed {
    pub coupon_id: String,
    pub coupon: Option<Coupon>,
}

#[derive(Deserialize)]
struct SessionInfo {
    csrf_token: String,
}

/// 领取. `client_key` names one intended claim: resending it never issues a second coupon.
pub async fn claim(base: &str, stock_id: &str, client_key: &str) -> Result<Claimed, ApiError> {
    let session: SessionInfo = get(&format!("{base}/session")).await?;
    let body = serde_json::json!({ "stock_id": stock_id, "client_key": client_key }).to_string();
    request(&format!("{base}/claims"), "POST", Some((&body, &session.csrf_token))).await
}

async fn get<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
    request(url, "GET", None).await
}

/// One call to the proxy; `body` is a JSON body with the session's CSRF token.
async fn request<T: DeserializeOwned>(url: &str, method: &str, body: Option<(&str, &str)>) -> Result<T, ApiError> {
    let network = || ApiError::local("NETWORK", "网络异常，请检查网络后重试");
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_credentials(web_sys::RequestCredentials::Include);
    if let Some((json, _)) = body {
        init.set_body(&wasm_bindgen::JsValue::from_str(json));
    }
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(|_| network())?;
    request.headers().set("Accept", "application/json").map_err(|_| network())?;
    if let Some((_, csrf)) = body {
        request.headers().set("Content-Type", "application/json").map_err(|_| network())?;
        request.headers().set("X-CSRF-Token", csrf).map_err(|_| network())?;
    }
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
