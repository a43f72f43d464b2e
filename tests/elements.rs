//! The custom elements `<coupon-wallet>` and `<coupon-picker>`, and the colour scheme every
//! way in draws in, in real Chromium.
#![cfg(target_arch = "wasm32")]

mod support;

use support::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Nothing listens on port 9: every request fails at once, and the widget says so.
const NOWHERE: &str = "http://127.0.0.1:9/api/v1";

fn element(tag: &str, attributes: &[(&str, &str)]) -> web_sys::HtmlElement {
    host(); // the stylesheet
    coupon_widget::start(); // registers the elements (once: a second call changes nothing)
    let el: web_sys::HtmlElement = document().create_element(tag).unwrap().dyn_into().unwrap();
    for (name, value) in attributes {
        el.set_attribute(name, value).unwrap();
    }
    el
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        tick().await;
    }
    panic!("never: {what}");
}

fn dark_wanted() -> bool {
    web_sys::window()
        .unwrap()
        .match_media("(prefers-color-scheme: dark)")
        .unwrap()
        .unwrap()
        .matches()
}

#[wasm_bindgen_test]
async fn a_picker_element_mounts_from_its_attributes_remounts_on_a_setting_and_leaves_clean() {
    let el =
        element("coupon-picker", &[("api-base", NOWHERE), ("lang", "en"), ("order-total", "1000")]);
    assert_eq!(el.child_element_count(), 0, "nothing happens outside the document");
    document().body().unwrap().append_child(&el).unwrap();
    assert!(el.class_list().contains("cw-root"), "mounted on connecting");
    until("the picker reports the failure in English", || {
        el.query_selector(".cw-cell--error button")
            .unwrap()
            .is_some_and(|b| b.text_content().as_deref() == Some("Retry"))
    })
    .await;
    let auto = if dark_wanted() { "dark" } else { "light" };
    assert_eq!(el.get_attribute("data-cw-scheme").as_deref(), Some(auto), "follows the page");

    // A setting other than the order remounts with it.
    el.set_attribute("theme", "dark").unwrap();
    el.set_attribute("lang", "zh-CN").unwrap();
    assert_eq!(el.get_attribute("data-cw-scheme").as_deref(), Some("dark"));
    until("the remounted picker speaks Chinese", || {
        el.query_selector(".cw-cell--error button")
            .unwrap()
            .is_some_and(|b| b.text_content().as_deref() == Some("重试"))
    })
    .await;
    assert_eq!(el.query_selector_all(".cw-cell").unwrap().length(), 1, "one widget, not two");

    // Properties reflect the attributes, as a Vue binding sets them.
    js_sys::Reflect::set(&el, &"orderTotal".into(), &JsValue::from(2500)).unwrap();
    assert_eq!(el.get_attribute("order-total").as_deref(), Some("2500"));
    let items = js_sys::JSON::parse(r#"[{"unit_price":900,"quantity":2}]"#).unwrap();
    js_sys::Reflect::set(&el, &"orderItems".into(), &items).unwrap();
    assert_eq!(
        el.get_attribute("order-items").as_deref(),
        Some(r#"[{"unit_price":900,"quantity":2}]"#)
    );
    js_sys::Reflect::set(&el, &"theme".into(), &"light".into()).unwrap();
    assert_eq!(el.get_attribute("data-cw-scheme").as_deref(), Some("light"));

    // Removed: every node, class and mark the widget added is gone.
    el.remove();
    tick().await;
    assert_eq!(el.child_element_count(), 0);
    assert!(!el.class_list().contains("cw-root"));
    assert!(!el.has_attribute("data-cw-scheme"));
    // Back in the document, it mounts again.
    document().body().unwrap().append_child(&el).unwrap();
    assert!(el.class_list().contains("cw-root"));
    el.remove();
}

#[wasm_bindgen_test]
async fn an_order_attribute_re_ranks_without_remounting() {
    let el = element("coupon-picker", &[("api-base", NOWHERE), ("order-total", "1000")]);
    document().body().unwrap().append_child(&el).unwrap();
    // Its settled cell (here the error of an API that is not there): the loading cell is
    // replaced by it whenever the refused request comes back, order change or not.
    let settled = ".cw-cell:not(.cw-cell--loading)";
    until("the picker has settled", || el.query_selector(settled).unwrap().is_some()).await;
    let cell = el.query_selector(settled).unwrap().unwrap();
    el.set_attribute("order-total", "5000").unwrap();
    tick().await;
    let same = el.query_selector(".cw-cell").unwrap().unwrap();
    assert!(cell.is_same_node(Some(&same)), "the order changed in place");
    el.remove();
}

#[wasm_bindgen_test]
fn a_wallet_element_is_the_wallet_and_mount_takes_a_forced_scheme() {
    let el = element("coupon-wallet", &[("api-base", NOWHERE)]);
    document().body().unwrap().append_child(&el).unwrap();
    assert!(
        el.query_selector(".cw-tabs, .cw-card--skeleton, .cw-error, .cw-wallet__bar")
            .unwrap()
            .is_some(),
        "{}",
        el.inner_html()
    );
    assert!(el.query_selector(".cw-cell").unwrap().is_none(), "not a picker");
    el.remove();

    for (theme, want) in [("dark", "dark"), ("light", "light")] {
        let target = host();
        target.set_class_name("");
        let options = js_sys::JSON::parse(&format!(
            r#"{{"apiBase":"{NOWHERE}","theme":"{theme}","variables":{{"--cw-radius":"2px"}}}}"#
        ))
        .unwrap();
        let mut handle =
            coupon_widget::mount(target.clone(), options).map_err(JsValue::from).unwrap();
        assert_eq!(target.get_attribute("data-cw-scheme").as_deref(), Some(want));
        assert_eq!(target.style().get_property_value("--cw-radius").unwrap(), "2px");
        handle.unmount();
        assert!(!target.has_attribute("data-cw-scheme"));
    }
    let bad = js_sys::JSON::parse(r#"{"theme":"sepia"}"#).unwrap();
    assert!(coupon_widget::mount(host(), bad).is_err(), "an unknown scheme is refused");
}
