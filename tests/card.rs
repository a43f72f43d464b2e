//! The coupon card, rendered in real Chromium with the real stylesheet.
#![cfg(target_arch = "wasm32")]

mod support;

use coupon_rules::wire::parse_merchant_coupon;
use coupon_rules::{BeijingTime, Coupon};
use coupon_widget::components::card::CouponCard;
use leptos::prelude::*;
use support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The coupon of seed 001 (商家券 detail), with its colour name replaced.
fn seed_coupon(colour: &str) -> Coupon {
    parse_merchant_coupon(SEED_001.replace("\"xxxxx\"", &format!("\"{colour}\"")).as_bytes())
        .unwrap()
}

/// Mounts one card and returns its `<article>`.
fn render(coupon: Coupon, now: BeijingTime) -> web_sys::Element {
    render_in(coupon, now, "light")
}

/// Mounts one card in a host drawing in `scheme` (`light` or `dark`).
fn render_in(coupon: Coupon, now: BeijingTime, scheme: &str) -> web_sys::Element {
    let host = host();
    host.set_attribute("data-cw-scheme", scheme).unwrap();
    leptos::mount::mount_to(host.clone(), move || view! { <CouponCard coupon=coupon now=now/> })
        .forget();
    find(&host, "article.cw-card")
}

// 2019-12-30 14:00 is a Monday inside the seed coupon's window and weekly slot.
const IN_WINDOW: &str = "2019-12-30T14:00:00+08:00";

#[wasm_bindgen_test]
fn seed_coupon_shows_colour_name_value_threshold_and_validity() {
    let card = render(seed_coupon("Color020"), at(IN_WINDOW));
    assert!(card.class_list().contains("cw-bg-2c9f67"), "{}", card.class_name());
    assert_eq!(computed(&card, "background-color"), "rgb(44, 159, 103)", "Color020 is #2c9f67");
    assert_eq!(text(&card, ".cw-card__name"), "商家券");
    assert_eq!(text(&card, ".cw-card__value"), "¥0.05", "discount_amount is 5 fen");
    assert_eq!(text(&card, ".cw-card__condition"), "满¥1可用", "transaction_minimum is 100 fen");
    assert_eq!(text(&card, ".cw-card__validity"), "2019.12.30 – 2019.12.31");
    assert_eq!(text(&card, ".cw-card__merchant-name"), "微信支付");
    assert_eq!(text(&card, ".cw-card__slots"), "每周一、周二 01:00–23:59");
    assert!(card.query_selector(".cw-card__stamp").unwrap().is_none());
}

#[wasm_bindgen_test]
fn an_unknown_colour_name_falls_back_to_the_default() {
    let card = render(seed_coupon("xxxxx"), at(IN_WINDOW));
    assert_eq!(computed(&card, "background-color"), "rgb(99, 179, 89)");
}

#[wasm_bindgen_test]
fn every_palette_colour_renders_with_readable_text_in_both_schemes() {
    for scheme in ["light", "dark"] {
        for name in coupon_rules::palette::names() {
            let card = render_in(seed_coupon(name), at(IN_WINDOW), scheme);
            let bg = computed(&card, "background-color");
            let fg = computed(&card, "color");
            assert_ne!(bg, "rgba(0, 0, 0, 0)", "{name} has a background");
            // 4.5:1 everywhere (Color050 is drawn two steps darker than WeChat's #9062c0 for it).
            assert!(contrast(&bg, &fg) >= 4.5, "{scheme} {name}: {fg} on {bg} is below 4.5:1");
            // The use button sits on the card in the surface's colours.
            let button = find(&card, ".cw-card__use");
            let (bbg, bfg) = (computed(&button, "background-color"), computed(&button, "color"));
            assert!(contrast(&bbg, &bfg) >= 4.5, "{scheme} {name}'s button: {bfg} on {bbg}");
        }
    }
    // WeChat's colours keep their identity in the dark: the same background either way.
    let light =
        computed(&render_in(seed_coupon("Color020"), at(IN_WINDOW), "light"), "background-color");
    let dark =
        computed(&render_in(seed_coupon("Color020"), at(IN_WINDOW), "dark"), "background-color");
    assert_eq!(light, dark);
}

#[wasm_bindgen_test]
fn the_dark_scheme_draws_light_text_on_a_dark_page_and_greys_used_cards_readably() {
    let mut used = seed_coupon("Color020");
    used.state = coupon_rules::CouponState::Used;
    for scheme in ["light", "dark"] {
        let card = render_in(used.clone(), at(IN_WINDOW), scheme);
        let host = card.closest(".cw-root").unwrap().unwrap();
        let (page, text) = (computed(&host, "background-color"), computed(&host, "color"));
        assert!(contrast(&page, &text) >= 4.5, "{scheme}: {text} on {page}");
        let (bg, fg) = (computed(&card, "background-color"), computed(&card, "color"));
        assert!(contrast(&bg, &fg) >= 4.5, "{scheme} used card: {fg} on {bg}");
        let dark_page = luminance_of(&page) < 0.1;
        assert_eq!(dark_page, scheme == "dark", "{scheme}: the page is {page}");
    }
}

#[wasm_bindgen_test]
fn a_used_coupon_is_greyed_with_a_stamp_and_no_use_button() {
    let mut c = seed_coupon("Color020");
    c.state = coupon_rules::CouponState::Used;
    let card = render(c, at(IN_WINDOW));
    assert!(card.class_list().contains("cw-card--used"));
    assert_eq!(text(&card, ".cw-card__stamp"), "已使用");
    assert!(text(&card, ".cw-card__used-at").contains("2019.12.30"));
    assert!(find(&card, ".cw-card__use").has_attribute("disabled"));
}

#[wasm_bindgen_test]
fn outside_its_window_the_seed_coupon_reads_expired() {
    let card = render(seed_coupon("Color020"), at("2025-05-20T12:00:00+08:00"));
    assert!(card.class_list().contains("cw-card--expired"));
    assert_eq!(text(&card, ".cw-card__stamp"), "已过期");
}

/// WCAG contrast ratio of two `rgb(r, g, b)` colours.
fn contrast(a: &str, b: &str) -> f64 {
    let (x, y) = (luminance_of(a), luminance_of(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// WCAG relative luminance of an `rgb(r, g, b)` colour.
fn luminance_of(rgb: &str) -> f64 {
    let parts: Vec<f64> = rgb
        .trim_start_matches("rgba(")
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .take(3)
        .map(|p| p.trim().parse::<f64>().unwrap() / 255.0)
        .collect();
    let f = |c: f64| if c <= 0.03928 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) };
    0.2126 * f(parts[0]) + 0.7152 * f(parts[1]) + 0.0722 * f(parts[2])
}
