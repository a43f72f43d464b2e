//! What a widget keeps on its host element: the settings it reads from the element's
//! attributes (`data-…` on a `[data-coupon-widget]` element, the plain names on
//! `<coupon-wallet>` / `<coupon-picker>`), and the colour scheme it draws in.

use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The custom elements' tag names (registered by `src/elements.js`).
pub const WALLET_TAG: &str = "coupon-wallet";
pub const PICKER_TAG: &str = "coupon-picker";

/// Whether `el` is one of the widget's custom elements (rather than a `data-coupon-widget` host).
pub fn is_custom_element(el: &web_sys::Element) -> bool {
    let tag = el.tag_name().to_ascii_lowercase();
    tag == WALLET_TAG || tag == PICKER_TAG
}

/// The host's setting `name` (`api-base`, `order-total`, …): the attribute of that name on a
/// custom element, `data-{name}` on any other element (whose plain `lang` or `theme` may be
/// the host page's own).
pub fn setting(el: &web_sys::Element, name: &str) -> Option<String> {
    if is_custom_element(el) {
        el.get_attribute(name)
    } else {
        el.get_attribute(&format!("data-{name}"))
    }
}

/// The attributes whose change only re-ranks the picker (every other setting remounts).
pub fn order_attributes(el: &web_sys::Element) -> [String; 2] {
    if is_custom_element(el) {
        ["order-total".into(), "order-items".into()]
    } else {
        ["data-order-total".into(), "data-order-items".into()]
    }
}

/// The colour scheme a widget draws in: the page's `prefers-color-scheme` unless forced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    #[default]
    Auto,
    Light,
    Dark,
}

impl Scheme {
    /// `theme="light|dark"`; anything else follows the page.
    pub fn from_attribute(value: Option<&str>) -> Scheme {
        match value.map(str::trim) {
            Some("light") => Scheme::Light,
            Some("dark") => Scheme::Dark,
            _ => Scheme::Auto,
        }
    }
}

/// The attribute the stylesheet reads: `.cw-root[data-cw-scheme="dark"]` holds every dark value,
/// so that they are written once whether the page or the host chose dark.
const SCHEME_ATTRIBUTE: &str = "data-cw-scheme";
const DARK_QUERY: &str = "(prefers-color-scheme: dark)";

/// A host following the page's colour scheme; dropping it stops following.
pub struct SchemeWatch {
    query: web_sys::MediaQueryList,
    on_change: Closure<dyn FnMut()>,
}

impl Drop for SchemeWatch {
    fn drop(&mut self) {
        let _ = self
            .query
            .remove_event_listener_with_callback("change", self.on_change.as_ref().unchecked_ref());
    }
}

/// Marks `el` with the scheme to draw in and, when it follows the page, keeps the mark in step
/// (WeChat switches an open page's scheme with the phone's).
pub fn apply_scheme(el: &web_sys::HtmlElement, scheme: Scheme) -> Option<SchemeWatch> {
    let mark = |el: &web_sys::HtmlElement, dark: bool| {
        let _ = el.set_attribute(SCHEME_ATTRIBUTE, if dark { "dark" } else { "light" });
    };
    match scheme {
        Scheme::Light | Scheme::Dark => {
            mark(el, scheme == Scheme::Dark);
            None
        }
        Scheme::Auto => {
            let query = web_sys::window()?.match_media(DARK_QUERY).ok()??;
            mark(el, query.matches());
            let (host, watched) = (el.clone(), query.clone());
            let on_change = Closure::<dyn FnMut()>::new(move || mark(&host, watched.matches()));
            query
                .add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref())
                .ok()?;
            Some(SchemeWatch { query, on_change })
        }
    }
}

/// Takes the scheme mark off a host the widget leaves.
pub fn clear_scheme(el: &web_sys::HtmlElement) {
    let _ = el.remove_attribute(SCHEME_ATTRIBUTE);
}
