//! The coupon code's QR code and barcode come from a module of their own (`coupon-codes`,
//! built by trunk beside the widget) that is fetched only when a use sheet first shows a code:
//! the encoders are not in the bundle every page downloads. The page's loader
//! (`scripts/post-build.py`) puts a function on each host element, `couponWidgetCodes`, that
//! imports and starts the module once and resolves to its exports; a load that failed is tried
//! again on the next call.

use coupon_codes::Drawing;
use wasm_bindgen::{JsCast, JsValue};

/// The property of a host element through which the loader offers the codes module.
pub const CODES_PROPERTY: &str = "couponWidgetCodes";

thread_local! {
    /// The loader's function, from the first host element that had one (one module serves
    /// every widget on the page).
    static LOADER: std::cell::RefCell<Option<js_sys::Function>> = const { std::cell::RefCell::new(None) };
}

/// Takes note of the loader's function on a host element (anything else there is ignored).
pub fn offer(host: &web_sys::Element) {
    let offered = js_sys::Reflect::get(host, &CODES_PROPERTY.into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let Some(f) = offered {
        LOADER.with(|l| *l.borrow_mut() = Some(f));
    }
}

/// Offers the codes module to every widget on the page, present or to come: what a bundled
/// app's entry (`index.js` of the npm package) calls, having no host element at hand.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = offerCodes)]
pub fn offer_codes(loader: js_sys::Function) {
    LOADER.with(|l| *l.borrow_mut() = Some(loader));
}

/// A coupon code drawn both ways; either is `None` when the code cannot be drawn that way.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    pub qr: Option<Drawing>,
    pub barcode: Option<Drawing>,
}

/// `text` drawn by the codes module, loading it first if need be. `None` when no module was
/// offered or it could not be loaded (the sheet still shows the code as text).
pub async fn draw(text: &str) -> Option<Drawn> {
    let loader = LOADER.with(|l| l.borrow().clone())?;
    let loading: js_sys::Promise = loader.call0(&JsValue::UNDEFINED).ok()?.dyn_into().ok()?;
    let module = wasm_bindgen_futures::JsFuture::from(loading).await.ok()?;
    let draw = |export: &str| -> Option<Drawing> {
        let encode: js_sys::Function =
            js_sys::Reflect::get(&module, &export.into()).ok()?.dyn_into().ok()?;
        let json = encode.call1(&module, &text.into()).ok()?.as_string()?;
        serde_json::from_str(&json).ok()
    };
    Some(Drawn { qr: draw("qr"), barcode: draw("barcode") })
}
