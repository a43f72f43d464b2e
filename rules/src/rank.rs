//! The checkout picker's ranking: which coupons apply, which one is best, and why the rest
//! do not. Runs over thousands of coupons on every order change, so it allocates one vector
//! per section and formats no text.

use crate::discount::{evaluate_given, Order, Outcome, Reason};
use crate::model::Coupon;
use crate::money::Fen;
use crate::time::BeijingTime;
use crate::validity::{availability_within, span};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicable {
    /// Index into the coupons given to [`rank`].
    pub index: usize,
    pub saving: Fen,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotApplicable {
    pub index: usize,
    pub reason: Reason,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ranking {
    /// Largest saving first; equal savings: the one expiring sooner first.
    pub applicable: Vec<Applicable>,
    /// The best choice: the first applicable coupon.
    pub best: Option<usize>,
    /// Closest to applying first: short of the threshold, then waiting for a slot, then the rest.
    pub not_applicable: Vec<NotApplicable>,
    /// When the next coupon's usability changes (a slot opens or closes, a window starts or
    /// ends): the picker re-ranks then.
    pub next_change: Option<BeijingTime>,
}

impl Ranking {
    pub fn best_saving(&self) -> Fen {
        self.applicable.first().map_or(Fen::ZERO, |a| a.saving)
    }
}

pub fn rank(coupons: &[Coupon], order: &Order, now: BeijingTime) -> Ranking {
    let mut applicable = Vec::new();
    let mut not_applicable = Vec::new();
    let mut next_change: Option<BeijingTime> = None;
    for (index, coupon) in coupons.iter().enumerate() {
        let span = span(coupon);
        let availability = availability_within(coupon, span, now);
        if let Some(t) = availability.changes_at() {
            next_change = Some(next_change.map_or(t, |n| n.min(t)));
        }
        match evaluate_given(coupon, order, availability) {
            Outcome::Applies { saving } => {
                let expiry = span.end.map_or(i64::MAX, BeijingTime::unix_millis);
                applicable.push((Applicable { index, saving }, expiry));
            }
            Outcome::NotApplicable(reason) => not_applicable.push(NotApplicable { index, reason }),
        }
    }
    applicable.sort_by(|(a, a_end), (b, b_end)| {
        b.saving
            .cmp(&a.saving)
            .then(a_end.cmp(b_end))
            .then_with(|| coupons[a.index].id.cmp(&coupons[b.index].id))
    });
    not_applicable.sort_by_key(|n| closeness(&n.reason, order.total));
    let applicable: Vec<Applicable> = applicable.into_iter().map(|(a, _)| a).collect();
    Ranking { best: applicable.first().map(|a| a.index), applicable, not_applicable, next_change }
}

/// Sort key: how near a coupon is to applying to this order.
fn closeness(reason: &Reason, total: Fen) -> (u8, i64) {
    use crate::validity::Availability as A;
    match reason {
        Reason::BelowThreshold { threshold } => (0, threshold.0 - total.0),
        Reason::NoEligibleItem { .. }
        | Reason::NoCoveredItem
        | Reason::SingleItemUnknown
        | Reason::NoSaving => (1, 0),
        Reason::NotUsable {
            availability: A::OutsideSlot { next: Some(t) } | A::NotStarted { from: t },
        } => (2, t.unix_millis()),
        Reason::EmptyBalance | Reason::UnsupportedKind => (3, 0),
        Reason::NotUsable { .. } => (4, 0),
    }
}
