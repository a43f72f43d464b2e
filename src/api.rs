//! Calls to the merchant proxy's `/api/v1`, through gloo-net. Every request carries the
//! session cookie (`credentials: include` when the API is on another origin, see [`to_proxy`])
//! and a deadline; every body is read with the API types of `coupon_rules::api`, the same types the
//! proxy writes; every failure becomes an [`ApiError`] the view can show, never a panic.

pub use coupon_rules::api::ErrorCode;
use coupon_rules::api::{ClaimRequest, Claimable, ErrorBody, SessionInfo};
pub use coupon_rules::api::{
    ClaimableStock, Claimed, CouponDetail, CouponPage, MissingSource, WalletSource,
};
use coupon_rules::wallet::Tab;
use coupon_rules::Coupon;
use futures_util::future::{FutureExt, LocalBoxFuture, Shared};
use gloo_net::http::{Request, RequestBuilder};
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// How long a request may take before it is abandoned and reported as a timeout, unless
/// [`set_timeout_ms`] says otherwise.
pub const TIMEOUT_MS: i32 = 15_000;

thread_local! {
    static TIMEOUT: std::cell::Cell<i32> = const { std::cell::Cell::new(TIMEOUT_MS) };
}

/// Sets the deadline of every later request (milliseconds, at least 1).
pub fn set_timeout_ms(ms: i32) {
    TIMEOUT.with(|t| t.set(ms.max(1)));
}

/// What went wrong talking to the proxy.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The proxy's stable code (`UNAUTHENTICATED`, `UPSTREAM_TIMEOUT` …), or the widget's own
    /// `NETWORK`, `TIMEOUT` or `BAD_RESPONSE`.
    pub code: ErrorCode,
    /// A message the user can read.
    pub message: String,
    /// Whether 重试 is offered.
    pub retryable: bool,
    /// Where to log in, with `UNAUTHENTICATED`.
    pub login_url: Option<String>,
    /// WeChat Pay's own code, when it refused.
    pub upstream_code: Option<String>,
}

impl ApiError {
    fn local(code: ErrorCode, message: &str) -> Self {
        ApiError {
            code,
            message: message.into(),
            retryable: true,
            login_url: None,
            upstream_code: None,
        }
    }

    /// What the user reads, in the widget's language: the rules engine's wording of the code,
    /// or the proxy's own message for a code it does not know.
    pub fn text(&self, lang: coupon_rules::Lang) -> String {
        coupon_rules::text::error_message(self.code, self.upstream_code.as_deref(), lang)
            .map_or_else(|| self.message.clone(), str::to_owned)
    }

    fn network() -> Self {
        ApiError::local(ErrorCode::Network, "网络异常，请检查网络后重试")
    }
}

impl From<ErrorBody> for ApiError {
    fn from(body: ErrorBody) -> Self {
        let e = body.error;
        ApiError {
            code: e.code,
            message: e.message,
            retryable: e.retryable,
            login_url: e.login_url,
            upstream_code: e.upstream_code,
        }
    }
}

/// How many coupons a page holds, in the wallet and in the picker alike: a page that shows both
/// views makes one request for their first page (see [`coupons_url`]).
pub const PAGE_SIZE: usize = 50;

/// Pages of the 可用 tab the picker asks for at once, after the first (which says how many
/// there are): 1,000 coupons load in about a fifth of the round trips one after another take.
const PAGES_AT_ONCE: usize = 4;

/// Every usable coupon (all pages of the 可用 tab), for the checkout picker to rank.
pub async fn all_available(base: &str) -> Result<Vec<Coupon>, ApiError> {
    use futures_util::stream::{self, StreamExt, TryStreamExt};
    let first = list_coupons(base, Tab::Available, 0, PAGE_SIZE).await?;
    let (total, mut all) = (first.total, first.coupons);
    if all.is_empty() || all.len() >= total {
        return Ok(all);
    }
    // The rest after the views have drawn what the first page gave them (the wallet's first
    // cards need none of it).
    next_task().await;
    let offsets = (all.len()..total).step_by(PAGE_SIZE);
    let pages: Vec<CouponPage> = stream::iter(offsets)
        .map(|offset| list_coupons(base, Tab::Available, offset, PAGE_SIZE))
        .buffered(PAGES_AT_ONCE)
        .try_collect()
        .await?;
    // In order, and never more than the first page said (a list that grew since is read on
    // the next load).
    for page in pages {
        all.extend(page.coupons);
    }
    all.truncate(total);
    Ok(all)
}

