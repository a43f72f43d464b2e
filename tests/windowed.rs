//! Windowed lists in real Chromium: thousands of coupons, one screenful of cards in the page,
//! and no blank screen wherever the user scrolls.
#![cfg(target_arch = "wasm32")]

mod support;

use coupon_rules::wallet::Tab;
use coupon_rules::{sample, Fen, Lang, Order};
use coupon_widget::components::picker::CouponPicker;
use coupon_widget::components::wallet::CouponList;
use leptos::prelude::*;
use support::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn scroll_to(y: f64) {
    web_sys::window().unwrap().scroll_to_with_x_and_y(0.0, y);
}

/// Scrolls, then lets the list follow (the scroll event comes with a frame).
async fn settle() {
    frames(2).await;
    tick().await;
    frames(1).await;
}

/// Every on-screen part of the list is covered by drawn rows, in index order, without gaps.
fn assert_screen_covered(list: &web_sys::Element) -> Vec<(usize, f64, f64)> {
    let rows = drawn_rows(list);
    assert!(!rows.is_empty(), "rows are drawn");
    for pair in rows.windows(2) {
        assert_eq!(pair[1].0, pair[0].0 + 1, "drawn rows are consecutive: {rows:?}");
        assert!((pair[1].1 - pair[0].2).abs() < 1.0, "no gap between drawn rows: {rows:?}");
    }
    let list_rect = list.get_bounding_client_rect();
    let (visible_top, visible_bottom) =
        (list_rect.top().max(0.0), list_rect.bottom().min(viewport_height()));
    assert!(
        rows[0].1 <= visible_top + 1.0,
        "the top of the screen is covered: first row at {}, screen from {visible_top}",
        rows[0].1
    );
    assert!(
        rows[rows.len() - 1].2 >= visible_bottom - 1.0,
        "the bottom of the screen is covered: last row ends {}, screen to {visible_bottom}",
        rows[rows.len() - 1].2
    );
    rows
}

#[wasm_bindgen_test]
async fn ten_thousand_cards_draw_one_screenful_and_no_blanks_anywhere() {
    let host = host();
    let now = coupon_widget::now();
    let coupons = sample::mixed_coupons(10_000, now);
    let first_id = coupons[0].id.clone();
    let last_id = coupons[9_999].id.clone();
    let list = RwSignal::new(coupons);
    leptos::mount::mount_to(host.clone(), move || view! { <CouponList coupons=list.into() tab=Tab::Available now=now lang=Lang::ZhCn/> }).forget();
    scroll_to(0.0);
    settle().await;
    let el = find(&host, ".cw-list[role=list]");
    assert_eq!(el.get_attribute("data-count").as_deref(), Some("10000"));
    let rows = assert_screen_covered(&el);
    assert!(rows.len() < 25, "one screenful (plus overscan) is drawn, not 10,000: {}", rows.len());
    assert_eq!(rows[0].0, 0);
    assert_eq!(
        find(&el, ".cw-window__row").get_attribute("aria-setsize").as_deref(),
        Some("10000")
    );
    assert!(el.inner_html().contains(&first_id));
    // The list keeps the height of all its cards, so the scroll bar is honest.
    let height = el.get_bounding_client_rect().height();
    let row_height = rows[0].2 - rows[0].1;
    assert!(
        height > 10_000.0 * row_height * 0.5,
        "list height {height} for rows of about {row_height}"
    );

    // The middle, then the very end.
    let top = el.get_bounding_client_rect().top() + web_sys::window().unwrap().scroll_y().unwrap();
    scroll_to(top + height / 2.0);
    settle().await;
    let rows = assert_screen_covered(&el);
    assert!(rows.len() < 25, "{} rows drawn in the middle", rows.len());
    assert!((4_000..6_000).contains(&rows[0].0), "the middle of the list is drawn: {:?}", rows[0]);
    assert!(
        !el.inner_html().contains(&format!("data-coupon-id=\"{first_id}\"")),
        "the first card left the page"
    );

    // A jump lands on estimated heights; measuring what it drew moves the end, so follow it.
    for _ in 0..5 {
        scroll_to(support::document().document_element().unwrap().scroll_height() as f64);
        settle().await;
    }
    let rows = assert_screen_covered(&el);
    let (scroll, doc) = (
        web_sys::window().unwrap().scroll_y().unwrap(),
        support::document().document_element().unwrap().scroll_height(),
    );
    assert_eq!(
        rows[rows.len() - 1].0,
        9_999,
        "the last card is drawn at the end: {rows:?}, list {:?}, scrolled {scroll} of {doc}",
        (el.get_bounding_client_rect().top(), el.get_bounding_client_rect().bottom())
    );
    assert!(el.inner_html().contains(&last_id));
    host.remove();
    scroll_to(0.0);
}

