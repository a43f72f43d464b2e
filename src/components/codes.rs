//! The coupon code as a QR code and a Code 128 barcode, drawn as SVG in the widget.

use crate::code128;
use leptos::prelude::*;

/// Quiet zone around the QR code, in modules (the standard asks for 4).
const QR_BORDER: i32 = 4;

#[component]
pub fn QrCode(text: String, label: String) -> impl IntoView {
    let Ok(qr) = qrcodegen::QrCode::encode_text(&text, qrcodegen::QrCodeEcc::Medium) else {
        return ().into_any();
    };
    let size = qr.size();
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + QR_BORDER, y + QR_BORDER));
            }
        }
    }
    let full = size + 2 * QR_BORDER;
    view! {
        <svg class="cw-qr" viewBox=format!("0 0 {full} {full}") role="img" aria-label=label shape-rendering="crispEdges"
             xmlns="http://www.w3.org/2000/svg">
            <rect width=full.to_string() height=full.to_string() fill="#ffffff"/>
            <path d=path fill="#000000"/>
        </svg>
    }
    .into_any()
}

#[component]
pub fn Barcode(text: String, label: String) -> impl IntoView {
    let Some(widths) = code128::widths(&text) else {
        return ().into_any();
    };
    // Ten modules of quiet zone each side.
    let mut x = 10u32;
    let mut path = String::new();
    for (i, w) in widths.iter().enumerate() {
        if i % 2 == 0 {
            path.push_str(&format!("M{x},0h{w}v40h-{w}z"));
        }
        x += u32::from(*w);
    }
    let full = x + 10;
    view! {
        <svg class="cw-barcode" viewBox=format!("0 0 {full} 40") preserveAspectRatio="none" role="img" aria-label=label
             shape-rendering="crispEdges" xmlns="http://www.w3.org/2000/svg" data-modules=full.to_string()>
            <rect width=full.to_string() height="40" fill="#ffffff"/>
            <path d=path fill="#000000"/>
        </svg>
    }
    .into_any()
}
