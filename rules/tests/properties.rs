//! Properties that hold for every coupon, order and instant.

mod common;
use common::*;
use coupon_rules::model::{CouponKind, CouponState, Window};
use coupon_rules::validity::availability;
use coupon_rules::wire::{
    parse_merchant_coupon, parse_merchant_coupon_list, parse_stock_coupon_list,
};
use coupon_rules::{evaluate, BeijingTime, Fen, Order, OrderItem, Outcome};
use proptest::prelude::*;

const BASE: i64 = 1_747_000_000_000; // May 2025

fn any_kind() -> impl Strategy<Value = CouponKind> {
    prop_oneof![
        (0i64..1_000_000, 0i64..1_000_000)
            .prop_map(|(a, t)| CouponKind::FixedAmount { amount: Fen(a), threshold: Fen(t) }),
        (1u8..100, 0i64..1_000_000)
            .prop_map(|(p, t)| CouponKind::Discount { pay_percent: p, threshold: Fen(t) }),
        (0i64..100_000, 0i64..1_000_000)
            .prop_map(|(p, t)| CouponKind::Exchange { price: Fen(p), threshold: Fen(t) }),
        (0i64..100_000, 0i64..100_000).prop_map(|(p, m)| CouponKind::CutTo {
            price: Fen(p),
            max_item_price: Fen(m),
            threshold: Fen(0)
        }),
        (0i64..1_000_000).prop_map(|b| CouponKind::Balance { balance: Fen(b) }),
    ]
}

fn any_coupon() -> impl Strategy<Value = coupon_rules::Coupon> {
    let slots = proptest::collection::vec((0u32..86_400, 0u32..7_200), 0..3);
    let days = proptest::collection::vec(0u8..7, 0..4);
    let single = proptest::option::of(proptest::collection::vec(goods_id(), 0..3));
    (
        any_kind(),
        proptest::option::of((0i64..30, 1i64..40)),
        proptest::option::of((days, slots)),
        proptest::collection::vec((0i64..40, 0i64..48), 0..2),
        single,
    )
        .prop_map(|(kind, win, week, irregular, single)| {
            let mut c = coupon("p", kind);
            if let Some(goods_ids) = single {
                c.single_item = true;
                c.goods_ids = goods_ids;
            }
            let day = |d: i64| BeijingTime::from_unix_millis(BASE + d * 86_400_000);
            if let Some((start, len)) = win {
                c.validity.stock_window =
                    Some(Window { begin: Some(day(start)), end: Some(day(start + len)) });
            }
            if let Some((days, slots)) = week {
                let ranges: Vec<(u32, u32)> =
                    slots.into_iter().map(|(b, l)| (b, (b + l).min(86_399))).collect();
                c.validity.weekly = weekly(&days, &ranges);
            }
            c.validity.irregular = irregular
                .into_iter()
                .map(|(d, hours)| Window {
                    begin: Some(day(d)),
                    end: Some(day(d).plus_millis(hours * 3_600_000)),
                })
                .collect();
            c
        })
}

fn goods_id() -> impl Strategy<Value = String> {
    prop_oneof![Just("G1".to_owned()), Just("G2".to_owned()), Just("G3".to_owned())]
}

fn any_order() -> impl Strategy<Value = Order> {
    (
        0i64..2_000_000,
        proptest::collection::vec((0i64..200_000, 0u32..3, proptest::option::of(goods_id())), 0..4),
    )
        .prop_map(|(total, items)| Order {
            total: Fen(total),
            items: items
                .into_iter()
                .map(|(p, q, goods_id)| OrderItem { goods_id, ..OrderItem::new(Fen(p), q) })
                .collect(),
        })
}

