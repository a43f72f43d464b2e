//! Browser plumbing the components share: an element scrolling into view, the page scrolling,
//! and telling the host page (`cw:error`) that a load failed.

use crate::api::ApiError;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Off the wasm target (the proxy drawing a first screen as HTML) there is no DOM: every call
/// into it would panic, and nothing would watch or measure what was drawn.
pub const IN_BROWSER: bool = cfg!(target_arch = "wasm32");

/// Calls `on_visible` whenever the element scrolls into view (IntersectionObserver), and
/// again whenever `rearm` changes while it is still in view (an observer only reports
/// changes, so a page too short to push the end off screen would otherwise stall the list).
pub fn observe_when_visible<T: 'static>(
    target: NodeRef<html::Div>,
    rearm: impl Fn() -> T + 'static,
    on_visible: impl Fn() + 'static,
) {
    if !IN_BROWSER {
        return;
    }
    let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
        let visible = entries
            .iter()
            .any(|e| e.unchecked_into::<web_sys::IntersectionObserverEntry>().is_intersecting());
        if visible {
            on_visible();
        }
    });
    let init = web_sys::IntersectionObserverInit::new();
    init.set_root_margin("200px");
    let Ok(observer) =
        web_sys::IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &init)
    else {
        return;
    };
    let observer = StoredValue::new_local(observer);
    let callback = StoredValue::new_local(callback);
    Effect::new(move |_| {
        rearm();
        if let Some(el) = target.get() {
            observer.with_value(|o| {
                o.unobserve(&el);
                o.observe(&el);
            });
        }
    });
    on_cleanup(move || {
        observer.with_value(|o| o.disconnect());
        callback.dispose();
    });
}

/// Tells the host page (`cw:error`) whenever a load fails.
pub fn report_failures<E: leptos::html::ElementType + 'static>(
    target: NodeRef<E>,
    failure: impl Fn() -> Option<ApiError> + 'static,
) where
    E::Output: JsCast + Clone + 'static,
{
    Effect::new(move |_| {
        let Some(e) = failure() else { return };
        if let Some(el) = target.get_untracked() {
            let el: web_sys::EventTarget = el.unchecked_into();
            crate::events::emit(
                &el,
                "cw:error",
                &crate::events::Failure {
                    code: e.code,
                    message: &e.message,
                    retryable: e.retryable,
                    stock_id: None,
                },
            );
        }
    });
}

/// Calls `look` whenever anything on the page scrolls (the page or any element around the
/// list: scroll events do not bubble, so the window listens in the capture phase) or resizes.
pub fn follow_scrolling(look: impl Fn() + 'static) {
    if !IN_BROWSER {
        return;
    }
    let Some(window) = web_sys::window() else { return };
    let callback = Closure::<dyn FnMut()>::new(look);
    let options = web_sys::AddEventListenerOptions::new();
    options.set_capture(true);
    options.set_passive(true);
    for event in ["scroll", "resize"] {
        let _ = window.add_event_listener_with_callback_and_add_event_listener_options(
            event,
            callback.as_ref().unchecked_ref(),
            &options,
        );
    }
    let callback = StoredValue::new_local(callback);
    on_cleanup(move || {
        callback.with_value(|c| {
            let Some(window) = web_sys::window() else { return };
            for event in ["scroll", "resize"] {
                let _ = window.remove_event_listener_with_callback_and_bool(
                    event,
                    c.as_ref().unchecked_ref(),
                    true,
                );
            }
        });
        callback.dispose();
    });
}

/// Runs `f` in the task after the next frame has been painted (a timeout queued by
/// `requestAnimationFrame`), so that work the first paint does not need waits for it.
pub fn after_paint(f: impl FnOnce() + 'static) {
    let Some(window) = web_sys::window() else { return };
    let frame = Closure::once_into_js(move || {
        gloo_timers::callback::Timeout::new(0, f).forget();
    });
    let _ = window.request_animation_frame(frame.unchecked_ref());
}

/// The class of the proxy's drawing of a first screen (see `scripts/loader.js`), which a host
/// shows until its widget has drawn the same.
pub const PRERENDERED_CLASS: &str = "cw-prerendered";

/// Once `drawn` holds, takes away the proxy's drawing beside `view` in its host: in the same
/// task as the view's first draw, so that the page paints one or the other, never both.
pub fn replace_prerendered(view: NodeRef<html::Section>, drawn: impl Fn() -> bool + 'static) {
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) || !drawn() {
            return done.unwrap_or(false);
        }
        if let Some(host) = view.get_untracked().and_then(|el| el.parent_element()) {
            remove_prerendered(&host);
        }
        true
    });
}

/// Takes the proxy's drawing out of `host`, if it is still there: the widget drew its own,
/// or was unmounted before it could.
pub fn remove_prerendered(host: &web_sys::Element) {
    let selector = format!(":scope > .{PRERENDERED_CLASS}");
    if let Ok(Some(old)) = host.query_selector(&selector) {
        old.remove();
    }
}
