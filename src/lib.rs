//! The 我的代金券 widget: Leptos views of a user's coupons, compiled to wasm and mounted into
//! any H5 page. It is a thin shell: every rule comes from `coupon-rules`, every byte of data
//! from the merchant proxy's `/api/v1`.
//!
//! Three ways in, one bundle:
//! - custom elements: `<coupon-wallet api-base="/api/v1">` and `<coupon-picker
//!   order-total="12800">`, registered by [`start`] (`src/elements.js`), mounted while in the
//!   document; a change of `order-total` / `order-items` re-ranks the picker, any other
//!   setting remounts it;
//! - declaratively: `<div data-coupon-widget="wallet|picker" data-api-base="/api/v1"
//!   data-lang="zh-CN" data-order-total="12800"></div>` is mounted by [`start`] when the module
//!   loads, and changes to `data-order-total` / `data-order-items` update the picker;
//! - from JavaScript: the module's [`mount`] export returns a [`WidgetHandle`].
//!
//! The widget reports to the page with DOM events bubbling to its element: `cw:use`,
//! `cw:select`, `cw:entrance`, `cw:claim`, `cw:error`. It defines no globals.

// The HTML drawing (`ssr`) nests the views' types deeper than the compiler's default allows.
#![recursion_limit = "256"]

pub mod api;
pub mod codes;
pub mod components;
pub mod events;
pub mod host;
pub mod i18n;

use coupon_rules::{BeijingTime, Lang, Order, OrderItem};
use host::Scheme;
use leptos::prelude::*;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Which view a mounted widget shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum View {
    /// 我的代金券.
    #[default]
    Wallet,
    /// The checkout picker.
    Picker,
}

/// How one mounted widget is set up.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub view: View,
    /// Base URL of the proxy's API, e.g. `/api/v1` or `https://shop.example/api/v1`.
    pub api_base: String,
    pub lang: Lang,
    /// Link for MINI_PROGRAMS coupons outside a mini-program, with `{appid}` and `{path}`
    /// (e.g. a merchant's URL-scheme link); only `weixin://` and `https://` links are used.
    pub mini_program_link: Option<String>,
    /// The appid of the mini-program whose web-view hosts the page, if any: coupons for that
    /// mini-program open with `wx.miniProgram.navigateTo`, others through `mini_program_link`.
    pub mini_program_appid: Option<String>,
    /// The picker's order.
    pub order: Order,
    /// Light, dark, or the page's `prefers-color-scheme`.
    pub scheme: Scheme,
    /// CSS custom properties (`--cw-…` only) set on the host element.
    pub variables: Vec<(String, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            view: View::Wallet,
            api_base: "/api/v1".into(),
            lang: Lang::ZhCn,
            mini_program_link: None,
            mini_program_appid: None,
            order: Order::default(),
            scheme: Scheme::Auto,
            variables: Vec::new(),
        }
    }
}

