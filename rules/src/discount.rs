//! What a coupon takes off an order, or why it takes nothing. All arithmetic is in fen and
//! rounds in the user's disfavour by at most one fen (折扣 rounds the discount down), which
//! is how WeChat Pay settles.

use crate::model::{Coupon, CouponKind};
use crate::money::Fen;
use crate::time::BeijingTime;
use crate::validity::{availability, Availability};
use serde::{Deserialize, Serialize};

/// The order the picker evaluates coupons against. `total` is authoritative; item lines are
/// only needed by coupons that act on one item (换购, 减至).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Order {
    pub total: Fen,
    #[serde(default)]
    pub items: Vec<OrderItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    #[serde(default)]
    pub name: Option<String>,
    /// The merchant's goods id: what a 单品券's covered goods are matched against.
    #[serde(default, alias = "goodsId")]
    pub goods_id: Option<String>,
    #[serde(alias = "unitPrice")]
    pub unit_price: Fen,
    #[serde(default = "one")]
    pub quantity: u32,
}

impl OrderItem {
    /// `quantity` units at `unit_price`, with no name or goods id.
    pub fn new(unit_price: Fen, quantity: u32) -> OrderItem {
        OrderItem { name: None, goods_id: None, unit_price, quantity }
    }
}

fn one() -> u32 {
    1
}

/// Why a coupon gives nothing on this order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// Not usable at this instant (used, expired, not started, outside its slot).
    NotUsable { availability: Availability },
    /// 未满¥100.
    BelowThreshold { threshold: Fen },
    /// 换购/减至 need an item they can act on; `max_item_price` is 减至's cap.
    NoEligibleItem { max_item_price: Option<Fen> },
    /// 单品券 whose covered goods, or the order's goods, are not known: 仅限指定商品, and no
    /// saving is guessed.
    SingleItemUnknown,
    /// 单品券 whose covered goods are not in this order.
    NoCoveredItem,
    /// 消费金 with nothing left.
    EmptyBalance,
    /// Applies, but takes nothing off (a zero order, an exchange price above the item's).
    NoSaving,
    /// A coupon type this version does not know how to apply.
    UnsupportedKind,
}

/// The outcome of one coupon against one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Applies { saving: Fen },
    NotApplicable(Reason),
}

/// The saving `coupon` gives on `order` at `now`, or the reason it gives none. The saving is
/// always positive and never more than the order total.
pub fn evaluate(coupon: &Coupon, order: &Order, now: BeijingTime) -> Outcome {
    evaluate_given(coupon, order, availability(coupon, now))
}

/// [`evaluate`] when the caller has already worked out the coupon's availability.
pub fn evaluate_given(coupon: &Coupon, order: &Order, availability: Availability) -> Outcome {
    if !availability.is_usable() {
        return Outcome::NotApplicable(Reason::NotUsable { availability });
    }
    let saving = if coupon.single_item {
        single_item_saving(coupon, order)
    } else {
        saving(&coupon.kind, order)
    };
    match saving.map(|s| s.min(order.total)) {
        Ok(s) if s > Fen::ZERO => Outcome::Applies { saving: s },
        Ok(_) => Outcome::NotApplicable(Reason::NoSaving),
        Err(reason) => Outcome::NotApplicable(reason),
    }
}

fn saving(kind: &CouponKind, order: &Order) -> Result<Fen, Reason> {
    let total = order.total.max(Fen::ZERO);
    let threshold = kind.threshold();
    if total < threshold {
        return Err(Reason::BelowThreshold { threshold });
    }
    match kind {
        CouponKind::FixedAmount { amount, .. } => Ok(*amount),
        CouponKind::Discount { pay_percent, .. } => {
            let off =
                i128::from(total.0) * i128::from(100 - i64::from((*pay_percent).min(100))) / 100;
            Ok(Fen(off as i64))
        }
        CouponKind::Exchange { price, .. } => best_item(order, |unit| unit.saturating_sub(*price))
            .ok_or(Reason::NoEligibleItem { max_item_price: None }),
        CouponKind::CutTo { price, max_item_price, .. } => best_item(order, |unit| {
            if unit <= *max_item_price {
                unit.saturating_sub(*price)
            } else {
                Fen::ZERO
            }
        })
        .ok_or(Reason::NoEligibleItem { max_item_price: Some(*max_item_price) }),
        CouponKind::Balance { balance } if *balance <= Fen::ZERO => Err(Reason::EmptyBalance),
        CouponKind::Balance { balance } => Ok(*balance),
        CouponKind::Unknown { .. } => Err(Reason::UnsupportedKind),
    }
}

/// A 单品券 takes off one unit of one covered item line: the best such unit.
fn single_item_saving(coupon: &Coupon, order: &Order) -> Result<Fen, Reason> {
    if coupon.goods_ids.is_empty() || order.items.iter().all(|i| i.goods_id.is_none()) {
        return Err(Reason::SingleItemUnknown);
    }
    let threshold = coupon.kind.threshold();
    if order.total.max(Fen::ZERO) < threshold {
        return Err(Reason::BelowThreshold { threshold });
    }
    let covered = Order {
        total: order.total,
        items: order
            .items
            .iter()
            .filter(|i| i.goods_id.as_ref().is_some_and(|g| coupon.goods_ids.contains(g)))
            .cloned()
            .collect(),
    };
    if covered.items.iter().all(|i| i.quantity == 0) {
        return Err(Reason::NoCoveredItem);
    }
    let per_unit = |unit: Fen| -> Fen {
        match &coupon.kind {
            CouponKind::FixedAmount { amount, .. } => (*amount).min(unit),
            CouponKind::Discount { pay_percent, .. } => Fen((i128::from(unit.0)
                * i128::from(100 - i64::from((*pay_percent).min(100)))
                / 100) as i64),
            CouponKind::Exchange { price, .. } => unit.saturating_sub(*price),
            CouponKind::CutTo { price, max_item_price, .. } if unit <= *max_item_price => {
                unit.saturating_sub(*price)
            }
            _ => Fen::ZERO,
        }
    };
    match &coupon.kind {
        CouponKind::Balance { .. } => saving(&coupon.kind, order),
        CouponKind::Unknown { .. } => Err(Reason::UnsupportedKind),
        CouponKind::CutTo { max_item_price, .. } => best_item(&covered, per_unit)
            .ok_or(Reason::NoEligibleItem { max_item_price: Some(*max_item_price) }),
        _ => best_item(&covered, per_unit).ok_or(Reason::NoSaving),
    }
}

/// The largest positive saving one unit of any item line gives.
fn best_item(order: &Order, per_unit: impl Fn(Fen) -> Fen) -> Option<Fen> {
    order
        .items
        .iter()
        .filter(|i| i.quantity > 0)
        .map(|i| per_unit(i.unit_price))
        .filter(|s| *s > Fen::ZERO)
        .max()
}
