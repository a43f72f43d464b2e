//! Events the widget reports to its host page: DOM CustomEvents that bubble from the widget
//! to the element it is mounted on, each `detail` one of the serde types below (the README's
//! "Events" section documents them).

use coupon_rules::Source;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// `cw:select`: the picker's choice and what the user pays (fen).
#[derive(Debug, Serialize)]
pub struct Select<'a> {
    /// `null` when no coupon is chosen.
    pub coupon_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    pub saving: i64,
    pub payable: i64,
    /// The user confirmed it (rather than the widget's automatic best pick).
    pub confirmed: bool,
}

/// How a tapped coupon is used (`cw:use`'s `method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UseBy {
    Offline,
    MiniProgram,
    PaymentCode,
}

/// `cw:use`: 立即使用 was tapped.
#[derive(Debug, Serialize)]
pub struct Use<'a> {
    pub method: UseBy,
    pub coupon_id: &'a str,
    pub source: Source,
    pub stock_id: &'a str,
    /// The code a cashier scans (offline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<&'a str>,
}

/// `cw:claim`: a coupon was claimed.
#[derive(Debug, Serialize)]
pub struct Claim<'a> {
    pub stock_id: &'a str,
    pub coupon_id: &'a str,
}

/// Which custom entrance was tapped (`cw:entrance`'s `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntranceKind {
    #[default]
    MiniProgram,
    OfficialAccount,
    /// 营销馆.
    Hall,
    /// 门店.
    Store,
}

/// `cw:entrance`: a custom entrance in the detail sheet was tapped; the host opens it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Entrance {
    #[serde(rename = "type")]
    pub kind: EntranceKind,
    pub coupon_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hall_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
}

/// `cw:error`: a load or a claim failed.
#[derive(Debug, Serialize)]
pub struct Failure<'a> {
    pub code: coupon_rules::api::ErrorCode,
    pub message: &'a str,
    pub retryable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock_id: Option<&'a str>,
}

/// Dispatches `name` from `from`, bubbling, with `detail` as a plain JS object.
pub fn emit(from: &web_sys::EventTarget, name: &str, detail: &impl Serialize) {
    let detail = serde_json::to_string(detail)
        .ok()
        .and_then(|text| js_sys::JSON::parse(&text).ok())
        .unwrap_or(JsValue::NULL);
    let init = web_sys::CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&detail);
    if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = from.dispatch_event(&event);
    }
}
