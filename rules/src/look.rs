//! How a coupon card reads at a given moment: its state, stamp, badge, tags, use time and
//! whether its use button works, worked out once from the coupon, in the page's language. The
//! widget only draws it, so all of it is tested here, natively.

use crate::model::{Coupon, CouponKind, UseMethod};
use crate::text::{self, Lang};
use crate::time::BeijingTime;
use crate::validity::{availability, is_expiring_soon, Availability, DEFAULT_EXPIRING_SOON_MS};

/// The card's state, as its colour treatment shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardState {
    Usable,
    /// Not yet started, or outside today's time slots with a next one to come.
    Waiting,
    Used,
    /// Expired, or never usable again.
    Expired,
}

/// A badge beside the tags: why a coupon cannot be used yet, or that it expires soon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Badge {
    ExpiringSoon(&'static str),
    Waiting(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardLook {
    pub state: CardState,
    /// 已使用 / 已过期, stamped across the card.
    pub stamp: Option<&'static str>,
    pub badge: Option<Badge>,
    /// When a used coupon was used (upstream may send a time for others; it is not shown).
    pub used_at: Option<String>,
    /// The weekly time slots, worded.
    pub slots: Option<String>,
    pub tags: Vec<&'static str>,
    /// Whether the use button works: the coupon is usable now by a method the widget supports.
    pub can_use: bool,
    /// The merchant's name, or 微信支付 for a coupon that names none.
    pub merchant_name: String,
}

pub fn card_look(coupon: &Coupon, now: BeijingTime, lang: Lang) -> CardLook {
    let availability = availability(coupon, now);
    let state = match availability {
        Availability::Used { .. } => CardState::Used,
        Availability::Expired { .. }
        | Availability::Unavailable
        | Availability::OutsideSlot { next: None } => CardState::Expired,
        Availability::Usable { .. } => CardState::Usable,
        Availability::NotStarted { .. } | Availability::OutsideSlot { .. } => CardState::Waiting,
    };
    let stamp = match availability {
        Availability::Used { .. } => Some(lang.pick("已使用", "Used")),
        Availability::Expired { .. } => Some(lang.pick("已过期", "Expired")),
        _ => None,
    };
    let badge = match &availability {
        Availability::Usable { .. } if is_expiring_soon(coupon, now, DEFAULT_EXPIRING_SOON_MS) => {
            Some(Badge::ExpiringSoon(text::expiring_soon(lang)))
        }
        Availability::NotStarted { .. } | Availability::OutsideSlot { .. } => {
            Some(Badge::Waiting(text::availability_reason(&availability, coupon, now, lang)))
        }
        _ => None,
    };
    let used_at = coupon
        .used_at
        .filter(|_| state == CardState::Used)
        .map(|u| format!("{}{} {}", lang.pick("使用时间 ", "Used "), u.date_dotted(), u.hh_mm()));
    let tags = [
        (coupon.single_item, lang.pick("单品券", "Single item")),
        (coupon.no_cash, lang.pick("免充值", "Merchant-funded")),
        (matches!(coupon.kind, CouponKind::Balance { .. }), lang.pick("消费金", "Balance")),
    ];
    let supported =
        !matches!(coupon.use_method, UseMethod::SelfConsume | UseMethod::Unknown { .. });
    CardLook {
        state,
        stamp,
        badge,
        used_at,
        slots: coupon.validity.weekly.as_ref().map(|w| text::weekly(w, lang)),
        tags: tags.into_iter().filter(|(on, _)| *on).map(|(_, tag)| tag).collect(),
        can_use: supported && availability.is_usable(),
        merchant_name: coupon
            .merchant
            .name
            .clone()
            .unwrap_or_else(|| lang.pick("微信支付", "WeChat Pay").to_owned()),
    }
}
