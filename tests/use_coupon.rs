//! 立即使用 per use method, the sheets, and what the host page is told — in real Chromium.
#![cfg(target_arch = "wasm32")]

mod support;

use coupon_rules::model::UseMethod;
use coupon_rules::{BeijingTime, Coupon};
use coupon_widget::components::card::CouponCard;
use coupon_widget::Options;
use leptos::prelude::*;
use support::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn seed(method: UseMethod) -> Coupon {
    let mut c = support::seed();
    c.use_method = method;
    c
}

fn now() -> BeijingTime {
    at("2019-12-30T14:00:00+08:00")
}

fn render(coupon: Coupon, options: Options) -> web_sys::HtmlElement {
    let host = host();
    leptos::mount::mount_to(host.clone(), move || {
        provide_context(options);
        view! { <CouponCard coupon=coupon now=now()/> }
    })
    .forget();
    host
}

/// The proxy answering every request with `coupon`'s detail, read fresh (`delay_ms` later).
fn proxy_reads(coupon: &Coupon, delay_ms: u32) -> FakeFetch {
    let detail = coupon_rules::api::CouponDetail { coupon: coupon.clone(), stale: false };
    let body = serde_json::to_string(&serde_json::to_string(&detail).unwrap()).unwrap();
    FakeFetch::new(&format!(
        "return new Promise((r) => setTimeout(() => r(new Response({body}, {{ status: 200, headers: {{ 'Content-Type': 'application/json' }} }})), {delay_ms}));"
    ))
}

/// The seed's card, to be used at the till, its codes module failing `codes_fail` times and the
/// proxy reading the coupon as `fresh` (`delay_ms` later); sheets left open are closed first.
async fn offline_card(
    fresh: &Coupon,
    delay_ms: u32,
    codes_fail: u32,
) -> (web_sys::HtmlElement, FakeFetch) {
    close_every_sheet().await;
    let proxy = proxy_reads(fresh, delay_ms);
    let host = render(seed(UseMethod::Offline), Options::default());
    offer_codes(&host, codes_fail);
    (host, proxy)
}

/// Waits (up to two seconds) until `selector` is in `root`.
async fn shown(root: &web_sys::Element, selector: &str) -> web_sys::Element {
    for _ in 0..200 {
        if let Some(el) = root.query_selector(selector).unwrap() {
            return el;
        }
        tick().await;
    }
    panic!("no {selector} in {}", root.outer_html())
}

#[wasm_bindgen_test]
async fn offline_opens_a_sheet_whose_qr_code_decodes_to_the_coupon_code() {
    let (host, _proxy) = offline_card(&seed(UseMethod::Offline), 0, 0).await;
    let uses = record_events(&host, "cw:use");
    click(&host, ".cw-card__use");
    let sheet = shown(&host, "[role=dialog]").await;
    shown(&sheet, ".cw-code").await;
    assert_eq!(text(&sheet, ".cw-code"), "1234 4656 5767");
    assert_eq!(decode_qr(&find(&sheet, "svg.cw-qr")).await, "123446565767");
    assert!(sheet.query_selector("svg.cw-barcode").unwrap().is_some());
    assert_eq!(uses.borrow().len(), 1);
    assert_eq!(uses.borrow()[0]["method"], "offline");
    assert_eq!(uses.borrow()[0]["code"], "123446565767");
}

#[wasm_bindgen_test]
async fn a_codes_module_that_fails_to_load_is_said_and_tried_again_on_retry() {
    let (host, _proxy) = offline_card(&seed(UseMethod::Offline), 0, 1).await;
    click(&host, ".cw-card__use");
    let sheet = shown(&host, "[role=dialog]").await;
    shown(&sheet, "[role=alert]").await;
    assert!(sheet.query_selector("svg.cw-qr").unwrap().is_none());
    assert!(
        text(&sheet, "[role=alert]").contains("二维码未能加载"),
        "the user is told: {}",
        sheet.inner_html()
    );
    assert_eq!(text(&sheet, ".cw-code"), "1234 4656 5767", "the code stays readable");
    click(&sheet, "[role=alert] button");
    tick().await;
    assert!(sheet.query_selector("[role=alert]").unwrap().is_none());
    assert_eq!(
        decode_qr(&find(&sheet, "svg.cw-qr")).await,
        "123446565767",
        "the second load draws the code"
    );
}

