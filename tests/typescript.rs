//! `package/coupon-widget.d.ts` against the Rust it describes: the members of `mount`'s
//! options, of every event's `detail`, and of the custom elements, each the same set on both
//! sides, so that the declarations cannot drift from the widget.
#![cfg(target_arch = "wasm32")]

mod support;

use coupon_widget::events::{self, EntranceKind, UseBy};
use std::collections::BTreeSet;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const DTS: &str = include_str!("../package/coupon-widget.d.ts");

/// The members `interface {name}` declares, optional or not.
fn members(name: &str) -> BTreeSet<String> {
    let start = DTS.find(&format!("interface {name} ")).unwrap_or_else(|| panic!("no {name}"));
    let body = &DTS[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find("\n}").unwrap()];
    body.lines()
        .filter_map(|line| {
            let line = line.trim();
            let name: String =
                line.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            let rest = &line[name.len()..];
            (!name.is_empty() && (rest.starts_with(':') || rest.starts_with("?:")))
                .then(|| name.trim_matches('"').to_owned())
        })
        .collect()
}

/// The string members of the union type `name`.
fn union(name: &str) -> BTreeSet<String> {
    let start = DTS.find(&format!("type {name} =")).unwrap_or_else(|| panic!("no {name}"));
    let body = &DTS[start..];
    body[..body.find(';').unwrap()].split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

/// The keys of `value` serialised as the widget dispatches it.
fn keys(value: &impl serde::Serialize) -> BTreeSet<String> {
    let json = serde_json::to_value(value).unwrap();
    json.as_object().unwrap().keys().cloned().collect()
}

#[wasm_bindgen_test]
fn mount_options_are_the_members_mount_takes() {
    // Options refused name every member the Rust side takes (serde's deny_unknown_fields).
    let probe = js_sys::JSON::parse(r#"{"notAnOption":1}"#).unwrap();
    let error = coupon_widget::mount(support::host(), probe).map(|_| ()).map_err(JsValue::from);
    let message =
        js_sys::Reflect::get(&error.unwrap_err(), &"message".into()).unwrap().as_string().unwrap();
    let taken: BTreeSet<String> = message
        .split("expected one of")
        .nth(1)
        .unwrap()
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    assert_eq!(members("MountOptions"), taken, "{message}");
    assert_eq!(members("Order"), BTreeSet::from(["items".to_owned(), "total".to_owned()]));
}

#[wasm_bindgen_test]
fn every_event_detail_declares_what_the_widget_sends() {
    let select = events::Select {
        coupon_id: Some("c"),
        source: Some(coupon_rules::Source::Stock),
        stock_id: Some("s"),
        name: Some("n"),
        saving: 1,
        payable: 2,
        confirmed: true,
    };
    assert_eq!(members("SelectDetail"), keys(&select));
    let used = events::Use {
        method: UseBy::Offline,
        coupon_id: "c",
        source: coupon_rules::Source::Merchant,
        stock_id: "s",
        code: Some("1"),
        appid: Some("wx"),
        path: Some("/p"),
    };
    assert_eq!(members("UseDetail"), keys(&used));
    assert_eq!(members("ClaimDetail"), keys(&events::Claim { stock_id: "s", coupon_id: "c" }));
    let entrance = events::Entrance {
        kind: EntranceKind::Hall,
        coupon_id: "c".into(),
        appid: Some("wx".into()),
        path: Some("/p".into()),
        hall_id: Some("h".into()),
        store_id: Some("st".into()),
    };
    assert_eq!(members("EntranceDetail"), keys(&entrance));
    let failure = events::Failure {
        code: coupon_rules::api::ErrorCode::Network,
        message: "m",
        retryable: true,
        stock_id: Some("s"),
    };
    assert_eq!(members("ErrorDetail"), keys(&failure));

    let name = |v: &dyn erased::Named| v.json();
    let methods: BTreeSet<String> =
        [UseBy::Offline, UseBy::MiniProgram, UseBy::PaymentCode].iter().map(|m| name(m)).collect();
    let declared_methods = DTS.split("method: ").nth(1).unwrap().split(';').next().unwrap();
    assert_eq!(
        declared_methods.split('"').skip(1).step_by(2).map(str::to_owned).collect::<BTreeSet<_>>(),
        methods
    );
    let kinds: BTreeSet<String> = [
        EntranceKind::MiniProgram,
        EntranceKind::OfficialAccount,
        EntranceKind::Hall,
        EntranceKind::Store,
    ]
    .iter()
    .map(|k| name(k))
    .collect();
    let declared_kinds = DTS.split("  type: ").nth(1).unwrap().split(';').next().unwrap();
    assert_eq!(
        declared_kinds.split('"').skip(1).step_by(2).map(str::to_owned).collect::<BTreeSet<_>>(),
        kinds
    );
}

/// Serialises an enum variant to its JSON string.
mod erased {
    pub trait Named {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Named for T {
        fn json(&self) -> String {
            serde_json::to_value(self).unwrap().as_str().unwrap().to_owned()
        }
    }
}

#[wasm_bindgen_test]
fn every_declared_error_code_is_the_widgets_and_every_code_the_proxy_documents_is_declared() {
    use coupon_rules::api::ErrorCode;
    let declared = union("ErrorCode");
    for name in &declared {
        let code: ErrorCode = serde_json::from_value(name.as_str().into()).unwrap();
        assert_eq!(serde_json::to_value(code).unwrap(), name.as_str(), "{name} is an ErrorCode");
    }
    // openapi.yaml's list is the enum's (proxy/tests/openapi.rs checks it against the Rust).
    let spec = include_str!("../proxy/openapi.yaml");
    let list =
        spec.lines().find(|l| l.contains("enum: [") && l.contains("UPSTREAM_ERROR")).unwrap();
    let list = &list[list.find('[').unwrap() + 1..list.find(']').unwrap()];
    let documented: BTreeSet<String> = list.split(',').map(|c| c.trim().to_owned()).collect();
    assert!(documented.len() > 15, "read the documented codes: {documented:?}");
    let widgets_own = [
        ErrorCode::Network,
        ErrorCode::Timeout,
        ErrorCode::BadResponse,
        ErrorCode::BadRequest,
        ErrorCode::Unknown,
    ];
    let expected: BTreeSet<String> = documented
        .into_iter()
        .chain(
            widgets_own
                .iter()
                .map(|c| serde_json::to_value(c).unwrap().as_str().unwrap().to_owned()),
        )
        .collect();
    assert_eq!(declared, expected);
}

#[wasm_bindgen_test]
fn the_elements_have_the_properties_declared() {
    coupon_widget::start();
    for tag in ["coupon-wallet", "coupon-picker"] {
        assert!(DTS.contains(&format!("\"{tag}\": CouponWidgetElement")));
        let el = support::document().create_element(tag).unwrap();
        for property in members("CouponWidgetElement") {
            let has = js_sys::Reflect::has(&el, &property.as_str().into()).unwrap();
            assert!(has, "<{tag}> has no {property}");
        }
    }
}
