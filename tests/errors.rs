//! What the wallet shows for each failure the proxy reports: words in the page's language
//! (never WeChat's raw code), 重试 only when retrying can help, and a partial list that names
//! what is missing.

mod support;

use coupon_rules::api::{CouponPage, ErrorBody, ErrorCode, ErrorInfo, MissingSource, WalletSource};
use coupon_rules::Lang;
use coupon_widget::components::wallet::Wallet;
use coupon_widget::Options;
use leptos::prelude::*;
use support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn error(code: &str, upstream: Option<&str>, retryable: bool) -> String {
    // The code as the proxy writes it on the wire.
    let info = ErrorInfo {
        code: serde_json::from_value(serde_json::json!(code)).unwrap(),
        message: "服务端的中文消息".into(),
        retryable,
        login_url: None,
        upstream_code: upstream.map(str::to_owned),
    };
    serde_json::to_string(&ErrorBody { error: info }).unwrap()
}

async fn wallet_showing(status: u16, body: &str, lang: Lang) -> web_sys::HtmlElement {
    wallet_with(status, body, Options { lang, ..Options::default() }).await
}

async fn wallet_with(status: u16, body: &str, options: Options) -> web_sys::HtmlElement {
    let _fetch = FakeFetch::new(&respond(status, body));
    let host = host();
    leptos::mount::mount_to(host.clone(), move || view! { <Wallet options=options/> }).forget();
    for _ in 0..20 {
        tick().await;
        if host.query_selector(".cw-error, .cw-list, .cw-notice").unwrap().is_some() {
            break;
        }
    }
    host
}

#[wasm_bindgen_test]
async fn each_code_is_worded_in_the_pages_language_and_offers_retry_only_when_it_helps() {
    let cases = [
        ("MERCHANT_SETUP", Some("NOAUTH"), false, "商家服务配置有误", "not set up right"),
        ("MERCHANT_SETUP", Some("PARAM_ERROR"), false, "商家服务配置有误", "not set up right"),
        ("USER_NOT_FOUND", Some("USER_NOT_EXISTS"), false, "未找到你的券", "No coupons found"),
        ("NOT_FOUND", Some("RESOURCE_NOT_EXISTS"), false, "券不存在", "no longer exists"),
        ("UPSTREAM_BUSY", Some("FREQUENCY_LIMITED"), true, "操作太频繁", "Too many requests"),
        (
            "UPSTREAM_ERROR",
            Some("SYSTEM_ERROR"),
            true,
            "微信支付暂时出错",
            "WeChat Pay had a problem",
        ),
        ("CLAIM_REJECTED", Some("RULELIMIT"), false, "已达到领取上限", "claim limit"),
        ("CLAIM_REJECTED", Some("NOT_ENOUGH"), false, "已被领完", "all been claimed"),
        ("CLAIM_REJECTED", Some("USER_ACCOUNT_ABNORMAL"), false, "账户异常", "cannot use coupons"),
        ("UPSTREAM_TIMEOUT", None, true, "超时", "did not answer in time"),
    ];
    for (code, upstream, retryable, zh, en) in cases {
        for (lang, words) in [(Lang::ZhCn, zh), (Lang::En, en)] {
            let host = wallet_showing(502, &error(code, upstream, retryable), lang).await;
            let shown = text(&host, ".cw-error");
            assert!(shown.contains(words), "{code}/{upstream:?} in {lang:?}: {shown}");
            assert!(
                !shown.contains("服务端的中文消息"),
                "the widget's own wording, not the server's: {shown}"
            );
            if let Some(raw) = upstream {
                assert!(!shown.contains(raw), "no raw WeChat code: {shown}");
            }
            assert_eq!(
                host.query_selector(".cw-error button").unwrap().is_some(),
                retryable,
                "{code}: 重试 only when it can help"
            );
            host.remove();
        }
    }
}

#[wasm_bindgen_test]
async fn a_partial_list_names_the_missing_source_and_offers_retry() {
    let missing = vec![MissingSource {
        source: WalletSource::Balance,
        error: ErrorInfo {
            code: ErrorCode::MerchantSetup,
            message: "m".into(),
            retryable: false,
            login_url: None,
            upstream_code: Some("NOAUTH".into()),
        },
    }];
    let page = CouponPage { limit: 20, missing, truncated: true, ..CouponPage::default() };
    let body = serde_json::to_string(&page).unwrap();
    let host = wallet_showing(200, &body, Lang::ZhCn).await;
    let notice = text(&host, ".cw-notice--partial");
    assert!(notice.contains("消费金"), "{notice}");
    assert!(host.query_selector(".cw-notice--partial button").unwrap().is_some());
    assert!(host.text_content().unwrap().contains("仅显示了一部分"), "a capped list says so");
    host.remove();
    let host = wallet_showing(200, &body, Lang::En).await;
    assert!(text(&host, ".cw-notice--partial").contains("balances"));
    host.remove();
}

#[wasm_bindgen_test]
async fn the_login_link_goes_to_the_apis_origin_and_comes_back_to_this_page() {
    let unauthenticated = |login: &str| {
        let info = ErrorInfo {
            code: ErrorCode::Unauthenticated,
            message: "请先登录".into(),
            retryable: false,
            login_url: Some(login.into()),
            upstream_code: None,
        };
        serde_json::to_string(&ErrorBody { error: info }).unwrap()
    };
    let location = web_sys::window().unwrap().location();
    let (origin, page) = (
        location.origin().unwrap(),
        format!("{}{}", location.pathname().unwrap(), location.search().unwrap()),
    );
    let encode = |s: &str| String::from(js_sys::encode_uri_component(s));
    let cases = [
        // The API on the page's origin: back by path.
        (
            "/api/v1",
            "/api/v1/dev/login",
            format!("{origin}/api/v1/dev/login?redirect={}", encode(&page)),
        ),
        // On another origin (data-api-base): the login is there, and back by whole address.
        (
            "https://api.shop.example/api/v1",
            "/api/v1/oauth/login",
            format!(
                "https://api.shop.example/api/v1/oauth/login?redirect={}",
                encode(&format!("{origin}{page}"))
            ),
        ),
        // A proxy told its --public-origin names it itself.
        (
            "https://api.shop.example/api/v1",
            "https://login.shop.example/api/v1/oauth/login",
            format!(
                "https://login.shop.example/api/v1/oauth/login?redirect={}",
                encode(&format!("{origin}{page}"))
            ),
        ),
    ];
    for (base, login, expected) in cases {
        let host = wallet_with(
            401,
            &unauthenticated(login),
            Options { api_base: base.into(), ..Options::default() },
        )
        .await;
        let href = find(&host, ".cw-error a").get_attribute("href").unwrap();
        assert_eq!(href, expected, "API at {base}, login at {login}");
        host.remove();
    }
}
