//! The smallest bundle the widget could be while keeping its two foundations: Leptos (here
//! one counter, the framework's own floor) and the rules engine doing everything the widget
//! asks of it (read a page of coupons and an order from the proxy's JSON, rank, word each
//! card and each reason). No card, list, sheet, picker or fetch. `scripts/bench.sh` builds it
//! with the widget's profile and prints its gzip size beside the widget's budget.

use coupon_rules::api::CouponPage;
use coupon_rules::{from_json, rank, text, BeijingTime, Lang, Order};
use wasm_bindgen::prelude::*;

/// Reads a coupon page and an order, ranks, and returns every text a card and a reason show.
#[wasm_bindgen]
pub fn card_texts(page: &str, order: &str, now_ms: f64, lang: &str) -> Result<String, String> {
    let coupons = from_json::<CouponPage>(page.as_bytes()).map_err(|e| e.to_string())?.coupons;
    let order: Order = from_json(order.as_bytes()).map_err(|e| e.to_string())?;
    let (now, lang) = (BeijingTime::from_unix_millis(now_ms as i64), Lang::from_tag(lang));
    let ranking = rank(&coupons, &order, now);
    let mut out = String::new();
    for c in &coupons {
        for part in
            [text::value(&c.kind, lang), text::condition(&c.kind, lang), text::validity(c, lang)]
        {
            out += &part;
            out.push('\n');
        }
    }
    for n in &ranking.not_applicable {
        out += &text::reason(&n.reason, &coupons[n.index], now, lang);
        out.push('\n');
    }
    Ok(out)
}

/// Leptos's floor: a counter mounted into the page.
#[wasm_bindgen(start)]
pub fn start() {
    use leptos::prelude::*;
    leptos::mount::mount_to_body(|| {
        let (count, set_count) = signal(0);
        view! { <button on:click=move |_| set_count.update(|n| *n += 1)>{count}</button> }
    });
}
