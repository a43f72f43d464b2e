//! The coupon code drawn for a till's scanner: a QR code and a Code 128 barcode, each as one
//! SVG path. Built on its own into a small wasm module (feature `module`) that the widget
//! loads only when a use sheet first shows a code, so the encoders stay out of the bundle
//! every page downloads. The widget reads [`Drawing`] from the module's JSON.

pub mod code128;

use serde::{Deserialize, Serialize};

/// A code drawn in modules: a `width` × `height` viewBox with the quiet zone included, and one
/// path of the dark modules (the light background is the widget's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drawing {
    pub width: u32,
    pub height: u32,
    pub path: String,
}

/// Quiet zone around the QR code, in modules (the standard asks for 4).
const QR_BORDER: i32 = 4;
/// Quiet zone each side of the barcode, in modules (the standard asks for 10).
const BAR_QUIET: u32 = 10;
/// The barcode's height, in modules.
const BAR_HEIGHT: u32 = 40;

/// `text` as a QR code (error correction level M); `None` when it is too long for one.
pub fn qr(text: &str) -> Option<Drawing> {
    let code = qrcodegen::QrCode::encode_text(text, qrcodegen::QrCodeEcc::Medium).ok()?;
    let size = code.size();
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if code.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + QR_BORDER, y + QR_BORDER));
            }
        }
    }
    let full = u32::try_from(size + 2 * QR_BORDER).ok()?;
    Some(Drawing { width: full, height: full, path })
}

/// `text` as a Code 128 barcode; `None` when a character is outside printable ASCII.
pub fn barcode(text: &str) -> Option<Drawing> {
    let widths = code128::widths(text)?;
    let mut x = BAR_QUIET;
    let mut path = String::new();
    for (i, w) in widths.iter().enumerate() {
        if i % 2 == 0 {
            path.push_str(&format!("M{x},0h{w}v{BAR_HEIGHT}h-{w}z"));
        }
        x += u32::from(*w);
    }
    Some(Drawing { width: x + BAR_QUIET, height: BAR_HEIGHT, path })
}

/// What the module exports to JavaScript: each takes the code and returns its [`Drawing`] as
/// JSON, or `undefined` when the code cannot be drawn that way.
#[cfg(feature = "module")]
mod module {
    use wasm_bindgen::prelude::*;

    fn json(drawing: Option<super::Drawing>) -> Option<String> {
        drawing.and_then(|d| serde_json::to_string(&d).ok())
    }

    #[wasm_bindgen]
    pub fn qr(text: &str) -> Option<String> {
        json(super::qr(text))
    }

    #[wasm_bindgen]
    pub fn barcode(text: &str) -> Option<String> {
        json(super::barcode(text))
    }
}
