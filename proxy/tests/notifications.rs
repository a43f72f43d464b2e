//! WeChat Pay's notifications: the only report of a 代金券's 核销 reaches the user's wallet at
//! once, exactly once per notification, and nothing unsigned, stale or undecryptable does.

mod common;
use common::*;
use coupon_sandbox::notify::Spoil;
use coupon_wechatpay::notification::{COUPON_SEND, COUPON_USE};
use serde_json::json;
use std::time::Duration;

const USER: &str = "o_sandbox_demo";
const COUPON: &str = "SBXS000001";

/// A proxy whose wallets stay cached for an hour: only a notification can change one.
async fn proxy() -> TestProxy {
    TestProxy::with(|s| s.cache_ttl = Duration::from_secs(3_600)).await
}

/// [`proxy`] with the demo user logged in and their wallet cached; the session cookie.
async fn cached_wallet() -> (TestProxy, String) {
    let p = proxy().await;
    let me = p.login(USER).await;
    p.get(&me, "/coupons").await;
    (p, me)
}

fn used(coupon_id: &str) -> serde_json::Value {
    json!({ "coupon_id": coupon_id, "stock_id": "SBX_FV_NORMAL", "status": "USED" })
}

#[tokio::test]
async fn a_coupon_used_at_the_till_leaves_the_available_tab_on_the_next_request() {
    let p = proxy().await;
    let me = p.login(USER).await;
    let (_, before) = p.get(&me, "/coupons?tab=available&limit=50").await;
    assert!(ids(&before).contains(&COUPON.to_owned()), "{before}");
    p.notify_me(0);
    let redeemed = p.sandbox().redeem(USER, COUPON);
    assert!(redeemed, "the sandbox redeems the 代金券");
    p.notifications_acknowledged(1).await;
    let (_, after) = p.get(&me, "/coupons?tab=available&limit=50").await;
    assert!(!ids(&after).contains(&COUPON.to_owned()), "gone from 可用 within the cache's hour");
    let (_, used_tab) = p.get(&me, "/coupons?tab=used&limit=50").await;
    assert!(ids(&used_tab).contains(&COUPON.to_owned()), "{used_tab}");
}

#[tokio::test]
async fn a_duplicated_notification_invalidates_once() {
    let (p, me) = cached_wallet().await;
    let delivery = p.sandbox().notification(COUPON_USE, &used(COUPON), Spoil::default());
    assert_eq!(p.deliver(&delivery).await, 204);
    let calls = p.calls("stock_list");
    p.get(&me, "/coupons").await;
    assert!(p.calls("stock_list") > calls, "the first delivery has the wallet fetched again");
    let calls = p.calls("stock_list");
    assert_eq!(p.deliver(&delivery).await, 204, "a duplicate is acknowledged");
    p.get(&me, "/coupons").await;
    assert_eq!(p.calls("stock_list"), calls, "and changes nothing");
}

#[tokio::test]
async fn sandbox_duplicates_are_each_acknowledged() {
    let (p, _) = cached_wallet().await;
    p.notify_me(2);
    assert!(p.sandbox().redeem(USER, COUPON));
    p.notifications_acknowledged(3).await;
}

#[tokio::test]
async fn an_unsigned_stale_forged_or_undecryptable_notification_is_refused_and_changes_nothing() {
    let (p, me) = cached_wallet().await;
    let calls = p.calls("stock_list");
    let spoilt = [
        (Spoil { bad_signature: true, ..Spoil::default() }, 401),
        (Spoil { stale_timestamp: true, ..Spoil::default() }, 401),
        (Spoil { wrong_key: true, ..Spoil::default() }, 400),
    ];
    for (spoil, status) in spoilt {
        let delivery = p.sandbox().notification(COUPON_USE, &used(COUPON), spoil);
        assert_eq!(p.deliver(&delivery).await, status, "{spoil:?}");
    }
    let mut unsigned = p.sandbox().notification(COUPON_USE, &used(COUPON), Spoil::default());
    unsigned.headers.clear();
    assert_eq!(p.deliver(&unsigned).await, 401);
    let garbage = coupon_sandbox::notify::Delivery { headers: vec![], body: b"{\"id\":".to_vec() };
    assert_eq!(p.deliver(&garbage).await, 401, "a body is believed only once signed");
    p.get(&me, "/coupons").await;
    assert_eq!(p.calls("stock_list"), calls, "the wallet is still the cached one");
}