#[wasm_bindgen_test]
async fn a_list_that_grows_keeps_its_place_and_counts() {
    let host = host();
    let now = coupon_widget::now();
    let list = RwSignal::new(sample::mixed_coupons(20, now));
    leptos::mount::mount_to(host.clone(), move || view! { <CouponList coupons=list.into() tab=Tab::Available now=now lang=Lang::ZhCn/> }).forget();
    scroll_to(0.0);
    settle().await;
    let el = find(&host, ".cw-list[role=list]");
    assert_eq!(el.get_attribute("data-count").as_deref(), Some("20"));
    list.set(sample::mixed_coupons(40, now)); // a second page arrives
    settle().await;
    assert_eq!(el.get_attribute("data-count").as_deref(), Some("40"));
    assert_eq!(find(&el, ".cw-window__row").get_attribute("aria-setsize").as_deref(), Some("40"));
    assert_screen_covered(&el);
    list.set(Vec::new());
    settle().await;
    assert_eq!(
        el.query_selector_all(".cw-window__row").unwrap().length(),
        0,
        "an emptied list draws nothing"
    );
    host.remove();
}

#[wasm_bindgen_test]
async fn the_pickers_sheet_draws_what_is_on_screen_of_a_thousand_coupons() {
    let host = host();
    let now = coupon_widget::now();
    let coupons = sample::mixed_coupons(1_000, now);
    let order = RwSignal::new(Order { total: Fen(12_800), ..sample::order() });
    leptos::mount::mount_to(
        host.clone(),
        move || view! { <CouponPicker coupons=coupons order=order/> },
    )
    .forget();
    tick().await;
    click(&host, ".cw-cell");
    settle().await;
    let panel = find(&host, ".cw-sheet__panel");
    let drawn = || host.query_selector_all(".cw-option[data-coupon-id]").unwrap().length();
    assert!(drawn() < 40, "a screenful of options, not 1,000: {}", drawn());
    let heading = text(&host, ".cw-options__heading");
    let unusable: usize =
        heading.trim_start_matches("不可用优惠券（").trim_end_matches('）').parse().unwrap();
    let lists = host.query_selector_all(".cw-options__list").unwrap();
    let usable_list: web_sys::Element = lists.item(0).unwrap().dyn_into().unwrap();
    let unusable_list: web_sys::Element = lists.item(1).unwrap().dyn_into().unwrap();
    let usable: usize = usable_list.get_attribute("data-count").unwrap().parse().unwrap();
    assert_eq!(usable + unusable, 1_000);
    assert!(usable > 0 && unusable > 0, "the sample has both: {usable} usable, {unusable} not");
    assert_screen_covered(&usable_list);
    // Scrolled to the bottom of the sheet: the last coupon that does not apply, with its reason.
    let panel: web_sys::HtmlElement = panel.dyn_into().unwrap();
    for _ in 0..6 {
        panel.set_scroll_top(panel.scroll_height());
        settle().await;
    }
    let rows = drawn_rows(&unusable_list);
    assert_eq!(rows.last().unwrap().0, unusable - 1, "the end of the list is drawn");
    assert!(drawn() < 40, "still a screenful: {}", drawn());
    assert!(!find(&unusable_list, ".cw-option__reason").text_content().unwrap().is_empty());
    host.remove();
}