impl Options {
    /// Reads the view, `api-base`, `lang`, `mini-program-link`, `mini-program-appid`,
    /// `theme`, `order-total` and `order-items` from the host element (see [`host::setting`]).
    pub fn from_element(el: &web_sys::Element) -> Options {
        let mut o = Options::default();
        let tag = el.tag_name().to_ascii_lowercase();
        if tag == host::PICKER_TAG
            || (!host::is_custom_element(el)
                && el.get_attribute("data-coupon-widget").as_deref() == Some("picker"))
        {
            o.view = View::Picker;
        }
        if let Some(base) = host::setting(el, "api-base").filter(|b| !b.trim().is_empty()) {
            o.api_base = base.trim().trim_end_matches('/').to_owned();
        }
        if let Some(lang) = host::setting(el, "lang") {
            o.lang = Lang::from_tag(&lang);
        }
        o.mini_program_link =
            host::setting(el, "mini-program-link").filter(|l| !l.trim().is_empty());
        o.mini_program_appid = host::setting(el, "mini-program-appid")
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty());
        o.scheme = Scheme::from_attribute(host::setting(el, "theme").as_deref());
        o.order = order_from_element(el);
        o
    }

    /// The options as JavaScript passes them to [`mount`] (see [`JsOptions`]).
    fn from_js(value: &JsValue) -> Result<Options, String> {
        let text = if value.is_undefined() || value.is_null() {
            "{}".to_owned()
        } else {
            js_sys::JSON::stringify(value)
                .map_err(|_| "options are not JSON-serialisable".to_owned())?
                .as_string()
                .unwrap_or_default()
        };
        let js: JsOptions =
            serde_json::from_str(&text).map_err(|e| format!("invalid options: {e}"))?;
        let defaults = Options::default();
        let (scheme, legacy_variables) = match js.theme {
            Some(JsTheme::Scheme(scheme)) => (scheme, None),
            Some(JsTheme::Variables(variables)) => (Scheme::Auto, Some(variables)),
            None => (Scheme::Auto, None),
        };
        Ok(Options {
            view: js.view.unwrap_or_default(),
            api_base: js
                .api_base
                .map(|b| b.trim_end_matches('/').to_owned())
                .unwrap_or(defaults.api_base),
            lang: js.locale.as_deref().map_or(Lang::ZhCn, Lang::from_tag),
            mini_program_link: js.mini_program_link,
            mini_program_appid: js.mini_program_appid,
            order: js.order.unwrap_or_default(),
            scheme,
            variables: js.variables.or(legacy_variables).unwrap_or_default().into_iter().collect(),
        })
    }
}

/// What JavaScript passes to [`mount`]: `{ view: "wallet" | "picker", apiBase, locale,
/// miniProgramLink, miniProgramAppid, order: { total, items: [{ unitPrice, quantity }] },
/// theme: "auto" | "light" | "dark", variables: { "--cw-…": "…" } }`, all optional; anything
/// else is refused with the member named.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct JsOptions {
    view: Option<View>,
    api_base: Option<String>,
    locale: Option<String>,
    mini_program_link: Option<String>,
    mini_program_appid: Option<String>,
    order: Option<Order>,
    theme: Option<JsTheme>,
    variables: Option<std::collections::HashMap<String, String>>,
}

/// `theme`: a colour scheme, or (as before `variables` existed) the custom properties.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum JsTheme {
    Scheme(Scheme),
    Variables(std::collections::HashMap<String, String>),
}

/// `data-order-total` (fen) and `data-order-items` (JSON array of `{unit_price, quantity}`).
fn order_from_element(el: &web_sys::Element) -> Order {
    let total = host::setting(el, "order-total")
        .and_then(|t| t.trim().parse::<i64>().ok())
        .filter(|t| *t >= 0)
        .unwrap_or(0);
    let items = host::setting(el, "order-items")
        .and_then(|i| serde_json::from_str::<Vec<OrderItem>>(&i).ok())
        .unwrap_or_default();
    Order { total: coupon_rules::Fen(total), items }
}

/// The current instant, from the browser's clock.
pub fn now() -> BeijingTime {
    BeijingTime::from_unix_millis(chrono::Utc::now().timestamp_millis())
}

/// The wallet's first screen as HTML: what the widget draws once the available tab's first
/// page and the 领取 stocks have answered, for a screen `screen_px` tall (without it, as tall
/// as the widget assumes a screen it cannot measure). The proxy sends it to the loader
/// (`scripts/loader.js`), which shows it until the widget has drawn the same.
pub fn first_screen_html(
    options: Options,
    page: api::CouponPage,
    stocks: Vec<api::ClaimableStock>,
    screen_px: Option<f64>,
) -> String {
    // Everything the drawing made is dropped with its owner, here.
    Owner::new().with(|| {
        if let Some(px) = screen_px {
            provide_context(components::windowed::ScreenHeight(px));
        }
        components::wallet::answered_wallet(options, page, stocks).into_view().to_html()
    })
}

/// A mounted widget: what its host can still change, and how to take it away.
struct Mounted {
    order: RwSignal<Order>,
    refreshes: RwSignal<u32>,
    unmount: leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>,
    host: web_sys::HtmlElement,
    variables: Vec<String>,
    scheme: Option<host::SchemeWatch>,
    /// The host's order attributes, followed (elements mounted from their attributes only).
    follows: Option<OrderFollower>,
}

