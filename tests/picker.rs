//! The checkout picker in real Chromium.
#![cfg(target_arch = "wasm32")]

mod support;

use coupon_rules::model::{CouponKind, Window};
use coupon_rules::{Coupon, Fen, Order};
use coupon_widget::components::picker::CouponPicker;
use leptos::prelude::*;
use support::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A usable coupon of `kind`, valid from yesterday to next month, any time of day.
fn coupon(id: &str, kind: CouponKind) -> Coupon {
    let mut c = seed();
    let now = coupon_widget::now();
    c.id = id.into();
    c.name = format!("券{id}");
    c.kind = kind;
    c.validity.weekly = None;
    c.validity.irregular.clear();
    c.validity.stock_window = None;
    c.validity.coupon_window =
        Some(Window { begin: Some(now.plus_days(-1)), end: Some(now.plus_days(30)) });
    c
}

fn fixed(id: &str, amount: i64, threshold: i64) -> Coupon {
    coupon(id, CouponKind::FixedAmount { amount: Fen(amount), threshold: Fen(threshold) })
}

fn order(total: i64) -> Order {
    Order { total: Fen(total), items: vec![] }
}

fn render(coupons: Vec<Coupon>, order: RwSignal<Order>) -> web_sys::HtmlElement {
    let host = host();
    leptos::mount::mount_to(
        host.clone(),
        move || view! { <CouponPicker coupons=coupons order=order/> },
    )
    .forget();
    host
}

fn wallet() -> Vec<Coupon> {
    vec![
        fixed("small", 300, 0),
        fixed("big", 1_000, 5_000),
        fixed("far", 5_000, 50_000),
        coupon("pct", CouponKind::Discount { pay_percent: 95, threshold: Fen(0) }),
    ]
}

#[wasm_bindgen_test]
async fn it_chooses_the_largest_saving_and_explains_the_rest() {
    let host = render(wallet(), RwSignal::new(order(8_000)));
    assert_eq!(text(&host, ".cw-cell__value"), "-¥10.00");
    click(&host, ".cw-cell");
    tick().await;
    let sheet = find(&host, "[role=dialog]");
    let options: Vec<String> = (0..3)
        .map(|i| {
            sheet
                .query_selector_all(".cw-option[data-coupon-id] .cw-option__saving")
                .unwrap()
                .item(i)
                .unwrap()
                .text_content()
                .unwrap()
        })
        .collect();
    assert_eq!(options, ["-¥10.00", "-¥4.00", "-¥3.00"], "largest first");
    let checked: web_sys::HtmlInputElement =
        find(&sheet, "[data-coupon-id=big] input").dyn_into().unwrap();
    assert!(checked.checked(), "the best one is chosen by default");
    assert_eq!(
        text(&sheet, ".cw-option--disabled[data-coupon-id=far] .cw-option__reason"),
        "未满¥500"
    );
    assert!(text(&sheet, ".cw-options__heading").contains("不可用优惠券（1）"));
}

#[wasm_bindgen_test]
async fn a_new_amount_changes_the_choice_at_once() {
    let order_signal = RwSignal::new(order(8_000));
    let host = render(wallet(), order_signal);
    assert_eq!(text(&host, ".cw-cell__value"), "-¥10.00");
    order_signal.set(order(2_000));
    tick().await;
    assert_eq!(
        text(&host, ".cw-cell__value"),
        "-¥3.00",
        "under ¥50 the ¥10 coupon no longer applies"
    );
    order_signal.set(order(100_000));
    tick().await;
    assert_eq!(text(&host, ".cw-cell__value"), "-¥50.00");
    order_signal.set(order(0));
    tick().await;
    assert_eq!(text(&host, ".cw-cell__value"), "暂无可用");
}

