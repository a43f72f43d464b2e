//! How a card reads: the state, stamp, badge, tags and use button the widget draws, worked out
//! from the coupon and the moment alone.

mod common;
use common::*;
use coupon_rules::look::{card_look, Badge, CardState};
use coupon_rules::model::{CouponKind, CouponState, Merchant, UseMethod};
use coupon_rules::text::Lang;
use coupon_rules::Fen;

#[test]
fn a_usable_coupon_has_a_working_use_button_and_no_stamp() {
    let mut c = fixed("a", 500, 3000);
    c.validity.coupon_window = window("2025-05-01 00:00", "2025-06-30 23:59");
    let look = card_look(&c, at("2025-05-20 10:00"), Lang::ZhCn);
    assert_eq!(
        (look.state, look.stamp, look.badge, look.can_use),
        (CardState::Usable, None, None, true)
    );
    assert_eq!(look.merchant_name, "微信支付", "a coupon that names no merchant is WeChat Pay's");
}

#[test]
fn a_coupon_about_to_expire_says_so() {
    let mut c = fixed("a", 500, 3000);
    c.validity.coupon_window = window("2025-05-01 00:00", "2025-05-20 12:00");
    let look = card_look(&c, at("2025-05-20 10:00"), Lang::En);
    assert!(matches!(look.badge, Some(Badge::ExpiringSoon(t)) if t == "Expiring soon"), "{look:?}");
    assert!(look.can_use);
}

#[test]
fn used_and_expired_coupons_are_stamped_and_cannot_be_used() {
    let mut used = fixed("u", 500, 0);
    used.state = CouponState::Used;
    used.used_at = Some(at("2025-05-19 18:30"));
    let look = card_look(&used, at("2025-05-20 10:00"), Lang::ZhCn);
    assert_eq!((look.state, look.stamp, look.can_use), (CardState::Used, Some("已使用"), false));
    assert_eq!(look.used_at.as_deref(), Some("使用时间 2025.05.19 18:30"));

    let mut expired = fixed("e", 500, 0);
    expired.validity.coupon_window = window("2025-04-01 00:00", "2025-04-30 23:59");
    expired.used_at = Some(at("2025-04-10 09:00"));
    let look = card_look(&expired, at("2025-05-20 10:00"), Lang::En);
    assert_eq!(
        (look.state, look.stamp, look.can_use),
        (CardState::Expired, Some("Expired"), false)
    );
    assert_eq!(look.used_at, None, "only a used coupon shows a use time");
}

#[test]
fn a_coupon_outside_its_slots_waits_and_says_until_when() {
    let mut c = fixed("w", 500, 0);
    // Weekdays 09:00–11:00 only; a Tuesday at 12:00 waits for Wednesday.
    c.validity.weekly = weekly(&[1, 2, 3, 4, 5], &[(9 * 3600, 11 * 3600)]);
    let look = card_look(&c, at("2025-05-20 12:00"), Lang::ZhCn);
    assert_eq!(look.state, CardState::Waiting);
    assert!(matches!(&look.badge, Some(Badge::Waiting(why)) if !why.is_empty()), "{look:?}");
    assert!(look.slots.is_some() && !look.can_use);
}

#[test]
fn tags_say_single_item_merchant_funded_and_balance() {
    let mut c = coupon("b", CouponKind::Balance { balance: Fen(5_000) });
    c.single_item = true;
    c.no_cash = true;
    c.merchant = Merchant { name: Some("咖啡店".into()), ..Merchant::default() };
    let look = card_look(&c, at("2025-05-20 10:00"), Lang::ZhCn);
    assert_eq!(look.tags, ["单品券", "免充值", "消费金"]);
    assert_eq!(look.merchant_name, "咖啡店");
}

#[test]
fn a_use_method_the_widget_cannot_carry_out_disables_the_button() {
    for method in [UseMethod::SelfConsume, UseMethod::Unknown { raw: "TELEPORT".into() }] {
        let mut c = fixed("m", 500, 0);
        c.use_method = method;
        let look = card_look(&c, at("2025-05-20 10:00"), Lang::ZhCn);
        assert_eq!((look.state, look.can_use), (CardState::Usable, false));
    }
}
