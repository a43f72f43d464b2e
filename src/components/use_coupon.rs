//! What 立即使用 does, per use method. Every tap is reported to the host page (`cw:use`), and
//! every tap shows the user something: a tap is never silently lost.

use super::codes::Codes;
use crate::api::CouponDetail;
use crate::events::{emit, Use, UseBy};
use crate::i18n::t;
use crate::Options;
use coupon_rules::{Coupon, Lang, UseMethod};
use leptos::prelude::*;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
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

/// How often an open use sheet asks whether its coupon has been used at the till.
const WATCH_EVERY_MS: u32 = 1_000;

/// The body of the 立即使用 sheet. A code shows only once the proxy has read the coupon as
/// still usable: the list may be older than a use on another device (or a repeat visit's copy
/// from the browser's cache); with no answer it shows, since the till has the last word. While
/// it shows how to use the coupon, it watches for the use (核销) and then says 已使用 instead.
#[component]
pub fn UseSheetBody(coupon: Coupon, lang: Lang) -> impl IntoView {
    let options = use_context::<Options>().unwrap_or_default();
    let ended = RwSignal::new(None::<Coupon>);
    let checked = RwSignal::new(coupon.use_method != UseMethod::Offline);
    if matches!(coupon.use_method, UseMethod::Offline | UseMethod::PaymentCode) {
        watch_for_use(&coupon, &options.api_base, ended, checked);
    }
    move || {
        match (ended.get(), checked.get()) {
        (Some(c), _) => ended_view(&c, lang),
        (None, false) => view! {
            <p class="cw-use__hint cw-use__checking" role="status" aria-busy="true">{t(lang, "正在确认券的状态…", "Checking the coupon…")}</p>
        }
        .into_any(),
        (None, true) => how_to_use(coupon.clone(), &options, lang),
    }
    }
}

/// The sheet once the coupon can no longer be used (used, or expired): no code left to show.
fn ended_view(coupon: &Coupon, lang: Lang) -> AnyView {
    let look = coupon_rules::look::card_look(coupon, crate::now(), lang);
    view! {
        <div class="cw-use cw-use--used" role="status">
            <p class="cw-use__used">{look.stamp.unwrap_or(t(lang, "已使用", "Used"))}</p>
            {look.used_at.map(|u| view! { <p class="cw-use__hint">{u}</p> })}
        </div>
    }
    .into_any()
}

/// Watches the coupon while the sheet is open and the page visible: the proxy pushes it as it
/// changes (Server-Sent Events); where the push is refused or cut, the sheet asks every
/// [`WATCH_EVERY_MS`] instead, one request at a time. Unless `checked`, it is first read once,
/// and `checked` set when that answers. Once it is used, `ended` holds it as the proxy reports
/// it, the wallet is told ([`WalletChanges`]) and every picker on the page loads again.
fn watch_for_use(
    coupon: &Coupon,
    base: &str,
    ended: RwSignal<Option<Coupon>>,
    checked: RwSignal<bool>,
) {
    let (coupon, base) = (coupon.clone(), base.to_owned());
    let changes = use_context::<WalletChanges>();
    let seen = move |d: CouponDetail| {
        if d.coupon.state == coupon_rules::CouponState::Used && ended.get_untracked().is_none() {
            ended.try_set(Some(d.coupon));
            changes.inspect(WalletChanges::used);
            crate::reload_pickers();
        }
    };
    if !checked.get_untracked() {
        let (coupon, base) = (coupon.clone(), base.clone());
        leptos::task::spawn_local(async move {
            match crate::api::coupon_detail(&base, &coupon).await {
                Ok(d) if d.coupon.state == coupon_rules::CouponState::Expired => {
                    ended.try_set(Some(d.coupon));
                }
                Ok(d) => seen(d),
                Err(_) => {}
            }
            checked.try_set(true);
        });
    }
    let push = StoredValue::new_local(None::<Push>);
    let polling = Rc::new(Cell::new(false));
    let asking = Rc::new(Cell::new(false));
    let tick = move || {
        let hidden = web_sys::window().and_then(|w| w.document()).is_none_or(|d| d.hidden());
        if hidden || ended.get_untracked().is_some() {
            // A hidden page holds no connection open; it connects again when shown.
            push.try_set_value(None);
            return;
        }
        if !polling.get() {
            if push.with_value(Option::is_none) {
                let opened = Push::open(&base, &coupon, seen, polling.clone());
                polling.set(opened.is_none());
                push.set_value(opened);
            }
            return;
        }
        if asking.replace(true) {
            return;
        }
        let (coupon, base, asking) = (coupon.clone(), base.clone(), asking.clone());
        leptos::task::spawn_local(async move {
            if let Ok(d) = crate::api::coupon_detail(&base, &coupon).await {
                seen(d);
            }
            asking.set(false);
        });
    };
    tick();
    let timer = gloo_timers::callback::Interval::new(WATCH_EVERY_MS, tick);
    let timer = StoredValue::new_local(Some(timer));
    // Closing the sheet stops the watch; a use seen has the wallet reload its tab then.
    on_cleanup(move || {
        timer.set_value(None);
        push.set_value(None);
        if ended.try_with_untracked(Option::is_some) == Some(true) {
            changes.inspect(WalletChanges::reload);
        }
    });
}

/// An open event stream and its handlers; dropping it closes the stream.
struct Push {
    source: web_sys::EventSource,
    _message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Push {
    /// `None` when the browser cannot open one; `polling` is set when the proxy refuses it (the
    /// browser gives up on a stream only then: a dropped one it connects again by itself).
    fn open(
        base: &str,
        coupon: &Coupon,
        seen: impl Fn(CouponDetail) + 'static,
        polling: Rc<Cell<bool>>,
    ) -> Option<Push> {
        let source = crate::api::coupon_events(base, coupon)?;
        let message = Closure::<dyn FnMut(_)>::new(move |e: web_sys::MessageEvent| {
            if let Some(d) = e.data().as_string().as_deref().and_then(crate::api::pushed_detail) {
                seen(d);
            }
        });
        let watched = source.clone();
        let error = Closure::<dyn FnMut(_)>::new(move |_: web_sys::Event| {
            if watched.ready_state() == web_sys::EventSource::CLOSED {
                polling.set(true);
            }
        });
        source.set_onmessage(Some(message.as_ref().unchecked_ref()));
        source.set_onerror(Some(error.as_ref().unchecked_ref()));
        Some(Push { source, _message: message, _error: error })
    }
}

impl Drop for Push {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// What an open use sheet tells the wallet around it: counts at once, the list when it closes.
#[derive(Clone, Copy)]
pub struct WalletChanges {
    pub counts: RwSignal<Option<coupon_rules::wallet::TabCounts>>,
    pub refreshes: RwSignal<u32>,
}

impl WalletChanges {
    fn used(&self) {
        self.counts.update(|c| {
            if let Some(c) = c {
                c.available = c.available.saturating_sub(1);
                c.used += 1;
            }
        });
    }

    fn reload(&self) {
        self.refreshes.try_update(|n| *n += 1);
    }
}

/// How to use the coupon, per use method.
fn how_to_use(coupon: Coupon, options: &Options, lang: Lang) -> AnyView {
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