#[wasm_bindgen_test]
async fn the_host_hears_the_best_pick_at_once_and_every_change_after() {
    let amount = RwSignal::new(order(8_000));
    let host = host();
    let selections = record_events(&host, "cw:select");
    let coupons = wallet();
    leptos::mount::mount_to(
        host.clone(),
        move || view! { <CouponPicker coupons=coupons order=amount/> },
    )
    .forget();
    tick().await;
    let last = || selections.borrow().last().cloned().expect("an event");
    assert_eq!(selections.borrow().len(), 1, "told once, before anyone opens the sheet");
    assert_eq!(last()["coupon_id"], "big");
    assert_eq!(last()["payable"], 7_000);
    assert_eq!(last()["confirmed"], false);
    amount.set(order(2_000));
    tick().await;
    assert_eq!(last()["coupon_id"], "small", "under ¥50 the ¥10 coupon no longer applies");
    assert_eq!(last()["payable"], 1_700);
    let told = selections.borrow().len();
    amount.set(order(2_000));
    tick().await;
    assert_eq!(selections.borrow().len(), told, "the same order again: nothing new to tell");
    // Choosing in the sheet and closing it without confirming changes nothing.
    click(&host, ".cw-cell");
    tick().await;
    click(&host, ".cw-option--none input");
    tick().await;
    click(&host, ".cw-sheet__close");
    tick().await;
    assert_eq!(selections.borrow().len(), told);
    assert_eq!(text(&host, ".cw-cell__value"), "-¥3.00");
}

#[wasm_bindgen_test]
async fn confirming_tells_the_host_the_choice_and_the_payable_amount() {
    let host = render(wallet(), RwSignal::new(order(8_000)));
    let selections = record_events(&host, "cw:select");
    let last = || selections.borrow().last().cloned().expect("an event");
    click(&host, ".cw-cell");
    tick().await;
    click(&host, "[data-coupon-id=small] input");
    tick().await;
    click(&host, ".cw-picker__confirm");
    tick().await;
    assert!(host.query_selector("[role=dialog]").unwrap().is_none(), "the sheet closes");
    assert_eq!(last()["coupon_id"], "small");
    assert_eq!(last()["saving"], 300);
    assert_eq!(last()["payable"], 7_700);
    assert_eq!(last()["confirmed"], true);
    assert_eq!(text(&host, ".cw-cell__value"), "-¥3.00");
    let told = selections.borrow().len();
    click(&host, ".cw-cell");
    tick().await;
    click(&host, ".cw-option--none input");
    tick().await;
    click(&host, ".cw-picker__confirm");
    tick().await;
    assert_eq!(selections.borrow().len(), told + 1, "one event per confirm");
    assert_eq!(last()["coupon_id"], serde_json::Value::Null);
    assert_eq!(last()["payable"], 8_000);
    assert_eq!(
        text(&host, ".cw-cell__value"),
        "3张可用",
        "none chosen: the cell counts what applies"
    );
}

#[wasm_bindgen_test]
async fn a_slot_opening_while_the_picker_is_open_changes_the_ranking() {
    let now = coupon_widget::now();
    let mut soon = fixed("soon", 2_000, 0);
    soon.validity.irregular =
        vec![Window { begin: Some(now.plus_millis(1_500)), end: Some(now.plus_days(1)) }];
    let host = render(vec![fixed("small", 300, 0), soon], RwSignal::new(order(8_000)));
    assert_eq!(text(&host, ".cw-cell__value"), "-¥3.00");
    for _ in 0..300 {
        tick().await;
        if text(&host, ".cw-cell__value") == "-¥20.00" {
            return;
        }
    }
    panic!("the slot opened but the picker did not re-rank: {}", text(&host, ".cw-cell__value"));
}