#[wasm_bindgen_test]
async fn a_code_shows_only_once_the_proxy_has_read_the_coupon_as_still_usable() {
    let (host, proxy) = offline_card(&seed(UseMethod::Offline), 300, 0).await;
    click(&host, ".cw-card__use");
    tick().await;
    let sheet = find(&host, "[role=dialog]");
    assert!(text(&sheet, ".cw-use__checking").contains("正在确认"), "{}", sheet.inner_html());
    assert!(sheet.query_selector(".cw-code").unwrap().is_none(), "no code before the answer");
    let asked = proxy.request(0);
    assert!(asked.url().contains("/coupons/merchant/123446565767"), "{}", asked.url());
    assert_eq!(asked.cache(), web_sys::RequestCache::NoCache, "past the browser's cache");
    shown(&sheet, ".cw-code").await;
    assert_eq!(text(&sheet, ".cw-code"), "1234 4656 5767");
    assert!(sheet.query_selector(".cw-use__checking").unwrap().is_none());
    click(&host, ".cw-sheet__close");
    tick().await;
}

#[wasm_bindgen_test]
async fn a_coupon_used_or_expired_since_the_list_shows_no_code_and_no_answer_shows_it() {
    let mut used = seed(UseMethod::Offline);
    used.state = coupon_rules::CouponState::Used;
    used.used_at = Some(at("2019-12-30T14:05:00+08:00"));
    let mut expired = seed(UseMethod::Offline);
    expired.state = coupon_rules::CouponState::Expired;
    for (fresh, says) in [(used, "已使用"), (expired, "已过期")] {
        let (host, _proxy) = offline_card(&fresh, 0, 0).await;
        click(&host, ".cw-card__use");
        let ended = shown(&host, ".cw-use--used").await;
        assert!(ended.text_content().unwrap().contains(says), "{}", host.inner_html());
        assert!(host.query_selector(".cw-code").unwrap().is_none(), "{says}: no code");
        click(&host, ".cw-sheet__close");
        tick().await;
    }
    // Offline, or the proxy failing: the code shows, and the till decides.
    close_every_sheet().await;
    let _proxy = FakeFetch::new("return Promise.reject(new TypeError('Failed to fetch'));");
    let host = render(seed(UseMethod::Offline), Options::default());
    offer_codes(&host, 0);
    click(&host, ".cw-card__use");
    assert_eq!(shown(&host, ".cw-code").await.text_content().unwrap(), "1234 4656 5767");
    click(&host, ".cw-sheet__close");
    tick().await;
}

#[wasm_bindgen_test]
async fn a_sheet_takes_focus_closes_on_escape_and_gives_focus_back() {
    let host = render(seed(UseMethod::Offline), Options::default());
    let use_button = find(&host, ".cw-card__use");
    use_button.clone().dyn_into::<web_sys::HtmlElement>().unwrap().focus().unwrap();
    click(&host, ".cw-card__use");
    tick().await;
    let close = find(&host, ".cw-sheet__close");
    assert_eq!(active_element().as_ref(), Some(&close), "focus moves into the sheet");
    assert_eq!(find(&host, "[role=dialog]").get_attribute("aria-modal").as_deref(), Some("true"));
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Escape");
    init.set_bubbles(true);
    close
        .dispatch_event(
            &web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap(),
        )
        .unwrap();
    tick().await;
    assert!(host.query_selector("[role=dialog]").unwrap().is_none(), "Escape closes it");
    assert_eq!(active_element().as_ref(), Some(&use_button), "focus returns to the use button");
}

#[wasm_bindgen_test]
async fn mini_program_outside_a_web_view_tells_the_host_and_offers_the_link() {
    let options = Options {
        mini_program_link: Some("weixin://dl/business/?appid={appid}&path={path}".into()),
        ..Options::default()
    };
    let host = render(
        seed(UseMethod::MiniProgram {
            appid: Some("wx23232232323".into()),
            path: Some("/path/index/index".into()),
        }),
        options,
    );
    let uses = record_events(&host, "cw:use");
    click(&host, ".cw-card__use");
    tick().await;
    assert_eq!(uses.borrow()[0]["method"], "mini_program");
    assert_eq!(uses.borrow()[0]["appid"], "wx23232232323");
    assert_eq!(uses.borrow()[0]["path"], "/path/index/index");
    let link = find(&host, "[role=dialog] a.cw-button");
    assert_eq!(
        link.get_attribute("href").unwrap(),
        "weixin://dl/business/?appid=wx23232232323&path=%2Fpath%2Findex%2Findex"
    );
}

