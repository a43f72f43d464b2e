//! What 立即使用 does, per use method. Every tap is reported to the host page (`cw:use`), and
//! every tap shows the user something: a tap is never silently lost.

use super::codes::Codes;
use crate::events::{emit, Use, UseBy};
use crate::i18n::t;
use crate::Options;
use coupon_rules::{Coupon, Lang, UseMethod};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

/// Reports the tap to the host and, for a coupon of the mini-program hosting this page's
/// web-view (`host_appid`), navigates there with the JS-SDK. Returns whether the widget should
/// open its own use sheet.
pub fn request_use(coupon: &Coupon, from: &web_sys::EventTarget, host_appid: Option<&str>) -> bool {
    let mut detail = Use {
        method: UseBy::Offline,
        coupon_id: &coupon.id,
        source: coupon.source,
        stock_id: &coupon.stock_id,
        code: None,
        appid: None,
        path: None,
    };
    match &coupon.use_method {
        UseMethod::Offline => detail.code = Some(coupon.id.as_str()),
        UseMethod::MiniProgram { appid, path } => {
            (detail.method, detail.appid, detail.path) =
                (UseBy::MiniProgram, appid.as_deref(), path.as_deref())
        }
        UseMethod::PaymentCode => detail.method = UseBy::PaymentCode,
        UseMethod::SelfConsume | UseMethod::Unknown { .. } => return false,
    }
    emit(from, "cw:use", &detail);
    match &coupon.use_method {
        UseMethod::MiniProgram { appid, path: Some(path) }
            if is_host(appid.as_deref(), host_appid) =>
        {
            !navigate_in_mini_program(path)
        }
        _ => true,
    }
}

/// Whether a mini-program `appid` is the one hosting the page (no appid: the host's own).
pub fn is_host(appid: Option<&str>, host_appid: Option<&str>) -> bool {
    appid.is_none_or(|a| host_appid == Some(a))
}

/// The merchant's link template with the mini-program's appid and path filled in; only
/// `weixin://` and `https://` links are used.
pub fn mini_program_link(
    template: Option<&str>,
    appid: &str,
    path: Option<&str>,
) -> Option<String> {
    let encode = |s: &str| js_sys::encode_uri_component(s).as_string().unwrap_or_default();
    template
        .map(|t| {
            t.replace("{appid}", &encode(appid)).replace("{path}", &encode(path.unwrap_or("")))
        })
        .filter(|l| l.starts_with("weixin://") || l.starts_with("https://"))
}

/// `wx.miniProgram.navigateTo` when the page runs in a mini-program web-view.
pub fn navigate_in_mini_program(path: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let get = |target: &JsValue, key: &str| {
        js_sys::Reflect::get(target, &JsValue::from_str(key))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    };
    if get(&window, "__wxjs_environment").and_then(|v| v.as_string()).as_deref()
        != Some("miniprogram")
    {
        return false;
    }
    let Some(mini) = get(&window, "wx").and_then(|wx| get(&wx, "miniProgram")) else {
        return false;
    };
    let Some(navigate) =
        get(&mini, "navigateTo").and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    else {
        return false;
    };
    let arg = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&arg, &JsValue::from_str("url"), &JsValue::from_str(path));
    navigate.call1(&mini, &arg).is_ok()
}

/// The body of the 立即使用 sheet.
#[component]
pub fn UseSheetBody(coupon: Coupon, lang: Lang) -> impl IntoView {
    let options = use_context::<Options>().unwrap_or_default();
    match coupon.use_method.clone() {
        UseMethod::Offline => view! {
            <div class="cw-use cw-use--offline">
                <p class="cw-use__hint">{t(lang, "请向店员出示券码", "Show this code at the till")}</p>
                <Codes text=coupon.id.clone() lang=lang/>
                <p class="cw-code" aria-label=t(lang, "券码", "Code")>{grouped(&coupon.id)}</p>
            </div>
        }
        .into_any(),
        UseMethod::MiniProgram { appid, path } => {
            let link = appid.as_deref().and_then(|appid| mini_program_link(options.mini_program_link.as_deref(), appid, path.as_deref()));
            view! {
                <div class="cw-use cw-use--mini-program">
                    <p class="cw-use__hint">{t(lang, "请在商家小程序中使用本券", "Use this coupon in the merchant's mini-program")}</p>
                    {link.map(|href| view! { <a class="cw-button" href=href>{t(lang, "打开小程序", "Open mini-program")}</a> })}
                </div>
            }
            .into_any()
        }
        UseMethod::PaymentCode => view! {
            <div class="cw-use cw-use--payment-code">
                <p class="cw-use__hint">{t(lang, "付款时打开微信「付款码」，本券将自动抵扣", "Pay with your WeChat payment code; the coupon applies automatically")}</p>
            </div>
        }
        .into_any(),
        UseMethod::SelfConsume | UseMethod::Unknown { .. } => view! {
            <p class="cw-use__hint">{t(lang, "暂不支持此核销方式", "This way of using the coupon is not supported yet")}</p>
        }
        .into_any(),
    }
}

/// `123446565767` → `1234 4656 5767`, easier to read out.
pub fn grouped(code: &str) -> String {
    code.chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}
