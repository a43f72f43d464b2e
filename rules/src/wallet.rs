//! The 我的代金券 list's rules: which tab a coupon is in and the order within it. Both the
//! proxy (to page) and the widget (to place a freshly claimed coupon) use them.

use crate::model::Coupon;
use crate::time::BeijingTime;
use crate::validity::{availability, span, Availability};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tab {
    /// 可用: usable now or later.
    Available,
    /// 已使用.
    Used,
    /// 已过期 (and anything that can no longer be used).
    Expired,
}

impl Tab {
    pub const ALL: [Tab; 3] = [Tab::Available, Tab::Used, Tab::Expired];

    pub fn parse(s: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tab::Available => "available",
            Tab::Used => "used",
            Tab::Expired => "expired",
        }
    }
}

pub fn tab(c: &Coupon, now: BeijingTime) -> Tab {
    match availability(c, now) {
        Availability::Used { .. } => Tab::Used,
        Availability::Expired { .. }
        | Availability::Unavailable
        | Availability::OutsideSlot { next: None } => Tab::Expired,
        Availability::Usable { .. }
        | Availability::NotStarted { .. }
        | Availability::OutsideSlot { next: Some(_) } => Tab::Available,
    }
}

/// Coupon counts per tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TabCounts {
    pub available: usize,
    pub used: usize,
    pub expired: usize,
    /// 已过期 has not been read from WeChat Pay yet (a cold first screen leaves it for when the
    /// tab is opened): `expired` counts only what the other queries brought.
    #[serde(default)]
    pub expired_pending: bool,
}

/// Sorts one tab's coupons: usable now first, then the soonest to expire (可用); the most
/// recently used or expired first (已使用, 已过期). Ties break on the id, so pages are stable.
pub fn sort_tab(coupons: &mut [&Coupon], tab: Tab, now: BeijingTime) {
    let end = |c: &Coupon| span(c).end.map_or(i64::MAX, BeijingTime::unix_millis);
    match tab {
        Tab::Available => coupons
            .sort_by_cached_key(|c| (!availability(c, now).is_usable(), end(c), c.id.clone())),
        Tab::Used => coupons.sort_by_cached_key(|c| {
            (std::cmp::Reverse(c.used_at.map_or(i64::MIN, BeijingTime::unix_millis)), c.id.clone())
        }),
        Tab::Expired => coupons.sort_by_cached_key(|c| (std::cmp::Reverse(end(c)), c.id.clone())),
    }
}

/// Splits coupons into the tab asked for, sorted, plus the counts of every tab.
pub fn select(coupons: &[Coupon], wanted: Tab, now: BeijingTime) -> (Vec<&Coupon>, TabCounts) {
    let mut counts = TabCounts::default();
    let mut selected = Vec::new();
    for c in coupons {
        let t = tab(c, now);
        match t {
            Tab::Available => counts.available += 1,
            Tab::Used => counts.used += 1,
            Tab::Expired => counts.expired += 1,
        }
        if t == wanted {
            selected.push(c);
        }
    }
    sort_tab(&mut selected, wanted, now);
    (selected, counts)
}