#[wasm_bindgen_test]
async fn mini_program_inside_a_web_view_navigates_through_the_js_sdk() {
    let window = web_sys::window().unwrap();
    let calls = js_sys::Array::new();
    let recorder = calls.clone();
    let navigate =
        wasm_bindgen::closure::Closure::<dyn FnMut(JsValue)>::new(move |arg: JsValue| {
            recorder.push(&js_sys::Reflect::get(&arg, &"url".into()).unwrap());
        });
    let mini = js_sys::Object::new();
    js_sys::Reflect::set(&mini, &"navigateTo".into(), navigate.as_ref()).unwrap();
    let wx = js_sys::Object::new();
    js_sys::Reflect::set(&wx, &"miniProgram".into(), &mini).unwrap();
    js_sys::Reflect::set(&window, &"wx".into(), &wx).unwrap();
    js_sys::Reflect::set(&window, &"__wxjs_environment".into(), &"miniprogram".into()).unwrap();

    // Another merchant's mini-program: not the host's, so no navigateTo (it would open a page
    // of the host's own mini-program); the sheet offers what it can.
    let other = render(
        seed(UseMethod::MiniProgram {
            appid: Some("wx_other".into()),
            path: Some("/pages/use".into()),
        }),
        Options { mini_program_appid: Some("wx1".into()), ..Options::default() },
    );
    click(&other, ".cw-card__use");
    tick().await;
    assert_eq!(
        calls.length(),
        0,
        "another appid is never opened as a path of the host's mini-program"
    );
    assert!(other.query_selector("[role=dialog]").unwrap().is_some());

    let host = render(
        seed(UseMethod::MiniProgram { appid: Some("wx1".into()), path: Some("/pages/use".into()) }),
        Options { mini_program_appid: Some("wx1".into()), ..Options::default() },
    );
    click(&host, ".cw-card__use");
    tick().await;
    js_sys::Reflect::delete_property(&window, &"wx".into()).unwrap();
    js_sys::Reflect::delete_property(&window, &"__wxjs_environment".into()).unwrap();
    drop(navigate);
    assert_eq!(calls.length(), 1);
    assert_eq!(calls.get(0).as_string().unwrap(), "/pages/use");
    assert!(host.query_selector("[role=dialog]").unwrap().is_none(), "the mini-program takes over");
}

#[wasm_bindgen_test]
async fn payment_code_tells_the_user_and_the_host() {
    let host = render(seed(UseMethod::PaymentCode), Options::default());
    let uses = record_events(&host, "cw:use");
    click(&host, ".cw-card__use");
    tick().await;
    assert_eq!(uses.borrow()[0]["method"], "payment_code");
    assert!(text(&host, "[role=dialog] .cw-use__hint").contains("付款码"));
}

#[wasm_bindgen_test]
fn self_consume_is_shown_as_not_supported() {
    let host = render(seed(UseMethod::SelfConsume), Options::default());
    let button = find(&host, ".cw-card__use");
    assert!(button.has_attribute("disabled"));
    assert_eq!(button.text_content().unwrap().trim(), "暂不支持");
}

#[wasm_bindgen_test]
async fn the_detail_sheet_shows_every_rule_and_the_entrances() {
    let host = render(seed(UseMethod::Offline), Options::default());
    let entrances = record_events(&host, "cw:entrance");
    click(&host, ".cw-card__open");
    tick().await;
    let sheet = find(&host, "[role=dialog]");
    let all = sheet.text_content().unwrap();
    for expected in [
        "xxx门店可用",
        "每周一、周二 01:00–23:59",
        "2015.05.20 13:29 – 2015.05.20 13:29",
        "123446565767",
        "微信支付",
        "xxx商品可用",
        "获取更多优惠",
        "查看门店",
        "去营销馆",
    ] {
        assert!(all.contains(expected), "{expected} in {all}");
    }
    for raw_id in ["233554655", "233455656", "wx324345hgfhfghfg"] {
        assert!(!all.contains(raw_id), "ids become actions, never text: {raw_id} in {all}");
    }
    assert!(
        sheet.query_selector(".cw-detail__image").unwrap().is_none(),
        "\"图片cdn地址\" is no https URL, so no image"
    );
    let button = find(&sheet, ".cw-detail__entrance .cw-button");
    assert_eq!(button.text_content().unwrap(), "欢迎选购");
    button.dyn_into::<web_sys::HtmlElement>().unwrap().click();
    assert_eq!(entrances.borrow()[0]["appid"], "wx234545656765876");
    let buttons = sheet.query_selector_all(".cw-detail__entrance .cw-button").unwrap();
    for i in 1..buttons.length() {
        buttons.item(i).unwrap().dyn_into::<web_sys::HtmlElement>().unwrap().click();
    }
    let told: Vec<(String, String)> = entrances
        .borrow()
        .iter()
        .skip(1)
        .map(|e| {
            let id = ["appid", "hall_id", "store_id"]
                .iter()
                .find_map(|k| e[*k].as_str())
                .unwrap_or_default();
            (e["type"].as_str().unwrap().to_owned(), id.to_owned())
        })
        .collect();
    assert_eq!(
        told,
        [
            ("official_account".into(), "wx324345hgfhfghfg".into()),
            ("hall".into(), "233455656".into()),
            ("store".into(), "233554655".into())
        ],
        "the host gets the ids to open"
    );
    assert!(entrances.borrow().iter().all(|e| e["coupon_id"] == "123446565767"));
}