fn mount_into(el: web_sys::HtmlElement, options: Options) -> Mounted {
    el.class_list().add_1("cw-root").ok();
    // Variables through the CSSOM: allowed under a CSP without 'unsafe-inline' styles.
    let mut variables = Vec::new();
    for (name, value) in &options.variables {
        if name.starts_with("--cw-") && el.style().set_property(name, value).is_ok() {
            variables.push(name.clone());
        }
    }
    let scheme = host::apply_scheme(&el, options.scheme);
    let order = RwSignal::new(options.order.clone());
    let refreshes = RwSignal::new(0u32);
    let view = options.view;
    if view == View::Picker {
        PICKERS.with(|p| p.borrow_mut().push(refreshes));
    }
    let unmount = leptos::mount::mount_to(el.clone(), move || match view {
        View::Wallet => {
            view! { <components::wallet::Wallet options=options refreshes=refreshes/> }.into_any()
        }
        View::Picker => {
            view! { <components::picker::Picker options=options order=order refreshes=refreshes/> }
                .into_any()
        }
    });
    Mounted { order, refreshes, unmount, host: el, variables, scheme, follows: None }
}

/// Mounts a widget on a host from its attributes, taking what the loader left on it.
fn mount_from_attributes(el: web_sys::HtmlElement) -> Mounted {
    api::offer_early(&el);
    codes::offer(&el);
    let mut mounted = mount_into(el.clone(), Options::from_element(&el));
    mounted.follows = follow_order_attributes(&el, mounted.order);
    mounted
}

impl Mounted {
    fn remove(self) {
        drop(self.unmount);
        drop(self.follows);
        drop(self.scheme);
        host::clear_scheme(&self.host);
        for name in &self.variables {
            let _ = self.host.style().remove_property(name);
        }
        self.host.class_list().remove_1("cw-root").ok();
        components::dom::remove_prerendered(&self.host);
        self.order.dispose();
        self.refreshes.dispose();
    }
}

thread_local! {
    /// Widgets mounted from JavaScript, by handle: a widget stays until `unmount`, whether or
    /// not the page keeps its handle (a handle the page drops is collected by the JS engine,
    /// and must not take a widget on screen with it).
    static MOUNTED: std::cell::RefCell<std::collections::HashMap<u32, Mounted>> = Default::default();
    static NEXT_HANDLE: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    /// Every picker on the page, by its reload signal (see [`reload_pickers`]).
    static PICKERS: std::cell::RefCell<Vec<RwSignal<u32>>> = Default::default();
}

/// Has every picker on the page load its coupons again: a wallet's use sheet saw its coupon
/// used, and no picker may go on offering it. Pickers since unmounted are forgotten.
pub fn reload_pickers() {
    // Copied out first: no borrow is held while the signals notify.
    let pickers = PICKERS.with(|p| p.borrow().clone());
    let alive: Vec<_> =
        pickers.into_iter().filter(|r| r.try_update(|n| *n += 1).is_some()).collect();
    PICKERS.with(|p| *p.borrow_mut() = alive);
}

/// What [`mount`] returns to JavaScript.
#[wasm_bindgen]
pub struct WidgetHandle {
    id: u32,
}

impl WidgetHandle {
    /// The widget's signals (copied out, so that no borrow is held while they notify).
    fn signals(&self) -> Option<(RwSignal<Order>, RwSignal<u32>)> {
        MOUNTED.with(|m| m.borrow().get(&self.id).map(|m| (m.order, m.refreshes)))
    }
}

#[wasm_bindgen]
impl WidgetHandle {
    /// Updates the picker's order (`{ total, items: [{ unit_price, quantity }] }`, fen); the
    /// ranking follows at once.
    #[wasm_bindgen(js_name = setOrder)]
    pub fn set_order(&self, order: JsValue) -> Result<(), JsError> {
        let text = js_sys::JSON::stringify(&order)
            .map_err(|_| JsError::new("order is not JSON-serialisable"))?
            .as_string()
            .unwrap_or_default();
        let order: Order = serde_json::from_str(&text)
            .map_err(|e| JsError::new(&format!("invalid order: {e}")))?;
        if order.total.0 < 0 {
            return Err(JsError::new("invalid order: total must not be negative"));
        }
        if let Some((signal, _)) = self.signals() {
            signal.set(order);
        }
        Ok(())
    }

