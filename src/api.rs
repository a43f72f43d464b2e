//! Calls to the merchant proxy's `/api/v1`. Always with the session cookie; every failure
//! becomes an [`ApiError`] the view can show, never a panic.

use coupon_rules::model_json::{self, from_text};
use coupon_rules::wallet::{Tab, TabCounts};
use coupon_rules::wire::json::Obj;
use coupon_rules::{Coupon, Error};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// One page of the 我的代金券 list, as the proxy serves it.
#[derive(Debug, Clone, PartialEq)]
pub struct CouponPage {
    pub coupons: Vec<Coupon>,
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub counts: TabCounts,
    /// Served from the proxy's cache because upstream failed.
    pub stale: bool,
}

/// Reads the proxy's JSON (see `proxy/openapi.yaml`) with the rules engine's reader.
trait Read: Sized {
    fn read(o: &Obj) -> Result<Self, Error>;
}

impl Read for CouponPage {
    fn read(o: &Obj) -> Result<Self, Error> {
        Ok(CouponPage {
            coupons: model_json::coupons_of(o, "coupons")?,
            total: o.req_small("total")?,
            offset: o.req_small("offset")?,
            limit: o.req_small("limit")?,
            counts: model_json::tab_counts(&o.req_obj("counts")?)?,
            stale: o.opt_bool("stale")?.unwrap_or(false),
        })
    }
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

/// `{"error": {"code", "message", "retryable", "login_url"}}`, as every failure comes.
impl Read for ApiError {
    fn read(o: &Obj) -> Result<Self, Error> {
        let e = o.req_obj("error")?;
        Ok(ApiError {
            code: e.exact_str("code")?,
            message: e.exact_str("message")?,
            retryable: e.opt_bool("retryable")?.unwrap_or(false),
            login_url: e.exact_opt_str("login_url")?,
        })
    }
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
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimableStock {
    pub stock_id: String,
    pub name: String,
}

/// `{"stocks": [{"stock_id", "name"}]}`.
impl Read for Vec<ClaimableStock> {
    fn read(o: &Obj) -> Result<Self, Error> {
        o.req_array("stocks")?
            .iter()
            .map(|s| {
                let s = s.obj()?;
                Ok(ClaimableStock { stock_id: s.exact_str("stock_id")?, name: s.exact_str("name")? })
            })
            .collect()
    }
}

pub async fn claimable(base: &str) -> Result<Vec<ClaimableStock>, ApiError> {
    get(&format!("{base}/claimable")).await
}

/// What a successful claim returns: the new coupon's id, and the coupon when the proxy
/// could already read it back.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub coupon_id: String,
    pub coupon: Option<Coupon>,
}

impl Read for Claimed {
    fn read(o: &Obj) -> Result<Self, Error> {
        Ok(Claimed { coupon_id: o.exact_str("coupon_id")?, coupon: o.opt_obj("coupon")?.map(|c| model_json::coupon(&c)).transpose()? })
    }
}

struct SessionInfo {
    csrf_token: String,
}

impl Read for SessionInfo {
    fn read(o: &Obj) -> Result<Self, Error> {
        Ok(SessionInfo { csrf_token: o.exact_str("csrf_token")? })
    }
}

/// 领取. `client_key` names one intended claim: resending it never issues a second coupon.
pub async fn claim(base: &str, stock_id: &str, client_key: &str) -> Result<Claimed, ApiError> {
    let session: SessionInfo = get(&format!("{base}/session")).await?;
    let body = coupon_rules::json::Value::object([("stock_id", stock_id.into()), ("client_key", client_key.into())]).to_string();
    request(&format!("{base}/claims"), "POST", Some((&body, &session.csrf_token))).await
}

async fn get<T: Read>(url: &str) -> Result<T, ApiError> {
    request(url, "GET", None).await
}

/// One call to the proxy; `body` is a JSON body with the session's CSRF token.
async fn request<T: Read>(url: &str, method: &str, body: Option<(&str, &str)>) -> Result<T, ApiError> {
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
        from_text(text.as_bytes(), T::read).map_err(|_| ApiError::local("BAD_RESPONSE", "数据异常，请稍后重试"))
    } else {
        Err(from_text(text.as_bytes(), ApiError::read).unwrap_or_else(|_| ApiError::local("BAD_RESPONSE", "服务暂时不可用，请稍后重试")))
    }
}