#[tokio::test]
async fn a_use_of_a_coupon_this_proxy_never_listed_is_acknowledged_and_ignored() {
    let (p, me) = cached_wallet().await;
    let calls = p.calls("stock_list");
    let delivery = p.sandbox().notification(COUPON_USE, &used("NEVER_LISTED"), Spoil::default());
    assert_eq!(p.deliver(&delivery).await, 204);
    p.get(&me, "/coupons").await;
    assert_eq!(p.calls("stock_list"), calls);
}

#[tokio::test]
async fn a_stock_coupons_detail_is_read_fresh_and_kept_only_until_its_wallet_changes() {
    let (p, me) = cached_wallet().await;
    let path = format!("/coupons/stock/{COUPON}");
    let (status, detail) = p.get(&me, &path).await;
    assert_eq!((status, detail["coupon"]["state"].as_str()), (200, Some("available")), "{detail}");
    assert_eq!(p.calls("stock_detail"), 1, "查询代金券详情, not the wallet's copy");
    p.get(&me, &path).await;
    assert_eq!(p.calls("stock_detail"), 1, "an open sheet's next look is kept");
    p.notify_me(0);
    assert!(p.sandbox().redeem(USER, COUPON));
    p.notifications_acknowledged(1).await;
    let (_, detail) = p.get(&me, &path).await;
    assert_eq!(detail["coupon"]["state"], "used", "the look after the notification: {detail}");
    assert!(detail["coupon"]["used_at"].is_string(), "{detail}");
    assert_eq!(p.calls("stock_detail"), 2);
}

#[tokio::test]
async fn a_detail_found_used_moves_the_coupon_in_the_wallet_without_a_notification() {
    let (p, me) = cached_wallet().await;
    assert!(p.sandbox().redeem(USER, COUPON), "used at a till; no notification URL is set");
    let (_, detail) = p.get(&me, &format!("/coupons/stock/{COUPON}")).await;
    assert_eq!(detail["coupon"]["state"], "used", "{detail}");
    let (_, used_tab) = p.get(&me, "/coupons?tab=used&limit=50").await;
    assert!(ids(&used_tab).contains(&COUPON.to_owned()), "the list agrees with the sheet");
}

#[tokio::test]
async fn a_merchant_coupon_received_refreshes_that_users_wallet() {
    let (p, me) = cached_wallet().await;
    let calls = p.calls("merchant_list");
    let sent = json!({ "coupon_code": "SBXM_NEW", "stock_id": "SBX_BF_NEW", "openid": USER });
    let delivery = p.sandbox().notification(COUPON_SEND, &sent, Spoil::default());
    assert_eq!(p.deliver(&delivery).await, 204);
    p.get(&me, "/coupons").await;
    assert!(p.calls("merchant_list") > calls, "the wallet is fetched again");
}

#[tokio::test]
async fn callbacks_set_registers_the_url_with_both_apis_and_the_platform_then_notifies_it() {
    let p = proxy().await;
    let settings = &p.running.app.settings;
    let url = format!("http://{}/api/v1/wechatpay/notifications", p.running.addr);
    let held = coupon_proxy::register_callbacks(settings, &url).await.unwrap();
    assert_eq!((held.stock.as_str(), held.merchant.as_str()), (url.as_str(), url.as_str()));
    let refused = coupon_proxy::register_callbacks(settings, "http://shop.example.com/n").await;
    assert!(refused.unwrap_err().to_string().contains("PARAM_ERROR"), "WeChat wants https");

    let me = p.login(USER).await;
    p.get(&me, "/coupons").await;
    assert!(p.sandbox().redeem(USER, COUPON));
    p.notifications_acknowledged(1).await;
    let (_, used_tab) = p.get(&me, "/coupons?tab=used&limit=50").await;
    assert!(ids(&used_tab).contains(&COUPON.to_owned()), "sent to the registered URL");
}

#[test]
fn the_command_line_names_it_callbacks_set() {
    use clap::Parser;
    let cli = coupon_proxy::config::Cli::try_parse_from([
        "coupon-proxy",
        "callbacks",
        "set",
        "--url",
        "https://api.shop.example.com/api/v1/wechatpay/notifications",
    ])
    .unwrap();
    assert!(matches!(
        cli.command,
        Some(coupon_proxy::config::Command::Callbacks {
            action: coupon_proxy::config::CallbacksAction::Set { .. }
        })
    ));
}
