//! Deterministic sample coupons and orders, so that every benchmark (native and in the
//! browser) ranks the same mix.

use crate::model::*;
use crate::time::{BeijingTime, Weekday};
use crate::{Fen, Order, OrderItem};
use chrono::NaiveTime;

/// `n` coupons of every kind, state, window, weekly slot and irregular period around `now`.
pub fn mixed_coupons(n: usize, now: BeijingTime) -> Vec<Coupon> {
    (0..n).map(|i| coupon(i, now)).collect()
}

/// One coupon per kind, every part of the model filled in (windows, weekly slots, irregular
/// periods, merchant, entrance, times), cycling through the sources, states and use methods:
/// the widest JSON the proxy's API can write, for round-trip and schema tests.
pub fn every_variant(now: BeijingTime) -> Vec<Coupon> {
    let kinds = [
        CouponKind::FixedAmount { amount: Fen(500), threshold: Fen(10_000) },
        CouponKind::Discount { pay_percent: 88, threshold: Fen(0) },
        CouponKind::Exchange { price: Fen(100), threshold: Fen(3_000) },
        CouponKind::CutTo { price: Fen(80), max_item_price: Fen(1_000), threshold: Fen(0) },
        CouponKind::Balance { balance: Fen(10_000) },
        CouponKind::Unknown { raw: "LUCKY".into() },
    ];
    let methods = [
        UseMethod::Offline,
        UseMethod::MiniProgram {
            appid: Some("wx1234567890abcdef".into()),
            path: Some("/pages/use".into()),
        },
        UseMethod::PaymentCode,
        UseMethod::SelfConsume,
        UseMethod::Unknown { raw: "TELEPORT".into() },
    ];
    let states = [
        CouponState::Available,
        CouponState::Used,
        CouponState::Expired,
        CouponState::Unknown("FROZEN".into()),
    ];
    let day = 86_400_000;
    let time = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("a time of day");
    let window = |from: i64, to: i64| Window {
        begin: Some(now.plus_millis(from * day)),
        end: Some(now.plus_millis(to * day)),
    };
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, kind)| {
            let source = if i % 2 == 0 { Source::Merchant } else { Source::Stock };
            let mut c = Coupon::new(format!("V{i:03}"), source, format!("券 {i}"), kind);
            c.stock_id = format!("S{i}");
            c.state = states[i % states.len()].clone();
            c.merchant = Merchant {
                name: Some("示例商户".into()),
                logo_url: Some("https://img.example/logo.png".into()),
            };
            c.description = Some("全场通用".into());
            c.image_url = Some("https://img.example/coupon.png".into());
            c.goods = Some("指定商品".into());
            c.single_item = i % 2 == 0;
            c.no_cash = i % 3 == 0;
            c.validity = Validity {
                stock_window: Some(window(-30, 30)),
                coupon_window: Some(window(-1, 7)),
                days_after_receive: Some(7),
                weekly: Some(WeeklySlots {
                    days: vec![Weekday::Tue, Weekday::Sat, Weekday::Sun],
                    ranges: vec![DayRange { begin: time(10), end: time(18) }],
                }),
                irregular: vec![window(2, 3)],
            };
            c.use_method = methods[i % methods.len()].clone();
            c.entrance = Some(CustomEntrance {
                mini_program: Some(MiniProgramEntrance {
                    appid: "wxabcdef1234567890".into(),
                    path: Some("/pages/index".into()),
                    entrance_words: Some("去逛逛".into()),
                    guiding_words: Some("更多优惠".into()),
                }),
                official_account_appid: Some("wx0fficial000000000".into()),
                hall_id: Some("233455656".into()),
                store_id: Some("233554655".into()),
            });
            c.received_at = Some(now.plus_millis(-day));
            c.used_at = Some(now.plus_millis(-day / 2));
            c.goods_ids = vec![format!("G{i}")];
            c.reconciliation = Reconciliation {
                send_request_no: Some(format!("SEND{i}")),
                use_request_no: Some(format!("USE{i}")),
                belong_merchant: Some("1900000109".into()),
                stock_creator_mchid: Some("1900000109".into()),
                out_request_no: Some(format!("OUT{i}")),
            };
            c
        })
        .collect()
}

/// A ¥128 order with two item lines (so 换购 and 减至 have something to act on).
pub fn order() -> Order {
    Order {
        total: Fen(12_800),
        items: vec![OrderItem::new(Fen(900), 2), OrderItem::new(Fen(11_000), 1)],
    }
}

/// A deterministic mix of every kind, with windows, weekly slots and irregular periods.
fn coupon(i: usize, now: BeijingTime) -> Coupon {
    let day = 86_400_000;
    let kind = match i % 6 {
        0 => CouponKind::FixedAmount {
            amount: Fen(100 + (i as i64 % 50) * 100),
            threshold: Fen((i as i64 % 30) * 1_000),
        },
        1 => CouponKind::Discount { pay_percent: 70 + (i % 29) as u8, threshold: Fen(5_000) },
        2 => CouponKind::Exchange { price: Fen(100), threshold: Fen(3_000) },
        3 => CouponKind::CutTo { price: Fen(80), max_item_price: Fen(1_000), threshold: Fen(0) },
        4 => CouponKind::Balance { balance: Fen((i as i64 % 20) * 500) },
        _ => CouponKind::FixedAmount { amount: Fen(500), threshold: Fen(20_000) },
    };
    let mut validity = Validity {
        stock_window: Some(Window {
            begin: Some(now.plus_millis(-((i % 20) as i64) * day)),
            end: Some(now.plus_millis(((i % 40) as i64 - 5) * day)),
        }),
        ..Validity::default()
    };
    if i.is_multiple_of(3) {
        let day = |n: usize| Weekday::try_from((n % 7) as u8).expect("0..7 is a weekday");
        let mut days = vec![day(i), day(i + 3)];
        days.sort_by_key(Weekday::num_days_from_monday);
        let time = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("a time of day");
        validity.weekly =
            Some(WeeklySlots { days, ranges: vec![DayRange { begin: time(10), end: time(18) }] });
    }
    if i.is_multiple_of(11) {
        validity.irregular =
            vec![Window { begin: Some(now.plus_millis(day)), end: Some(now.plus_millis(2 * day)) }];
    }
    let source = if i.is_multiple_of(2) { Source::Merchant } else { Source::Stock };
    let mut c = Coupon::new(format!("C{i:06}"), source, format!("券 {i}"), kind);
    c.stock_id = format!("S{}", i % 40);
    c.state = match i % 10 {
        0 => CouponState::Used,
        1 => CouponState::Expired,
        _ => CouponState::Available,
    };
    c.validity = validity;
    c
}