/// Draws the SVG into a canvas and decodes it as a camera would.
async fn decode_qr(svg: &web_sys::Element) -> String {
    const PX: u32 = 400;
    let markup =
        svg.outer_html().replacen("<svg ", &format!("<svg width=\"{PX}\" height=\"{PX}\" "), 1);
    let parts = js_sys::Array::of1(&JsValue::from_str(&markup));
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type("image/svg+xml");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &bag).unwrap();
    let url = web_sys::Url::create_object_url_with_blob(&blob).unwrap();
    let img = web_sys::HtmlImageElement::new().unwrap();
    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
        img.set_onload(Some(&resolve));
        img.set_onerror(Some(&reject));
    });
    img.set_src(&url);
    JsFuture::from(loaded).await.expect("the SVG loads as an image");
    let canvas: web_sys::HtmlCanvasElement =
        support::document().create_element("canvas").unwrap().dyn_into().unwrap();
    canvas.set_width(PX);
    canvas.set_height(PX);
    let ctx: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
    ctx.draw_image_with_html_image_element_and_dw_and_dh(
        &img,
        0.0,
        0.0,
        f64::from(PX),
        f64::from(PX),
    )
    .unwrap();
    let data = ctx.get_image_data(0.0, 0.0, f64::from(PX), f64::from(PX)).unwrap().data();
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(PX as usize, PX as usize, |x, y| {
            data[(y * PX as usize + x) * 4]
        });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code found");
    grids[0].decode().expect("it decodes").1
}

/// Closes the sheets earlier tests left open (they would go on asking).
async fn close_every_sheet() {
    let closers = support::document().query_selector_all(".cw-sheet__close").unwrap();
    for i in 0..closers.length() {
        closers.item(i).unwrap().unchecked_into::<web_sys::HtmlElement>().click();
    }
    tick().await;
}

// The test runner's server has no event stream route: its 404 closes the sheet's
// EventSource, so these sheets fall back to asking once a second (the push is e2e/tests/till.rs).
#[wasm_bindgen_test]
async fn an_open_use_sheet_says_used_once_the_proxy_reports_the_till_redeemed_it() {
    close_every_sheet().await;
    let coupon = seed(UseMethod::PaymentCode);
    let mut used = coupon.clone();
    used.state = coupon_rules::CouponState::Used;
    used.used_at = Some(at("2019-12-30T14:05:00+08:00"));
    let detail = coupon_rules::api::CouponDetail { coupon: used, stale: false };
    let fetch = FakeFetch::new(&respond(200, &serde_json::to_string(&detail).unwrap()));
    let host = render(coupon, Options::default());
    click(&host, ".cw-card__use");
    tick().await;
    assert!(host.query_selector(".cw-use--payment-code").unwrap().is_some());
    assert_eq!(fetch.count(), 0, "the first look is a second after the sheet opens");
    sleep(1_300).await;
    let said = text(&host, ".cw-use--used");
    assert!(said.contains("已使用") && said.contains("14:05"), "{said}");
    assert!(host.query_selector(".cw-use--payment-code").unwrap().is_none());
    let asked = fetch.count();
    assert!(asked >= 1);
    sleep(1_300).await;
    assert_eq!(fetch.count(), asked, "a used coupon is not asked about again");
    click(&host, ".cw-sheet__close");
    tick().await;
}

#[wasm_bindgen_test]
async fn a_closed_use_sheet_stops_asking() {
    close_every_sheet().await;
    let coupon = seed(UseMethod::PaymentCode);
    let detail = coupon_rules::api::CouponDetail { coupon: coupon.clone(), stale: false };
    let fetch = FakeFetch::new(&respond(200, &serde_json::to_string(&detail).unwrap()));
    let host = render(coupon, Options::default());
    click(&host, ".cw-card__use");
    sleep(1_200).await;
    assert!(fetch.count() >= 1, "still usable: asked again every second");
    click(&host, ".cw-sheet__close");
    tick().await;
    let asked = fetch.count();
    sleep(2_200).await;
    assert_eq!(fetch.count(), asked, "no request once the sheet is closed");
}