/// The most a coupon's own rules let it take off `order`, worked out independently of the
/// engine: the picker's saving must never be above it.
fn allowed(c: &coupon_rules::Coupon, order: &Order) -> i64 {
    let units: Vec<i64> = order
        .items
        .iter()
        .filter(|i| i.quantity > 0)
        .filter(|i| !c.single_item || i.goods_id.as_ref().is_some_and(|g| c.goods_ids.contains(g)))
        .map(|i| i.unit_price.0)
        .collect();
    let best_unit = units.iter().copied().max().unwrap_or(0);
    let by_kind = match &c.kind {
        CouponKind::FixedAmount { amount, .. } if c.single_item => amount.0.min(best_unit),
        CouponKind::FixedAmount { amount, .. } => amount.0,
        CouponKind::Discount { pay_percent, .. } if c.single_item => {
            best_unit * i64::from(100 - pay_percent) / 100
        }
        CouponKind::Discount { pay_percent, .. } => {
            order.total.0 * i64::from(100 - pay_percent) / 100
        }
        CouponKind::Exchange { price, .. } => best_unit - price.0,
        CouponKind::CutTo { price, max_item_price, .. } => {
            units.iter().filter(|u| **u <= max_item_price.0).map(|u| u - price.0).max().unwrap_or(0)
        }
        CouponKind::Balance { balance } => balance.0,
        CouponKind::Unknown { .. } => 0,
    };
    by_kind.min(order.total.0)
}

proptest! {
    #[test]
    fn a_saving_is_positive_and_never_above_the_order(c in any_coupon(), o in any_order(), t in 0i64..60 * 86_400_000) {
        if let Outcome::Applies { saving } = evaluate(&c, &o, BeijingTime::from_unix_millis(BASE + t)) {
            prop_assert!(saving > Fen::ZERO);
            prop_assert!(saving <= o.total);
        }
    }

    /// 单品券 included: no coupon takes off more than its own rules allow, and what the user
    /// pays is never negative.
    #[test]
    fn a_saving_never_exceeds_what_the_coupons_rules_allow(c in any_coupon(), o in any_order(), t in 0i64..60 * 86_400_000) {
        if let Outcome::Applies { saving } = evaluate(&c, &o, BeijingTime::from_unix_millis(BASE + t)) {
            prop_assert!(saving.0 <= allowed(&c, &o), "saving {} over the allowed {} for {:?}", saving.0, allowed(&c, &o), c.kind);
            prop_assert!(o.total.saturating_sub(saving) >= Fen::ZERO);
        }
        if c.single_item && (c.goods_ids.is_empty() || o.items.iter().all(|i| i.goods_id.is_none())) {
            prop_assert!(!matches!(evaluate(&c, &o, BeijingTime::from_unix_millis(BASE + t)), Outcome::Applies { .. }), "no guessed saving");
        }
        let ranking = coupon_rules::rank(std::slice::from_ref(&c), &o, BeijingTime::from_unix_millis(BASE + t));
        if ranking.best.is_some() {
            prop_assert!(ranking.best_saving().0 <= allowed(&c, &o), "the picker reports no more than the rules allow");
        }
    }

    #[test]
    fn usable_now_agrees_with_next_usable_instant(c in any_coupon(), t in 0i64..60 * 86_400_000) {
        let now = BeijingTime::from_unix_millis(BASE + t);
        match availability(&c, now) {
            coupon_rules::Availability::Usable { until: Some(until) } => prop_assert!(until > now),
            coupon_rules::Availability::OutsideSlot { next: Some(next) } | coupon_rules::Availability::NotStarted { from: next } => {
                prop_assert!(next > now);
                prop_assert!(availability(&c, next).is_usable(), "the promised next instant is usable");
                // Just before it, the coupon is not yet usable.
                prop_assert!(!availability(&c, next.plus_millis(-1)).is_usable());
            }
            _ => {}
        }
    }

    #[test]
    fn used_and_expired_coupons_never_apply(c in any_coupon(), o in any_order(), used in any::<bool>()) {
        let mut c = c;
        c.state = if used { CouponState::Used } else { CouponState::Expired };
        prop_assert!(matches!(evaluate(&c, &o, BeijingTime::from_unix_millis(BASE)), Outcome::NotApplicable(_)));
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_merchant_coupon(&body);
        let _ = parse_merchant_coupon_list(&body);
        let _ = parse_stock_coupon_list(&body);
    }

    #[test]
    fn parsers_never_panic_on_near_valid_json(cut in 0usize..2_500, junk in "[\\[\\]{}\",:0-9a-z\\n -]{0,8}") {
        let seed = include_str!("fixtures/busifavor_detail_001.json");
        let mut at = cut.min(seed.len());
        while !seed.is_char_boundary(at) { at -= 1; }
        let body = format!("{}{}{}", &seed[..at], junk, &seed[at..]);
        let _ = parse_merchant_coupon(body.as_bytes());
        let _ = parse_merchant_coupon_list(format!("{{\"data\":[{body}]}}").as_bytes());
    }
}

