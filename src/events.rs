//! Events the widget reports to its host page: DOM CustomEvents that bubble from the widget
//! to the element it is mounted on (`cw:use`, …), with a JSON-shaped `detail`.

use coupon_rules::json::Value;
use wasm_bindgen::JsValue;

/// Dispatches `name` from `from`, bubbling, with `detail` as a plain JS object.
pub fn emit(from: &web_sys::EventTarget, name: &str, detail: &Value) {
    let detail = js_sys::JSON::parse(&detail.to_string()).unwrap_or(JsValue::NULL);
    let init = web_sys::CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&detail);
    if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = from.dispatch_event(&event);
    }
}
