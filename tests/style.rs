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

/// The browser's own CSS parser lists the rules: each selector is declared in one place, so
/// that a reader (or a host page's override) finds all of a class's styles together.
#[wasm_bindgen_test]
fn no_selector_is_declared_twice() {
    let get = |target: &wasm_bindgen::JsValue, name: &str| {
        js_sys::Reflect::get(target, &name.into()).expect("a CSSOM property")
    };
    let document = web_sys::window().unwrap().document().unwrap();
    let style = document.create_element("style").unwrap();
    style.set_text_content(Some(CSS));
    document.head().unwrap().append_child(&style).unwrap();
    let rules = get(&get(&style, "sheet"), "cssRules");
    let count = get(&rules, "length").as_f64().unwrap() as u32;
    let mut seen = std::collections::HashSet::new();
    let mut twice = Vec::new();
    for i in 0..count {
        let rule = js_sys::Reflect::get_u32(&rules, i).unwrap();
        let Some(selectors) = get(&rule, "selectorText").as_string() else { continue };
        for selector in top_level(&selectors) {
            if !seen.insert(selector.clone()) {
                twice.push(selector);
            }
        }
    }
    style.remove();
    assert!(count > 100, "the browser read {count} rules");
    assert!(twice.is_empty(), "declared in more than one rule: {twice:?}");
}

/// The dark scheme gives every colour a value: nothing the light block colours is left light
/// on a dark page.
#[wasm_bindgen_test]
fn every_colour_has_a_dark_value() {
    let block = |selector: &str| -> Vec<(String, String)> {
        let css = rules();
        let start = css.find(&format!("{selector} {{")).unwrap_or_else(|| panic!("{selector}"));
        let body = &css[start + selector.len() + 2..];
        let body = &body[..body.find('}').unwrap()];
        body.split(';')
            .filter_map(|d| d.split_once(':'))
            .map(|(p, v)| (p.trim().to_owned(), v.trim().to_owned()))
            .collect()
    };
    let light = block(".cw-root");
    let dark = block(".cw-root[data-cw-scheme=\"dark\"]");
    let colours: Vec<&String> = light
        .iter()
        .filter(|(p, v)| p.starts_with("--cw-") && (v.contains('#') || v.contains("rgb")))
        .map(|(p, _)| p)
        .collect();
    assert!(colours.len() >= 15, "the light block's colours: {colours:?}");
    let missing: Vec<&&String> =
        colours.iter().filter(|p| !dark.iter().any(|(d, _)| d == **p)).collect();
    assert!(missing.is_empty(), "colours without a dark value: {missing:?}");
    assert!(dark.iter().any(|(p, v)| p == "color-scheme" && v == "dark"));
}

/// The selectors of a selector list: split at commas outside parentheses (`:is(a, b)` is one).
fn top_level(list: &str) -> Vec<String> {
    let (mut out, mut current, mut depth) = (Vec::new(), String::new(), 0);
    for c in list.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut current).trim().to_owned());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current.trim().to_owned());
    out
}
