//! The stylesheet's contract with host pages: every class carries the `cw-` prefix and every
//! colour is a custom property, so a host themes the widget without touching selectors.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const CSS: &str = include_str!("../style/widget.css");

/// The CSS without comments.
fn rules() -> String {
    let mut out = String::new();
    let mut rest = CSS;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start..].find("*/").map_or("", |end| &rest[start + end + 2..]);
    }
    out.push_str(rest);
    out
}

#[wasm_bindgen_test]
fn every_class_carries_the_prefix() {
    let css = rules();
    let mut classes = Vec::new();
    for selector in css.split('{').filter_map(|chunk| chunk.rsplit('}').next()) {
        for part in selector.split('.').skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
                classes.push(name);
            }
        }
    }
    assert!(classes.len() > 40, "found {} classes", classes.len());
    let stray: Vec<&String> = classes.iter().filter(|c| !c.starts_with("cw-")).collect();
    assert!(stray.is_empty(), "classes without the cw- prefix: {stray:?}");
}

#[wasm_bindgen_test]
fn colours_live_only_in_custom_properties() {
    for declaration in rules().split([';', '{', '}']) {
        let d = declaration.trim();
        if d.is_empty() || d.starts_with("--cw-") {
            continue;
        }
        let (property, value) = d.split_once(':').unwrap_or(("", d));
        if property.trim().starts_with('.') || value.is_empty() {
            continue;
        }
        assert!(
            !value.contains('#') && !value.contains("rgb"),
            "a literal colour outside a custom property: {d}"
        );
    }
}