#[wasm_bindgen_test]
async fn two_pickers_on_one_page_are_independent() {
    let first_order = RwSignal::new(order(8_000));
    let first = render(wallet(), first_order);
    let second = render(wallet(), RwSignal::new(order(8_000)));
    let first_events = record_events(&first, "cw:select");
    first_order.set(order(2_000));
    click(&second, ".cw-cell");
    tick().await;
    click(&second, ".cw-picker__confirm");
    tick().await;
    assert_eq!(text(&first, ".cw-cell__value"), "-¥3.00");
    assert_eq!(text(&second, ".cw-cell__value"), "-¥10.00");
    let confirmed = first_events.borrow().iter().filter(|e| e["confirmed"] == true).count();
    assert_eq!(confirmed, 0, "the second picker's confirm did not reach the first");
    assert_eq!(
        first_events.borrow().last().map(|e| e["payable"].clone()),
        Some(1_700.into()),
        "the first told its own order's payable"
    );
    assert!(first.query_selector("[role=dialog]").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn the_js_mount_api_mounts_themes_updates_and_unmounts_cleanly() {
    let host = host();
    host.set_class_name("");
    let options = js_sys::JSON::parse(r#"{"view":"picker","apiBase":"http://127.0.0.1:9/api/v1","locale":"en","order":{"total":1000},"theme":{"--cw-accent":"rgb(224, 46, 36)","color":"red"}}"#).unwrap();
    let mut handle = coupon_widget::mount(host.clone(), options).map_err(JsValue::from).unwrap();
    assert!(host.class_list().contains("cw-root"));
    assert_eq!(host.style().get_property_value("--cw-accent").unwrap().trim(), "rgb(224, 46, 36)");
    assert_eq!(
        host.style().get_property_value("color").unwrap(),
        "",
        "only --cw- properties are set"
    );
    assert!(
        handle.set_order(js_sys::JSON::parse(r#"{"total":-5}"#).unwrap()).is_err(),
        "a negative total is refused"
    );
    assert!(handle
        .set_order(
            js_sys::JSON::parse(r#"{"total":2000,"items":[{"unitPrice":900,"quantity":2}]}"#)
                .unwrap()
        )
        .is_ok());
    // Nothing listens on port 9: the picker says so, in English.
    for _ in 0..300 {
        if host.query_selector(".cw-cell--error").unwrap().is_some() {
            break;
        }
        tick().await;
    }
    assert!(
        text(&host, ".cw-cell--error").contains("网络")
            || text(&host, ".cw-cell--error button") == "Retry"
    );
    handle.unmount();
    tick().await;
    assert_eq!(host.child_element_count(), 0, "every node is gone");
    assert!(!host.class_list().contains("cw-root"));
    assert_eq!(host.style().get_property_value("--cw-accent").unwrap(), "");
    handle.unmount();
    assert!(
        coupon_widget::mount(host.clone(), JsValue::from_str("not options")).is_err(),
        "bad options are an error, not a panic"
    );
}

#[wasm_bindgen_test]
async fn a_single_item_coupon_takes_one_covered_unit_and_never_guesses() {
    let mut coffee = fixed("coffee", 2_000, 0);
    coffee.single_item = true;
    coffee.no_cash = true;
    coffee.goods_ids = vec!["SKU-COFFEE".into()];
    let mut unknown = fixed("unknown", 5_000, 0);
    unknown.single_item = true;
    let small = fixed("small", 100, 0);
    let items = vec![coupon_rules::OrderItem {
        goods_id: Some("SKU-COFFEE".into()),
        ..coupon_rules::OrderItem::new(Fen(900), 2)
    }];
    let host =
        render(vec![unknown, coffee, small], RwSignal::new(Order { total: Fen(12_800), items }));
    assert_eq!(
        text(&host, ".cw-cell__value"),
        "-¥9.00",
        "¥20 off one ¥9 coffee, not off the ¥128 order"
    );
    click(&host, ".cw-cell");
    tick().await;
    let sheet = find(&host, "[role=dialog]");
    let note = text(&sheet, "[data-coupon-id=coffee] .cw-option__note");
    assert!(
        note.contains("单品券") && note.contains("免充值"),
        "what the rules mean for this order: {note}"
    );
    assert_eq!(
        text(&sheet, ".cw-option--disabled[data-coupon-id=unknown] .cw-option__reason"),
        "仅限指定商品",
        "no guessed ¥50"
    );
}
