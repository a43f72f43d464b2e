//! Right money and whole lists, as a WeChat Pay integrator checks them: every source and
//! state reaches the wallet, one failing source does not blank it, WeChat's error codes get
//! their own answers, and the detail is read fresh.

mod common;
use common::*;
use coupon_sandbox::{CodeFault, Faults};
use serde_json::{json, Value};
use std::collections::HashSet;

fn codes(p: &TestProxy, api: &str, code: &str, times: u32) {
    p.faults(Faults {
        codes: vec![CodeFault::documented(Some(api), code, times)],
        ..Faults::default()
    });
}

#[tokio::test]
async fn the_document_examples_reach_the_wallet_including_document_000s_partner_coupon() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_seed").await;
    let (_, expired) = p.get(&me, "/coupons?tab=expired&limit=50").await;
    let ids = ids(&expired);
    assert!(ids.contains(&"123446565767".to_owned()), "documents 001/003's 商家券: {ids:?}");
    assert!(
        ids.contains(&"98674556".to_owned()),
        "document 000's 消费金, created by merchant 9800064: {ids:?}"
    );
    let c = expired["coupons"].as_array().unwrap().iter().find(|c| c["id"] == "98674556").unwrap();
    assert_eq!(c["reconciliation"]["stock_creator_mchid"], "9800064");
    assert_eq!(c["reconciliation"]["out_request_no"], "example_out_request_no");
}

#[tokio::test]
async fn expired_stock_coupons_and_balances_reach_the_expired_tab_and_nothing_is_listed_twice() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    let (_, expired) = p.get(&me, "/coupons?tab=expired&limit=50").await;
    let ids = ids(&expired);
    assert!(
        ids.contains(&"SBXS000008".to_owned()) && ids.contains(&"SBXS000009".to_owned()),
        "expired 代金券 and 消费金: {ids:?}"
    );
    let mut all = Vec::new();
    for tab in ["available", "used", "expired"] {
        let (_, page) = p.get(&me, &format!("/coupons?tab={tab}&limit=50")).await;
        all.extend(super_ids(&page));
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(
        unique.len(),
        all.len(),
        "coupons found by creator and as usable here are listed once"
    );
}