/// Resolves in a later task of the event loop (after what the current one set in motion,
/// rendering included).
async fn next_task() {
    let later = js_sys::Promise::new(&mut |resolve, _| {
        let scheduled = web_sys::window().and_then(|w| w.set_timeout_with_callback(&resolve).ok());
        if scheduled.is_none() {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(later).await;
}

/// The URL of a page of coupons. The first request every widget makes is
/// `coupons_url(base, Tab::Available, 0, PAGE_SIZE)`, i.e.
/// `{base}/coupons?tab=available&offset=0&limit=50`: the loader starts exactly that request
/// while the wasm downloads and hands it over ([`offer_early`]).
pub fn coupons_url(base: &str, tab: Tab, offset: usize, limit: usize) -> String {
    format!("{base}/coupons?tab={}&offset={offset}&limit={limit}", tab.as_str())
}

pub async fn list_coupons(
    base: &str,
    tab: Tab,
    offset: usize,
    limit: usize,
) -> Result<CouponPage, ApiError> {
    // gloo-net writes the query (a URL that already has one would gain a stray `&`); the
    // result is `coupons_url`, the key two views share the request under.
    let request = move || {
        to_proxy(Request::get, &format!("{base}/coupons")).query([
            ("tab", tab.as_str()),
            ("offset", &offset.to_string()),
            ("limit", &limit.to_string()),
        ])
    };
    read(shared_get(coupons_url(base, tab, offset, limit), request).await?)
}

/// An answer several views may wait for.
type SharedAnswer = Shared<LocalBoxFuture<'static, Result<String, ApiError>>>;

thread_local! {
    /// GETs under way, by URL: a second view asking for the same page while the first request
    /// is still out joins it instead of sending another (the wallet and the picker on one page).
    static IN_FLIGHT: std::cell::RefCell<std::collections::HashMap<String, SharedAnswer>> = Default::default();
    /// Answers the page's loader started before the wasm arrived, by URL (see [`offer_early`]);
    /// each is taken once.
    static EARLY: std::cell::RefCell<std::collections::HashMap<String, js_sys::Promise>> = Default::default();
    /// The URLs whose early answer may have been the browser's own copy (see [`maybe_stale`]).
    static MAYBE_STALE: std::cell::RefCell<std::collections::HashSet<String>> = Default::default();
}

/// Whether the loader's answer for `url` may have come from the browser's cache rather than the
/// proxy: on a repeat visit the proxy lets the browser show its copy of the loader's answers
/// at once (`stale-while-revalidate`, proxy/src/api/mod.rs), and the view that drew one asks
/// again at once, past the cache (every request of the widget's own is `no-cache`). Told by the
/// answer's resource timing: nothing transferred (or no timing to read) is taken as cached, which
/// at worst asks once more.
pub fn maybe_stale(url: &str) -> bool {
    MAYBE_STALE.with(|m| m.borrow().contains(url))
}

/// Whether the browser's resource timing of `url` says nothing came over the network.
fn nothing_transferred(url: &str) -> bool {
    let Some(performance) = web_sys::window().and_then(|w| w.performance()) else { return true };
    let last = performance.get_entries_by_name_with_entry_type(url, "resource").pop();
    let transferred = js_sys::Reflect::get(&last, &"transferSize".into()).ok();
    transferred.and_then(|t| t.as_f64()).is_none_or(|bytes| bytes == 0.0)
}

/// The property of a host element through which the loader (`scripts/post-build.py`) hands
/// the widget its first request, started while the wasm downloads:
/// `{ url: coupons_url(…), response: Promise<Response> }`.
pub const EARLY_PROPERTY: &str = "couponWidgetFirstPage";

/// The same for a wallet's 领取 stocks (`{base}/claimable`).
pub const EARLY_CLAIMABLE_PROPERTY: &str = "couponWidgetClaimable";

/// Takes note of what the loader left on a host element (anything else is ignored): the
/// widget's first request of each URL takes the answer instead of asking again.
pub fn offer_early(host: &web_sys::Element) {
    for property in [EARLY_PROPERTY, EARLY_CLAIMABLE_PROPERTY] {
        let Ok(offer) = js_sys::Reflect::get(host, &property.into()) else { continue };
        let url = js_sys::Reflect::get(&offer, &"url".into()).ok().and_then(|u| u.as_string());
        let response = js_sys::Reflect::get(&offer, &"response".into())
            .ok()
            .and_then(|r| r.dyn_into::<js_sys::Promise>().ok());
        if let (Some(url), Some(response)) = (url, response) {
            EARLY.with(|e| {
                e.borrow_mut().entry(url).or_insert(response);
            });
        }
    }
}

/// The body of the GET that `request` makes (its URL is `url`), shared with any GET of that URL
/// under way, or the loader's early answer for it. Finished answers are not kept: a later
/// request (a refresh, a reload after a claim) always goes to the proxy.
async fn shared_get(
    url: String,
    request: impl FnOnce() -> RequestBuilder,
) -> Result<String, ApiError> {
    let answer = IN_FLIGHT.with(|m| {
        m.borrow_mut()
            .entry(url.clone())
            .or_insert_with(|| {
                let request = request();
                let early = EARLY.with(|e| e.borrow_mut().remove(&url));
                async move {
                    let answer = match early {
                        Some(early) => match early_text(&url, early).await {
                            Some(answer) => answer,
                            // The early request failed to reach the proxy: ask once more.
                            None => answer_text(request, None).await,
                        },
                        None => answer_text(request, None).await,
                    };
                    IN_FLIGHT.with(|m| m.borrow_mut().remove(&url));
                    answer
                }
                .boxed_local()
                .shared()
            })
            .clone()
    });
    answer.await
}

/// The loader's answer for `url`, as [`answer_text`] reads one; `None` when it never arrived.
async fn early_text(url: &str, response: js_sys::Promise) -> Option<Result<String, ApiError>> {
    let raw: web_sys::Response =
        wasm_bindgen_futures::JsFuture::from(response).await.ok()?.dyn_into().ok()?;
    let response = gloo_net::http::Response::from(raw);
    let text = response.text().await.ok()?;
    if response.ok() && nothing_transferred(&response.url()) {
        MAYBE_STALE.with(|m| m.borrow_mut().insert(url.to_owned()));
    }
    Some(outcome(response.ok(), text))
}

/// One coupon read fresh (a 商家券 through WeChat's detail API), e.g. as its sheet opens.
pub async fn coupon_detail(base: &str, coupon: &Coupon) -> Result<CouponDetail, ApiError> {
    send(to_proxy(Request::get, &coupon_url(base, coupon)), None).await
}

/// `{base}/coupons/{source}/{id}`: the coupon's own address at the proxy.
fn coupon_url(base: &str, coupon: &Coupon) -> String {
    let id = js_sys::encode_uri_component(&coupon.id).as_string().unwrap_or_default();
    format!("{base}/coupons/{}/{id}", coupon.source.as_str())
}

/// The coupon's event stream, pushed by the proxy when its wallet changes (see
/// `proxy/src/api/pushes.rs`); the session cookie goes along as with [`to_proxy`].
pub fn coupon_events(base: &str, coupon: &Coupon) -> Option<web_sys::EventSource> {
    let url = format!("{}/events", coupon_url(base, coupon));
    let init = web_sys::EventSourceInit::new();
    init.set_with_credentials(!on_page_origin(&url));
    web_sys::EventSource::new_with_event_source_init_dict(&url, &init).ok()
}

/// One pushed event's data: the coupon as the proxy read it (`None`: not one).
pub fn pushed_detail(data: &str) -> Option<CouponDetail> {
    serde_json::from_str(data).ok()
}

pub async fn claimable(base: &str) -> Result<Vec<ClaimableStock>, ApiError> {
    let url = format!("{base}/claimable");
    let request = || to_proxy(Request::get, &url);
    Ok(read::<Claimable>(shared_get(url.clone(), request).await?)?.stocks)
}

/// 领取. `client_key` names one intended claim: resending it never issues a second coupon.
pub async fn claim(base: &str, stock_id: &str, client_key: &str) -> Result<Claimed, ApiError> {
    let session: SessionInfo =
        send(to_proxy(Request::get, &format!("{base}/session")), None).await?;
    let body = ClaimRequest { stock_id: stock_id.to_owned(), client_key: client_key.to_owned() };
    let body = serde_json::to_string(&body)
        .map_err(|_| ApiError::local(ErrorCode::BadRequest, "请求无法发送，请稍后重试"))?;
    let request = to_proxy(Request::post, &format!("{base}/claims"))
        .header("Content-Type", "application/json")
        .header("X-CSRF-Token", &session.csrf_token);
    send(request, Some(body)).await
}

/// The login link of an `UNAUTHENTICATED` answer: the proxy's login address resolved against
/// the API's (which need not be the page's origin), told to come back to this page, by path
/// when the API is on the page's origin and by whole address when it is not.
pub fn login_link(base: &str, login_url: &str) -> Option<String> {
    let location = web_sys::window()?.location();
    let api = web_sys::Url::new_with_base(base, &location.href().ok()?).ok()?;
    let link = web_sys::Url::new_with_base(login_url, &api.href()).ok()?;
    let page = format!("{}{}", location.pathname().ok()?, location.search().ok()?);
    let back = if link.origin() == location.origin().ok()? {
        page
    } else {
        format!("{}{page}", location.origin().ok()?)
    };
    Some(format!("{}?redirect={}", link.href(), js_sys::encode_uri_component(&back)))
}

/// A request to the proxy with the session cookie: `credentials: include` when the API is on
/// another origin (a CDN-hosted page calling the merchant's API), the browser's default
/// `same-origin` when it is on the page's own (the same cookie, and no credentialed CORS).
/// Never answered from the browser's cache: only the loader's requests may be ([`maybe_stale`]).
fn to_proxy(method: fn(&str) -> RequestBuilder, url: &str) -> RequestBuilder {
    let credentials = if on_page_origin(url) {
        web_sys::RequestCredentials::SameOrigin
    } else {
        web_sys::RequestCredentials::Include
    };
    method(url).credentials(credentials).cache(web_sys::RequestCache::NoCache)
}

fn on_page_origin(url: &str) -> bool {
    if url.starts_with('/') {
        return !url.starts_with("//");
    }
    let origin = web_sys::window().and_then(|w| w.location().origin().ok());
    origin.is_some_and(|o| url.strip_prefix(o.as_str()).is_some_and(|rest| rest.starts_with('/')))
}

/// Aborts a request when its deadline passes. Dropping the timer (the answer came) clears it
/// and frees its callback.
fn deadline(controller: &web_sys::AbortController) -> gloo_timers::callback::Timeout {
    let controller = controller.clone();
    let ms = TIMEOUT.with(|t| t.get()).unsigned_abs();
    gloo_timers::callback::Timeout::new(ms, move || controller.abort())
}

/// One call to the proxy; `body` is a JSON body (a POST's). The request itself is not
/// generic, so its code exists once whatever `T` is read.
async fn send<T: DeserializeOwned>(
    request: RequestBuilder,
    body: Option<String>,
) -> Result<T, ApiError> {
    read(answer_text(request, body).await?)
}

/// A successful answer's body as `T`.
fn read<T: DeserializeOwned>(text: String) -> Result<T, ApiError> {
    serde_json::from_str(&text).map_err(|e| {
        web_sys::console::warn_1(
            &format!("coupon widget: unreadable answer from the proxy: {e}").into(),
        );
        ApiError::local(ErrorCode::BadResponse, "数据异常，请稍后重试")
    })
}

/// The body of a successful answer; any failure as the widget's error.
async fn answer_text(request: RequestBuilder, body: Option<String>) -> Result<String, ApiError> {
    let controller = web_sys::AbortController::new().map_err(|_| ApiError::network())?;
    let signal = controller.signal();
    let request = request.abort_signal(Some(&signal));
    let request = match body {
        Some(json) => request.body(json),
        None => request.build(),
    }
    .map_err(|_| ApiError::network())?;
    let deadline = deadline(&controller);
    let answer = async {
        let response = request.send().await?;
        let text = response.text().await?;
        Ok::<_, gloo_net::Error>((response.ok(), text))
    }
    .await;
    drop(deadline);
    let (ok, text) = answer.map_err(|_| {
        if signal.aborted() {
            ApiError::local(ErrorCode::Timeout, "请求超时，请稍后重试")
        } else {
            ApiError::network()
        }
    })?;
    outcome(ok, text)
}

/// A whole answer: its body when it succeeded, else the proxy's error (or ours).
fn outcome(ok: bool, text: String) -> Result<String, ApiError> {
    if ok {
        Ok(text)
    } else {
        Err(serde_json::from_str::<ErrorBody>(&text).map_or_else(
            |_| ApiError::local(ErrorCode::BadResponse, "服务暂时不可用，请稍后重试"),
            ApiError::from,
        ))
    }
}