/// Any text, the awkward kinds included: empty, quotes, backslashes, control characters,
/// characters outside the BMP.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "\\PC{0,12}", "[\"\\\\\\x00-\\x1f<>é😀]{0,8}"]
}

/// [`any_coupon`] with every other field varied too.
fn any_full_coupon() -> impl Strategy<Value = coupon_rules::Coupon> {
    use coupon_rules::model::{CustomEntrance, MiniProgramEntrance, Source, UseMethod};
    let texts = (
        any_text(),
        any_text(),
        any_text(),
        proptest::option::of(any_text()),
        proptest::option::of(any_text()),
    );
    let state = prop_oneof![
        Just(CouponState::Available),
        Just(CouponState::Used),
        Just(CouponState::Expired),
        any_text().prop_map(CouponState::Unknown)
    ];
    let method = prop_oneof![
        Just(UseMethod::Offline),
        Just(UseMethod::PaymentCode),
        Just(UseMethod::SelfConsume),
        (proptest::option::of(any_text()), proptest::option::of(any_text()))
            .prop_map(|(appid, path)| UseMethod::MiniProgram { appid, path }),
        any_text().prop_map(|raw| UseMethod::Unknown { raw }),
    ];
    let entrance = proptest::option::of((
        proptest::option::of((any_text(), proptest::option::of(any_text()))),
        proptest::option::of(any_text()),
    ));
    let times = (
        proptest::option::of(0i64..4_000_000_000_000),
        proptest::option::of(-100i64..100),
        proptest::option::of(1u16..366),
        any::<bool>(),
        any::<bool>(),
    );
    (any_coupon(), texts, state, method, entrance, times).prop_map(
        |(
            mut c,
            (id, name, stock, desc, goods),
            state,
            method,
            entrance,
            (received, used, days, single, no_cash),
        )| {
            c.id = id;
            c.name = name;
            c.stock_id = stock;
            c.source = if single { Source::Stock } else { Source::Merchant };
            c.description = desc;
            c.goods = goods;
            c.state = state;
            c.use_method = method;
            c.entrance = entrance.map(|(mini, official)| CustomEntrance {
                mini_program: mini.map(|(appid, path)| MiniProgramEntrance {
                    appid,
                    path,
                    entrance_words: Some("去看看".into()),
                    guiding_words: None,
                }),
                official_account_appid: official,
                hall_id: None,
                store_id: Some("S1".into()),
            });
            c.received_at = received.map(BeijingTime::from_unix_millis);
            c.used_at = used.map(|d| BeijingTime::from_unix_millis(BASE + d * 3_600_000));
            c.validity.days_after_receive = days;
            c.single_item = single;
            c.no_cash = no_cash;
            c
        },
    )
}

proptest! {
    /// The proxy writes the model with serde and the widget reads it with the same types:
    /// whatever one writes, the other reads back equal.
    #[test]
    fn the_models_json_form_reads_back_equal(c in any_full_coupon(), o in any_order()) {
        let text = serde_json::to_string(&c).unwrap();
        prop_assert_eq!(coupon_rules::from_json::<coupon_rules::Coupon>(text.as_bytes()), Ok(c));
        let text = serde_json::to_string(&o).unwrap();
        prop_assert_eq!(coupon_rules::from_json::<coupon_rules::Order>(text.as_bytes()), Ok(o));
    }
}