fn super_ids(body: &Value) -> Vec<(String, String)> {
    body["coupons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["source"].as_str().unwrap().to_owned(), c["id"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn one_failing_source_is_named_and_the_others_are_served() {
    let p = TestProxy::with(|s| {
        s.cache_ttl = std::time::Duration::from_millis(500);
        s.setup_failure_ttl = std::time::Duration::from_millis(500);
    })
    .await;
    let me = p.login("o_sandbox_demo").await;
    codes(&p, "balance_list", "NOAUTH", 100);
    let (status, body) = p.get(&me, "/coupons?limit=50").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["missing"].as_array().unwrap().len(), 1, "{}", body["missing"]);
    assert_eq!(body["missing"][0]["source"], "balance");
    assert_eq!(body["missing"][0]["error"]["code"], "MERCHANT_SETUP");
    assert_eq!(body["missing"][0]["error"]["upstream_code"], "NOAUTH");
    let kinds: HashSet<&str> = body["coupons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["kind"].as_object()?.keys().next().map(String::as_str))
        .collect();
    assert!(
        kinds.contains("fixed_amount") && kinds.contains("cut_to") && !kinds.contains("balance"),
        "{kinds:?}"
    );
    // Soon after (the partial wallet and the refusal are kept briefly) it asks again: back.
    p.faults(Faults::default());
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let (_, whole) = p.get(&me, "/coupons?limit=50").await;
    assert_eq!(whole["missing"], json!([]));
    assert!(whole["coupons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["kind"].get("balance").is_some()));
}

#[tokio::test]
async fn every_page_is_read_and_a_cap_is_reported_never_silent() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_many").await;
    let (_, body) = p.get(&me, "/coupons").await;
    let counts = &body["counts"];
    let total = counts["available"].as_u64().unwrap()
        + counts["used"].as_u64().unwrap()
        + counts["expired"].as_u64().unwrap();
    assert_eq!(total, 300, "240 商家券 over five upstream pages and 60 代金券");
    assert_eq!(body["truncated"], false);

    let capped = TestProxy::with(|s| s.max_upstream_pages = 2).await;
    let me = capped.login("o_sandbox_many").await;
    let (_, body) = capped.get(&me, "/coupons").await;
    assert_eq!(body["truncated"], true, "100 of 240 商家券 read: the API says so");
}

#[tokio::test]
async fn the_detail_is_read_fresh_so_a_coupon_used_elsewhere_shows_as_used() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    let (_, list) = p.get(&me, "/coupons?limit=50").await;
    assert!(ids(&list).contains(&"SBXM000001".to_owned()));
    assert!(p.sandbox().use_merchant_coupon("o_sandbox_demo", "SBXM000001"), "used at a till");
    let (status, detail) = p.get(&me, "/coupons/merchant/SBXM000001").await;
    assert_eq!(status, 200);
    assert_eq!(detail["coupon"]["state"], "used", "{detail}");
    assert_eq!(detail["coupon"]["reconciliation"]["use_request_no"], "SBXUSESBXM000001");
    assert_eq!(detail["coupon"]["reconciliation"]["send_request_no"], "SBXSENDSBXM000001");
    let before = p.calls("merchant_detail");
    let _ = p.get(&me, "/coupons/merchant/SBXM000001").await;
    assert_eq!(
        p.calls("merchant_detail"),
        before,
        "kept briefly: a second look costs no upstream call"
    );
}

#[tokio::test]
async fn a_system_error_with_http_400_is_retried_with_the_same_parameters() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    p.faults(Faults {
        codes: vec![CodeFault {
            api: Some("merchant_list".into()),
            code: "SYSTEM_ERROR".into(),
            status: 400,
            times: 1,
        }],
        ..Faults::default()
    });
    let (status, body) = p.get(&me, "/coupons").await;
    assert_eq!((status, body["missing"].clone()), (200, json!([])), "{body}");
    assert_eq!(p.calls("merchant_list"), 2, "refused once, retried once");

    let csrf = p.csrf(&me).await;
    p.faults(Faults {
        codes: vec![CodeFault {
            api: Some("send_coupon".into()),
            code: "SYSTEM_ERROR".into(),
            status: 400,
            times: 1,
        }],
        ..Faults::default()
    });
    let (status, body) = p.claim(&me, &csrf, "SBX_STOCK_CLAIM_500", "retry-400-key").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(p.calls("send_coupon"), 2);
}

