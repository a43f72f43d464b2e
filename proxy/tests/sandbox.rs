//! The sandbox implements the seeds' semantics, reached through the real signed client.

use coupon_proxy::config::Settings;
use coupon_proxy::{MerchantQuery, StockQuery, UpstreamClient as Client, UpstreamError};
use coupon_rules::{CouponKind, CouponState};
use coupon_sandbox::{self as sandbox, identity as id, Sandbox};

async fn sandbox_settings() -> Settings {
    coupon_proxy::dev::sandbox_settings().await.unwrap().0
}

async fn client() -> Client {
    let sb = Sandbox::new(sandbox::DATA).unwrap();
    let addr = sandbox::spawn(sb, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    Client::new(&sandbox_settings().await, format!("http://{addr}")).unwrap()
}

fn stock(q: impl FnOnce(&mut StockQuery)) -> StockQuery {
    let mut s = StockQuery { offset: 0, limit: 100, ..StockQuery::default() };
    q(&mut s);
    s
}

const DEMO: &str = "o_sandbox_demo";

#[tokio::test]
async fn status_sended_returns_usable_and_used_returns_usable_plus_used() {
    let c = client().await;
    let sended = c
        .stock_coupons(
            DEMO,
            id::APPID,
            &stock(|s| {
                s.creator_mchid = Some(id::MCHID.into());
                s.status = Some("SENDED");
            }),
        )
        .await
        .unwrap();
    assert!(sended.coupons.iter().all(|c| c.state == CouponState::Available));
    let used = c
        .stock_coupons(
            DEMO,
            id::APPID,
            &stock(|s| {
                s.creator_mchid = Some(id::MCHID.into());
                s.status = Some("USED");
            }),
        )
        .await
        .unwrap();
    assert!(used.coupons.iter().any(|c| c.state == CouponState::Used));
    assert_eq!(
        used.coupons.len(),
        sended.coupons.len() + used.coupons.iter().filter(|c| c.state == CouponState::Used).count()
    );
}

#[tokio::test]
async fn available_mchid_returns_only_usable_and_ignores_paging() {
    let c = client().await;
    let page = c
        .stock_coupons(
            "o_sandbox_many",
            id::APPID,
            &stock(|s| {
                s.available_mchid = Some(id::MCHID.into());
                s.limit = 5;
                s.offset = 3;
            }),
        )
        .await
        .unwrap();
    assert!(page.coupons.len() > 5, "limit ignored: {}", page.coupons.len());
    assert!(page.coupons.iter().all(|c| c.state == CouponState::Available));
}

#[tokio::test]
async fn the_creator_mchid_wins_over_available_mchid() {
    let c = client().await;
    let both = c
        .stock_coupons(
            DEMO,
            id::APPID,
            &stock(|s| {
                s.creator_mchid = Some(id::MCHID.into());
                s.available_mchid = Some(id::MCHID.into());
            }),
        )
        .await
        .unwrap();
    assert!(
        both.coupons.iter().any(|c| c.state == CouponState::Used),
        "creator semantics: used ones too"
    );
}

#[tokio::test]
async fn multiuse_returns_only_balances_and_the_plain_list_none() {
    let c = client().await;
    let balances = c
        .stock_coupons(
            DEMO,
            id::APPID,
            &stock(|s| {
                s.creator_mchid = Some(id::MCHID.into());
                s.business_type = Some("MULTIUSE");
            }),
        )
        .await
        .unwrap();
    assert!(!balances.coupons.is_empty());
    assert!(balances.coupons.iter().all(|c| matches!(c.kind, CouponKind::Balance { .. })));
    let plain = c
        .stock_coupons(DEMO, id::APPID, &stock(|s| s.creator_mchid = Some(id::MCHID.into())))
        .await
        .unwrap();
    assert!(plain.coupons.iter().all(|c| !matches!(c.kind, CouponKind::Balance { .. })));
}

#[tokio::test]
async fn merchant_coupon_filters_and_paging() {
    let c = client().await;
    let all = c
        .merchant_coupons(
            "o_sandbox_many",
            id::APPID,
            &MerchantQuery { limit: 50, ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(all.coupons.len(), 50);
    assert!(all.total_count > 50);
    let second = c
        .merchant_coupons(
            "o_sandbox_many",
            id::APPID,
            &MerchantQuery { offset: 50, limit: 50, ..Default::default() },
        )
        .await
        .unwrap();
    assert_ne!(all.coupons[0].id, second.coupons[0].id);
    let used = c
        .merchant_coupons(
            "o_sandbox_many",
            id::APPID,
            &MerchantQuery { coupon_state: Some("USED"), limit: 50, ..Default::default() },
        )
        .await
        .unwrap();
    assert!(used.coupons.iter().all(|c| c.state == CouponState::Used));
    let by_stock = c
        .merchant_coupons(
            DEMO,
            id::APPID,
            &MerchantQuery {
                stock_id: Some("SBX_BF_DISCOUNT".into()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        !by_stock.coupons.is_empty()
            && by_stock.coupons.iter().all(|c| c.stock_id == "SBX_BF_DISCOUNT")
    );
    let other_creator = c
        .merchant_coupons(
            DEMO,
            id::APPID,
            &MerchantQuery {
                creator_merchant: Some("1234567890".into()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(other_creator.coupons.is_empty());
}

#[tokio::test]
async fn the_error_table_with_its_statuses() {
    let c = client().await;
    fn rejected<T: std::fmt::Debug>(r: Result<T, UpstreamError>) -> (u16, String) {
        match r {
            Err(UpstreamError::Rejected { status, code, .. }) => (status, code),
            other => panic!("expected a rejection, got {other:?}"),
        }
    }
    assert_eq!(
        rejected(
            c.get(&format!(
                "/v3/marketing/busifavor/users/{DEMO}/coupons?appid={}&limit=0",
                id::APPID
            ))
            .await
        ),
        (400, "PARAM_ERROR".into())
    );
    assert_eq!(
        rejected(
            c.get(&format!("/v3/marketing/busifavor/users/{DEMO}/coupons?appid=wx_other")).await
        ),
        (400, "APPID_MCHID_NOT_MATCH".into())
    );
    assert_eq!(
        rejected(
            c.get(&format!("/v3/marketing/busifavor/users/o_nobody/coupons?appid={}", id::APPID))
                .await
        ),
        (404, "USER_NOT_EXISTS".into())
    );
    assert_eq!(
        rejected(c.merchant_coupon(DEMO, id::APPID, "NO_SUCH_CODE").await),
        (404, "RESOURCE_NOT_EXISTS".into())
    );
    assert_eq!(
        rejected(
            c.get(&format!("/v3/marketing/favor/users/{DEMO}/coupons?appid={}", id::APPID)).await
        ),
        (400, "PARAM_ERROR".into())
    );
}

#[tokio::test]
async fn issuing_is_idempotent_on_out_request_no() {
    let c = client().await;
    let first = c
        .send_stock_coupon("o_sandbox_empty", id::APPID, "SBX_STOCK_CLAIM_500", "REQ-0001", None)
        .await
        .unwrap();
    let again = c
        .send_stock_coupon("o_sandbox_empty", id::APPID, "SBX_STOCK_CLAIM_500", "REQ-0001", None)
        .await
        .unwrap();
    assert_eq!(first, again);
    let other = c
        .send_stock_coupon("o_sandbox_empty", id::APPID, "SBX_STOCK_CLAIM_500", "REQ-0002", None)
        .await
        .unwrap();
    assert_ne!(first, other);
    let held = c
        .stock_coupons(
            "o_sandbox_empty",
            id::APPID,
            &stock(|s| s.creator_mchid = Some(id::MCHID.into())),
        )
        .await
        .unwrap();
    assert_eq!(held.coupons.len(), 2);
}

#[tokio::test]
async fn a_request_signed_with_another_key_is_refused() {
    let sb = Sandbox::new(sandbox::DATA).unwrap();
    let addr = sandbox::spawn(sb.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let mut settings = sandbox_settings().await;
    settings.identity.merchant_key_pem = id::PLATFORM_KEY.into(); // the wrong private key
    let c = Client::new(&settings, format!("http://{addr}")).unwrap();
    let r = c
        .merchant_coupons(DEMO, id::APPID, &MerchantQuery { limit: 10, ..Default::default() })
        .await;
    assert!(
        matches!(r, Err(UpstreamError::Rejected { status: 401, ref code, .. }) if code == "SIGN_ERROR"),
        "{r:?}"
    );
    assert_eq!(sb.stats().rejected_signatures.load(std::sync::atomic::Ordering::Relaxed), 1);
}

#[test]
fn the_committed_data_file_is_what_the_generator_makes() {
    let committed: serde_json::Value = serde_json::from_str(sandbox::DATA).unwrap();
    assert_eq!(
        committed,
        sandbox::generate(),
        "regenerate: cargo run -p coupon-proxy -- sandbox-data > sandbox/data.json"
    );
}

#[test]
fn the_data_set_covers_every_kind_state_colour_slot_and_use_method() {
    let data: serde_json::Value = serde_json::from_str(sandbox::DATA).unwrap();
    let merchant: Vec<&serde_json::Value> = data["users"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|u| u["merchant_coupons"].as_array().unwrap())
        .collect();
    let stock: Vec<&serde_json::Value> = data["users"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|u| u["stock_coupons"].as_array().unwrap())
        .collect();
    assert!(merchant.len() + stock.len() >= 300);
    let values = |list: &[&serde_json::Value], ptr: &str| -> std::collections::HashSet<String> {
        list.iter()
            .filter_map(|c| c.pointer(ptr))
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect()
    };
    for t in ["NORMAL", "DISCOUNT", "EXCHANGE"] {
        assert!(values(&merchant, "/stock_type").contains(t), "{t}");
    }
    for s in ["SENDED", "USED", "EXPIRED"] {
        assert!(values(&merchant, "/coupon_state").contains(s), "{s}");
    }
    for m in ["OFF_LINE", "MINI_PROGRAMS", "PAYMENT_CODE", "SELF_CONSUME"] {
        assert!(values(&merchant, "/coupon_use_rule/use_method").contains(m), "{m}");
    }
    let colours = values(&merchant, "/display_pattern_info/background_color");
    assert!(coupon_rules::palette::names().all(|n| colours.contains(n)));
    assert!(merchant
        .iter()
        .any(|c| c.pointer("/coupon_use_rule/coupon_available_time/available_week").is_some()));
    assert!(merchant.iter().any(|c| c
        .pointer("/coupon_use_rule/coupon_available_time/irregulary_avaliable_time")
        .is_some()));
    assert!(values(&stock, "/coupon_type").contains("CUT_TO"));
    assert!(values(&stock, "/business_type").contains("MULTIUSE"));
}
