//! Helpers for the headless-browser tests: a fresh host element with the widget's real
//! stylesheet, and DOM queries.
#![allow(dead_code)]

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, HtmlElement};

/// WeChat's documented 商家券 (busifavor detail 001): the seed every widget test varies.
pub const SEED_001: &str = include_str!("../../rules/tests/fixtures/busifavor_detail_001.json");

/// The seed coupon as the rules engine reads it.
pub fn seed() -> coupon_rules::Coupon {
    coupon_rules::wire::parse_merchant_coupon(SEED_001.as_bytes()).expect("the seed parses")
}

/// A moment in Beijing time, written as RFC 3339.
pub fn at(s: &str) -> coupon_rules::BeijingTime {
    coupon_rules::BeijingTime::parse_rfc3339(s).expect("an RFC 3339 time")
}

/// A wallet page of no coupons that says `available` are waiting, as the proxy writes it.
pub fn empty_page(available: usize) -> String {
    let counts =
        coupon_rules::wallet::TabCounts { available, used: 0, expired: 0, expired_pending: false };
    let page =
        coupon_rules::api::CouponPage { total: available, limit: 50, counts, ..Default::default() };
    serde_json::to_string(&page).expect("a page serialises")
}

pub fn document() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

/// A new `.cw-root` host in the page, with `style/widget.css` loaded once.
pub fn host() -> HtmlElement {
    let doc = document();
    if doc.get_element_by_id("cw-test-style").is_none() {
        let style = doc.create_element("style").unwrap();
        style.set_id("cw-test-style");
        style.set_text_content(Some(include_str!("../../style/widget.css")));
        doc.head().unwrap().append_child(&style).unwrap();
    }
    let el: HtmlElement = doc.create_element("div").unwrap().dyn_into().unwrap();
    el.set_class_name("cw-root");
    el.style().set_property("width", "390px").unwrap();
    // Sheets open at once, as under prefers-reduced-motion: a test looks at a sheet the moment
    // it opens (e2e/tests/motion.rs checks that it rises).
    el.style().set_property("--cw-motion", "0s").unwrap();
    doc.body().unwrap().append_child(&el).unwrap();
    el
}

pub fn find(root: &Element, selector: &str) -> Element {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector} in {}", root.outer_html()))
}

pub fn text(root: &Element, selector: &str) -> String {
    find(root, selector).text_content().unwrap_or_default()
}

pub fn computed(el: &Element, property: &str) -> String {
    web_sys::window()
        .unwrap()
        .get_computed_style(el)
        .unwrap()
        .unwrap()
        .get_property_value(property)
        .unwrap()
}

/// Lets the browser run pending tasks (effects, event handlers).
/// Waits `ms` milliseconds of real time.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

pub async fn tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 10)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Records the `detail` (as JSON text) of every `name` event reaching `el`.
pub fn record_events(
    el: &Element,
    name: &str,
) -> std::rc::Rc<std::cell::RefCell<Vec<serde_json::Value>>> {
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = seen.clone();
    let listener = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::CustomEvent)>::new(
        move |e: web_sys::CustomEvent| {
            let text = js_sys::JSON::stringify(&e.detail()).unwrap().as_string().unwrap();
            sink.borrow_mut().push(serde_json::from_str(&text).unwrap());
        },
    );
    el.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref()).unwrap();
    listener.forget();
    seen
}

pub fn click(root: &Element, selector: &str) {
    find(root, selector).dyn_into::<HtmlElement>().unwrap().click();
}

pub fn active_element() -> Option<Element> {
    document().active_element()
}

/// Waits for `n` animation frames (scroll events are delivered with the next frame).
pub async fn frames(n: usize) {
    for _ in 0..n {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            web_sys::window().unwrap().request_animation_frame(&resolve).unwrap();
        });
        wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
    }
}

/// The rows a windowed list has drawn: (index, top, bottom) in viewport coordinates.
pub fn drawn_rows(list: &Element) -> Vec<(usize, f64, f64)> {
    let rows = list.query_selector_all(":scope > .cw-window__row").unwrap();
    (0..rows.length())
        .map(|i| {
            let row: Element = rows.item(i).unwrap().dyn_into().unwrap();
            let rect = row.get_bounding_client_rect();
            (row.get_attribute("data-index").unwrap().parse().unwrap(), rect.top(), rect.bottom())
        })
        .collect()
}

pub fn viewport_height() -> f64 {
    web_sys::window().unwrap().inner_height().unwrap().as_f64().unwrap()
}

/// Replaces `window.fetch` with `body` (a JS function body of `(request, log)`) until dropped;
/// every request is pushed to `log` first.
pub struct FakeFetch {
    original: JsValue,
    log: js_sys::Array,
}

impl FakeFetch {
    pub fn new(body: &str) -> FakeFetch {
        let window = web_sys::window().unwrap();
        let original = js_sys::Reflect::get(&window, &"fetch".into()).unwrap();
        let log = js_sys::Array::new();
        let answer =
            js_sys::Function::new_with_args("request, log", &format!("log.push(request); {body}"));
        let fake = js_sys::Function::new_with_args(
            "answer, log",
            "return (request) => answer(request, log);",
        )
        .call2(&JsValue::NULL, &answer, &log)
        .unwrap();
        js_sys::Reflect::set(&window, &"fetch".into(), &fake).unwrap();
        FakeFetch { original, log }
    }

    pub fn request(&self, i: u32) -> web_sys::Request {
        self.log.get(i).dyn_into().unwrap()
    }

    /// How many requests were sent.
    pub fn count(&self) -> u32 {
        self.log.length()
    }
}

impl Drop for FakeFetch {
    fn drop(&mut self) {
        js_sys::Reflect::set(&web_sys::window().unwrap(), &"fetch".into(), &self.original).unwrap();
    }
}

pub fn respond(status: u16, body: &str) -> String {
    format!(
        "return Promise.resolve(new Response({}, {{ status: {status}, headers: {{ 'Content-Type': 'application/json' }} }}));",
        serde_json::to_string(body).unwrap()
    )
}

/// Offers the widget a codes module the way the page's loader does (a function on the host
/// element resolving to the module's exports), its exports backed by `coupon_codes` itself.
/// `fails`: the first `fails` loads reject, as a lost connection would.
pub fn offer_codes(host: &Element, fails: u32) {
    use wasm_bindgen::closure::Closure;
    let exports = js_sys::Object::new();
    let json = |d: Option<coupon_codes::Drawing>| d.map(|d| serde_json::to_string(&d).unwrap());
    let qr = Closure::<dyn Fn(String) -> Option<String>>::new(move |text: String| {
        json(coupon_codes::qr(&text))
    });
    let barcode = Closure::<dyn Fn(String) -> Option<String>>::new(move |text: String| {
        json(coupon_codes::barcode(&text))
    });
    js_sys::Reflect::set(&exports, &"qr".into(), qr.as_ref()).unwrap();
    js_sys::Reflect::set(&exports, &"barcode".into(), barcode.as_ref()).unwrap();
    qr.forget();
    barcode.forget();
    let left = std::cell::Cell::new(fails);
    let load = Closure::<dyn Fn() -> js_sys::Promise>::new(move || {
        if left.get() > 0 {
            left.set(left.get() - 1);
            js_sys::Promise::reject(&JsValue::from_str("network"))
        } else {
            js_sys::Promise::resolve(&JsValue::from(&exports))
        }
    });
    js_sys::Reflect::set(host, &coupon_widget::codes::CODES_PROPERTY.into(), load.as_ref())
        .unwrap();
    load.forget();
    coupon_widget::codes::offer(host);
}
