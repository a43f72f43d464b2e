//! The merchant's order system redeems (核销) the 商家券 chosen at checkout: server to server,
//! with its token only, once per order however often it asks.

mod common;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const TOKEN: &str = "order-system-token-0123456789abcdef";
const USER: &str = "o_sandbox_demo";

async fn proxy() -> TestProxy {
    TestProxy::with(|s| {
        s.redemption_token = Some(TOKEN.into());
        s.cache_ttl = Duration::from_secs(3_600);
    })
    .await
}

fn order(order_id: &str) -> Value {
    json!({ "order_id": order_id, "openid": USER, "coupon_code": "SBXM000001", "stock_id": "SBX_BF_NORMAL" })
}

async fn redeem(p: &TestProxy, headers: &[(&str, &str)], body: &Value) -> (u16, Value) {
    let mut r = p.http.post(p.url("/merchant/redemptions")).json(body);
    for (name, value) in headers {
        r = r.header(*name, *value);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_order_system_redeems_once_per_order_and_the_wallet_shows_it_used() {
    let p = proxy().await;
    let me = p.login(USER).await;
    let (_, before) = p.get(&me, "/coupons?tab=available&limit=50").await;
    assert!(ids(&before).contains(&"SBXM000001".to_owned()));
    let bearer = format!("Bearer {TOKEN}");
    let (status, first) = redeem(&p, &[("authorization", &bearer)], &order("ORDER-1001")).await;
    assert_eq!(status, 200, "{first}");
    let (status, again) = redeem(&p, &[("authorization", &bearer)], &order("ORDER-1001")).await;
    assert_eq!((status, &again), (200, &first), "the same order: the same answer");
    assert_eq!(p.calls("merchant_use"), 2, "both asked WeChat Pay, with one use_request_no");
    let (status, other) = redeem(&p, &[("authorization", &bearer)], &order("ORDER-1002")).await;
    assert_eq!((status, code(&other)), (502, "UPSTREAM_REJECTED"), "{other}");
    assert_eq!(other["error"]["upstream_code"], "RESOURCE_ALREADY_EXISTS", "another order: used");
    let (_, used) = p.get(&me, "/coupons?tab=used&limit=50").await;
    assert!(ids(&used).contains(&"SBXM000001".to_owned()), "shown used at once: {used}");
    let (_, detail) = p.get(&me, "/coupons/merchant/SBXM000001").await;
    assert_eq!(detail["coupon"]["state"], "used", "an open use sheet's next look sees it");
}

#[tokio::test]
async fn without_the_token_or_from_a_browser_nothing_is_redeemed() {
    let p = proxy().await;
    let me = p.login(USER).await;
    let bearer = format!("Bearer {TOKEN}");
    let refused: [(&[(&str, &str)], u16); 5] = [
        (&[], 401),
        (&[("authorization", "Bearer wrong-token-0123456789abcdef0123")], 401),
        (&[("authorization", TOKEN)], 401),
        (&[("cookie", &me)], 403),
        (&[("authorization", &bearer), ("origin", "http://127.0.0.1")], 403),
    ];
    for (headers, status) in refused {
        let (got, body) = redeem(&p, headers, &order("ORDER-2001")).await;
        assert_eq!((got, code(&body)), (status, "FORBIDDEN"), "{headers:?}: {body}");
    }
    let with_session = [("authorization", bearer.as_str()), ("cookie", me.as_str())];
    let (status, _) = redeem(&p, &with_session, &order("ORDER-2001")).await;
    assert_eq!(status, 403, "a browser session never reaches it, even with the token");
    assert_eq!(p.calls("merchant_use"), 0, "nothing was sent to WeChat Pay");
}

#[tokio::test]
async fn an_unconfigured_proxy_refuses_every_redemption() {
    let p = TestProxy::start().await;
    let (status, body) =
        redeem(&p, &[("authorization", &format!("Bearer {TOKEN}"))], &order("ORDER-3001")).await;
    assert_eq!((status, code(&body)), (401, "FORBIDDEN"));
    let (status, body) = redeem(&p, &[("authorization", "Bearer ")], &order("ORDER-3001")).await;
    assert_eq!((status, code(&body)), (401, "FORBIDDEN"));
}

#[tokio::test]
async fn a_malformed_redemption_is_refused_before_wechat_pay_is_asked() {
    let p = proxy().await;
    let bearer = format!("Bearer {TOKEN}");
    let mut bad = order("ORDER 4001 <script>");
    let (status, body) = redeem(&p, &[("authorization", &bearer)], &bad).await;
    assert_eq!((status, code(&body)), (400, "INVALID_PARAMETER"));
    bad["extra"] = json!(1);
    let (status, _) = redeem(&p, &[("authorization", &bearer)], &bad).await;
    assert_eq!(status, 400);
    assert_eq!(p.calls("merchant_use"), 0);
}