    /// Reloads the coupons from the proxy.
    pub fn refresh(&self) {
        if let Some((_, refreshes)) = self.signals() {
            refreshes.update(|n| *n += 1);
        }
    }

    /// Removes every node the widget added and stops all its work. Safe to call twice.
    pub fn unmount(&mut self) {
        if let Some(m) = MOUNTED.with(|m| m.borrow_mut().remove(&self.id)) {
            m.remove();
        }
    }
}

/// Mounts a widget on `el`. `options`: `{ view: "wallet" | "picker", apiBase, locale, order,
/// theme: "auto" | "light" | "dark", variables: { "--cw-accent": "#e02e24" },
/// miniProgramLink, miniProgramAppid }`, all optional.
#[wasm_bindgen]
pub fn mount(el: web_sys::HtmlElement, options: JsValue) -> Result<WidgetHandle, JsError> {
    let options = Options::from_js(&options).map_err(|e| JsError::new(&e))?;
    codes::offer(&el);
    Ok(keep(mount_into(el, options)))
}

/// Keeps a mounted widget until its handle's `unmount`.
fn keep(mounted: Mounted) -> WidgetHandle {
    let id = NEXT_HANDLE.with(|n| {
        n.set(n.get() + 1);
        n.get()
    });
    MOUNTED.with(|m| m.borrow_mut().insert(id, mounted));
    WidgetHandle { id }
}

#[wasm_bindgen(module = "/src/elements.js")]
extern "C" {
    /// Registers `<coupon-wallet>` and `<coupon-picker>` (once per page), mounting each with
    /// `connect` while it is in the document.
    #[wasm_bindgen(js_name = defineElements)]
    fn define_elements(connect: &Closure<dyn Fn(web_sys::HtmlElement) -> WidgetHandle>);
}

/// Runs when the wasm module loads: registers the custom elements, and mounts a widget on
/// every `[data-coupon-widget]` element.
#[wasm_bindgen(start)]
pub fn start() {
    let connect =
        Closure::<dyn Fn(web_sys::HtmlElement) -> WidgetHandle>::new(|el: web_sys::HtmlElement| {
            keep(mount_from_attributes(el))
        });
    define_elements(&connect);
    // The elements connect through it for as long as the page lives.
    connect.forget();
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(hosts) = document.query_selector_all("[data-coupon-widget]") else { return };
    for i in 0..hosts.length() {
        let Some(el) = hosts.item(i).and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()) else {
            continue;
        };
        if el.get_attribute("data-coupon-mounted").is_some() {
            continue;
        }
        el.set_attribute("data-coupon-mounted", "").ok();
        // Lives as long as the page: declarative widgets are never unmounted.
        std::mem::forget(mount_from_attributes(el));
    }
}

/// A picker's order kept in step with its host's attributes; dropping it stops.
struct OrderFollower {
    observer: web_sys::MutationObserver,
    _on_change: Closure<dyn FnMut()>,
}

impl Drop for OrderFollower {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

fn follow_order_attributes(
    el: &web_sys::HtmlElement,
    order: RwSignal<Order>,
) -> Option<OrderFollower> {
    let host = el.clone();
    let on_change = Closure::<dyn FnMut()>::new(move || {
        // The widget may be gone by the time the observer reports.
        let _ = order.try_set(order_from_element(&host));
    });
    let observer = web_sys::MutationObserver::new(on_change.as_ref().unchecked_ref()).ok()?;
    let init = web_sys::MutationObserverInit::new();
    init.set_attributes(true);
    let [total, items] = host::order_attributes(el);
    init.set_attribute_filter(&js_sys::Array::of2(&total.into(), &items.into()));
    observer.observe_with_options(el, &init).ok()?;
    Some(OrderFollower { observer, _on_change: on_change })
}
