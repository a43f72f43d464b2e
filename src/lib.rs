//! The 我的代金券 widget: a Leptos view of a user's coupons, compiled to wasm and mounted
//! into any H5 page. It is a thin shell: every rule comes from `coupon-rules`, every byte of
//! data from the merchant proxy's `/api/v1`.
//!
//! A host page mounts it declaratively, `<div data-coupon-widget="wallet"></div>`, which
//! [`start`] finds on load; options come from `data-api-base` and `data-lang`.

pub mod api;
pub mod code128;
pub mod components;
pub mod events;
pub mod i18n;

use coupon_rules::{BeijingTime, Lang};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// How one mounted widget is set up.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Base URL of the proxy's API, e.g. `/api/v1` or `https://shop.example/api/v1`.
    pub api_base: String,
    pub lang: Lang,
    /// Link for MINI_PROGRAMS coupons outside a mini-program, with `{appid}` and `{path}`
    /// (e.g. a merchant's URL-scheme link); only `weixin://` and `https://` links are used.
    pub mini_program_link: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options { api_base: "/api/v1".into(), lang: Lang::ZhCn, mini_program_link: None }
    }
}

impl Options {
    /// Reads `data-api-base` and `data-lang` from the host element.
    pub fn from_element(el: &web_sys::Element) -> Options {
        let mut o = Options::default();
        if let Some(base) = el.get_attribute("data-api-base").filter(|b| !b.trim().is_empty()) {
            o.api_base = base.trim().trim_end_matches('/').to_owned();
        }
        if let Some(lang) = el.get_attribute("data-lang") {
            o.lang = Lang::from_tag(&lang);
        }
        o.mini_program_link = el.get_attribute("data-mini-program-link").filter(|l| !l.trim().is_empty());
        o
    }
}

/// The current instant, from the browser's clock.
pub fn now() -> BeijingTime {
    BeijingTime::from_unix_millis(js_sys::Date::now() as i64)
}

/// Mounts the wallet view into `el` and keeps it mounted.
pub fn mount_wallet(el: web_sys::HtmlElement, options: Options) {
    el.class_list().add_1("cw-root").ok();
    leptos::mount::mount_to(el, move || view! { <components::wallet::Wallet options=options/> }).forget();
}

/// Runs when the wasm module loads: mounts a widget on every `[data-coupon-widget]` element.
#[wasm_bindgen(start)]
pub fn start() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(hosts) = document.query_selector_all("[data-coupon-widget]") else { return };
    for i in 0..hosts.length() {
        let Some(el) = hosts.item(i).and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()) else { continue };
        if el.get_attribute("data-coupon-mounted").is_some() {
            continue;
        }
        el.set_attribute("data-coupon-mounted", "").ok();
        let options = Options::from_element(&el);
        mount_wallet(el, options);
    }
}