#[tokio::test]
async fn each_wechat_error_code_gets_its_own_answer() {
    // (API, WeChat code) → (status, the API's code, retryable).
    let cases = [
        ("merchant_detail", "PARAM_ERROR", 502, "MERCHANT_SETUP", false),
        ("merchant_detail", "INVALID_REQUEST", 502, "MERCHANT_SETUP", false),
        ("merchant_detail", "NOAUTH", 502, "MERCHANT_SETUP", false),
        ("merchant_detail", "APPID_MCHID_NOT_MATCH", 502, "MERCHANT_SETUP", false),
        ("merchant_detail", "MCH_NOT_EXISTS", 502, "MERCHANT_SETUP", false),
        ("merchant_detail", "USER_NOT_EXISTS", 404, "USER_NOT_FOUND", false),
        ("merchant_detail", "RESOURCE_NOT_EXISTS", 404, "NOT_FOUND", false),
        ("merchant_detail", "FREQUENCY_LIMITED", 503, "UPSTREAM_BUSY", true),
        ("merchant_detail", "SYSTEM_ERROR", 502, "UPSTREAM_ERROR", true),
        ("stock_detail", "APPID_MCHID_NOT_MATCH", 502, "MERCHANT_SETUP", false),
        ("stock_detail", "USER_NOT_EXISTS", 404, "USER_NOT_FOUND", false),
        ("stock_detail", "RESOURCE_NOT_EXISTS", 404, "NOT_FOUND", false),
        ("stock_detail", "FREQUENCY_LIMITED", 503, "UPSTREAM_BUSY", true),
        ("send_coupon", "RULELIMIT", 409, "CLAIM_REJECTED", false),
        ("send_coupon", "RULE_LIMIT", 409, "CLAIM_REJECTED", false),
        ("send_coupon", "NOT_ENOUGH", 409, "CLAIM_REJECTED", false),
        ("send_coupon", "USER_ACCOUNT_ABNORMAL", 409, "CLAIM_REJECTED", false),
    ];
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    let csrf = p.csrf(&me).await;
    let mut messages = HashSet::new();
    for (i, (api, wechat, status, code, retryable)) in cases.into_iter().enumerate() {
        codes(&p, api, wechat, 10);
        let (got, body) = match api {
            "send_coupon" => p.post(&me, Some(&csrf), "/claims", &json!({ "stock_id": "SBX_STOCK_CLAIM_500", "client_key": format!("code-key-{i:04}") })).await,
            "stock_detail" => p.get(&me, &format!("/coupons/stock/NOT_CACHED_{i}")).await,
            _ => p.get(&me, &format!("/coupons/merchant/NOT_CACHED_{i}")).await,
        };
        assert_eq!(
            (
                got,
                body["error"]["code"].as_str().unwrap_or_default(),
                body["error"]["retryable"].as_bool()
            ),
            (status, code, Some(retryable)),
            "{wechat}: {body}"
        );
        assert_eq!(body["error"]["upstream_code"], wechat);
        let message = body["error"]["message"].as_str().unwrap().to_owned();
        assert!(!message.contains(wechat), "the user reads words, not WeChat's code: {message}");
        messages.insert(message);
    }
    assert!(messages.len() >= 8, "precise messages, not one generic 'rejected': {messages:?}");
}

#[tokio::test]
async fn a_stock_issued_at_a_value_the_merchant_sets_is_claimed_with_it() {
    let p = TestProxy::with(|s| {
        s.claim_values.insert("SBX_STOCK_CLAIM_500".into(), (800, 4_000));
    })
    .await;
    let me = p.login("o_sandbox_empty").await;
    let (status, body) = p
        .post_with_csrf(
            &me,
            "/claims",
            &json!({ "stock_id": "SBX_STOCK_CLAIM_500", "client_key": "valued-claim-1" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["coupon"]["kind"],
        json!({ "fixed_amount": { "amount": 800, "threshold": 4000 } })
    );
}

#[tokio::test]
async fn single_item_coupons_carry_the_goods_wechat_pay_lists_for_their_stock() {
    let p = TestProxy::start().await;
    let me = p.login("o_sandbox_demo").await;
    let (_, body) = p.get(&me, "/coupons?limit=50").await;
    let single = body["coupons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "SBXS000003")
        .expect("the demo's 单品券");
    assert_eq!(single["single_item"], true);
    assert_eq!(single["goods_ids"], json!(["SBX-COFFEE"]));
    let whole_order =
        body["coupons"].as_array().unwrap().iter().find(|c| c["id"] == "SBXS000001").unwrap();
    assert_eq!(whole_order["goods_ids"], json!([]), "only 单品券 carry goods");
    assert_eq!(p.calls("stock_items"), 2, "查询可用单品, once for each of the two 单品券 stocks");
    p.running.app.wallets.invalidate("o_sandbox_demo").await.unwrap();
    p.get(&me, "/coupons?limit=50").await;
    assert_eq!(p.calls("stock_items"), 2, "goods are kept for minutes, not asked per wallet");
}

#[tokio::test]
async fn configured_goods_take_the_place_of_wechat_pays_list() {
    let p = TestProxy::with(|s| {
        s.single_item_goods.insert("SBX_FV_NORMAL".into(), vec!["SHOP-42".into()]);
    })
    .await;
    let me = p.login("o_sandbox_demo").await;
    let (_, body) = p.get(&me, "/coupons?limit=50").await;
    let single = body["coupons"].as_array().unwrap().iter().find(|c| c["id"] == "SBXS000003");
    assert_eq!(single.unwrap()["goods_ids"], json!(["SHOP-42"]));
}
