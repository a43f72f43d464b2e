//! The coupon code as a QR code and a Code 128 barcode, drawn as SVG from what the codes
//! module (`crate::codes`) encodes. While the module loads, a placeholder holds the QR code's
//! place; if it cannot load, the user is told and can try again (the code stays readable as
//! text below).

use super::load::Load;
use crate::codes::{self, Drawn};
use crate::i18n::t;
use coupon_codes::Drawing;
use coupon_rules::Lang;
use leptos::prelude::*;

#[component]
pub fn Codes(text: String, lang: Lang) -> impl IntoView {
    let drawn = Load::<Option<Drawn>>::new();
    let text = StoredValue::new(text);
    let load = move || drawn.start(async move { codes::draw(&text.get_value()).await });
    load();
    move || {
        match (drawn.pending.get(), drawn.value.get()) {
        (false, Some(Some(Drawn { qr, barcode }))) => view! {
            {qr.map(|d| svg(d, "cw-qr", t(lang, "券码二维码", "Coupon QR code"), false))}
            {barcode.map(|d| svg(d, "cw-barcode", t(lang, "券码条形码", "Coupon barcode"), true))}
        }
        .into_any(),
        (false, Some(None)) => view! {
            <div class="cw-notice cw-notice--partial" role="alert">
                <p>{t(lang, "二维码未能加载，可向店员出示下方券码", "The QR code did not load; show the code below at the till")}</p>
                <button type="button" class="cw-button cw-button--plain" on:click=move |_| load()>{t(lang, "重试", "Retry")}</button>
            </div>
        }
        .into_any(),
        _ => view! { <div class="cw-qr cw-qr--pending" role="img" aria-busy="true" aria-label=t(lang, "正在生成二维码", "Drawing the QR code")></div> }
            .into_any(),
    }
    }
}

/// One drawing as an SVG image; a barcode stretches to its box, a QR code keeps its square.
fn svg(d: Drawing, class: &'static str, label: &'static str, stretch: bool) -> impl IntoView {
    let view_box = format!("0 0 {} {}", d.width, d.height);
    let (width, height) = (d.width.to_string(), d.height.to_string());
    view! {
        <svg class=class viewBox=view_box preserveAspectRatio=stretch.then_some("none") role="img" aria-label=label
             shape-rendering="crispEdges" xmlns="http://www.w3.org/2000/svg">
            <rect width=width height=height fill="#ffffff"/>
            <path d=d.path fill="#000000"/>
        </svg>
    }
}
