//! When a coupon can be used. Every rule is evaluated on the Beijing wall clock; the answer
//! is either "usable now" or the reason why not together with when that changes, so the UI
//! can say "10:00后可用" and re-check exactly when a slot opens or closes.

use crate::model::{Coupon, CouponState, DayRange, Validity, WeeklySlots, Window};
use crate::time::BeijingTime;
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use serde::{Deserialize, Serialize};

/// How close to expiry a coupon is flagged 即将过期, unless the caller chooses otherwise.
pub const DEFAULT_EXPIRING_SOON_MS: i64 = 3 * 86_400_000;

/// Whether a coupon is usable at one instant, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Availability {
    /// Usable now; `until` is the first instant it stops being usable (None: never ends).
    Usable {
        until: Option<BeijingTime>,
    },
    /// Its window has not opened; `from` is the first usable instant.
    NotStarted {
        from: BeijingTime,
    },
    /// Inside its window but outside every time slot; `next` is the next usable instant,
    /// or None when no slot opens again before it expires.
    OutsideSlot {
        next: Option<BeijingTime>,
    },
    Expired {
        at: Option<BeijingTime>,
    },
    Used {
        at: Option<BeijingTime>,
    },
    /// WeChat reported a state this code does not know; never offered as usable.
    Unavailable,
}

impl Availability {
    pub fn is_usable(&self) -> bool {
        matches!(self, Availability::Usable { .. })
    }

    /// The next instant at which this answer changes, if it ever does.
    pub fn changes_at(&self) -> Option<BeijingTime> {
        match self {
            Availability::Usable { until } => *until,
            Availability::NotStarted { from } => Some(*from),
            Availability::OutsideSlot { next } => *next,
            _ => None,
        }
    }
}

/// The span a coupon can be used in, after combining every window rule: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: Option<BeijingTime>,
    /// Exclusive: the first instant it is no longer valid.
    pub end: Option<BeijingTime>,
}

impl Span {
    /// The last valid instant, as WeChat states expiry times (inclusive).
    pub fn expires_at(&self) -> Option<BeijingTime> {
        self.end.map(|e| e.plus_millis(-1))
    }
}

/// The span a coupon can be used in. The coupon's own window (`available_start_time`..
/// `expire_time`) is authoritative: WeChat computed it from the stock's rules when the coupon
/// was issued. Without it, the stock window is narrowed by 领取后N天内有效.
pub fn span(c: &Coupon) -> Span {
    let v = &c.validity;
    let stock = v.stock_window.unwrap_or(Window { begin: None, end: None });
    let exclusive = |e: Option<BeijingTime>| e.map(|e| e.plus_millis(1));
    if let Some(own) = v.coupon_window {
        return Span { start: own.begin.or(stock.begin), end: exclusive(own.end.or(stock.end)) };
    }
    let mut start = stock.begin;
    let mut end = exclusive(stock.end);
    if let (Some(days), Some(received)) = (v.days_after_receive, c.received_at) {
        // Rule 1: received before the stock opens → count from its first day.
        // Rule 2: received inside it → count from the day of receipt.
        // Rule 3: never past the stock's end (already in `end`).
        let first = match stock.begin {
            Some(b) if received < b => b,
            _ => received,
        };
        start = max_opt(start, Some(first));
        end = min_opt(end, Some(BeijingTime::start_of(plus_days(first.date(), u64::from(days)))));
    }
    Span { start, end }
}

/// Is the coupon usable at `now`, and if not, why not and until when.
pub fn availability(c: &Coupon, now: BeijingTime) -> Availability {
    availability_within(c, span(c), now)
}

/// [`availability`] of a coupon whose [`span`] (`span(c)`) is known already: the picker's
/// ranking needs the span again for the expiry, and computing it twice was a tenth of its time.
pub fn availability_within(c: &Coupon, span: Span, now: BeijingTime) -> Availability {
    match c.state {
        CouponState::Used => return Availability::Used { at: c.used_at },
        CouponState::Expired => return Availability::Expired { at: span.expires_at() },
        CouponState::Unknown(_) => return Availability::Unavailable,
        CouponState::Available => {}
    }
    if span.end.is_some_and(|e| now >= e) || span.start.zip(span.end).is_some_and(|(s, e)| s >= e) {
        return Availability::Expired { at: span.expires_at() };
    }
    let next = next_usable(&c.validity, span, now);
    if span.start.is_some_and(|s| now < s) {
        return match next {
            Some(from) => Availability::NotStarted { from },
            // Its window opens, but no slot ever falls inside it.
            None => Availability::OutsideSlot { next: None },
        };
    }
    if next == Some(now) {
        Availability::Usable { until: usable_until(&c.validity, span, now) }
    } else {
        Availability::OutsideSlot { next }
    }
}

/// 即将过期: still usable or about to be, and its last valid instant is within `within_ms`.
pub fn is_expiring_soon(c: &Coupon, now: BeijingTime, within_ms: i64) -> bool {
    c.state == CouponState::Available
        && span(c)
            .end
            .is_some_and(|end| now < end && end.unix_millis() - now.unix_millis() <= within_ms)
}

fn has_slot_rules(v: &Validity) -> bool {
    v.weekly.is_some() || !v.irregular.is_empty()
}

/// Weekly slots of one day as `[begin, end)` on the Beijing wall clock. They are compared as
/// wall-clock times and only the answer becomes an instant: converting every slot of eight
/// days for each of 10,000 coupons was most of the ranking's time (BENCHMARKS.md).
fn slots_on(
    week: &WeeklySlots,
    day: NaiveDate,
) -> impl Iterator<Item = (NaiveDateTime, NaiveDateTime)> + '_ {
    const WHOLE_DAY: [DayRange; 1] = [DayRange {
        begin: NaiveTime::MIN,
        end: NaiveTime::from_hms_opt(23, 59, 59).expect("a time of day"),
    }];
    let open = week.days.is_empty() || week.days.contains(&day.weekday());
    let ranges: &[DayRange] = if week.ranges.is_empty() { &WHOLE_DAY } else { &week.ranges };
    // `end` is inclusive to the second, as WeChat states it.
    let end = move |r: &DayRange| {
        day.and_time(r.end).checked_add_signed(TimeDelta::seconds(1)).unwrap_or(NaiveDateTime::MAX)
    };
    ranges.iter().filter(move |_| open).map(move |r| (day.and_time(r.begin), end(r)))
}

fn irregular_bounds(w: &Window) -> (BeijingTime, BeijingTime) {
    (
        w.begin.unwrap_or_else(BeijingTime::min),
        w.end.map_or_else(BeijingTime::max, |e| e.plus_millis(1)),
    )
}

/// `date` plus `days`, held at the last date chrono knows.
fn plus_days(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days)).unwrap_or(NaiveDate::MAX)
}

/// The first instant at or after `from` inside a weekly slot, within the next eight days (a
/// week repeats). A day's slots all come before the next day's, so the first day with one
/// holds the answer.
fn next_weekly(week: &WeeklySlots, from: BeijingTime) -> Option<BeijingTime> {
    let local = from.wall_clock();
    let first = (0..8).find_map(|d| {
        slots_on(week, plus_days(local.date(), d))
            .filter(|(_, end)| *end > local)
            .map(|(begin, _)| begin)
            .min()
    })?;
    Some(if first <= local { from } else { BeijingTime::from_wall_clock(first) })
}

/// The first usable instant at or after `t`, inside the span and a slot.
pub(crate) fn next_usable(v: &Validity, span: Span, t: BeijingTime) -> Option<BeijingTime> {
    let from = max_opt(Some(t), span.start)?;
    let before_end = |x: BeijingTime| span.end.is_none_or(|e| x < e);
    if !has_slot_rules(v) {
        return before_end(from).then_some(from);
    }
    let weekly = v.weekly.as_ref().and_then(|week| next_weekly(week, from));
    let irregular = v
        .irregular
        .iter()
        .map(irregular_bounds)
        .filter(|(_, end)| *end > from)
        .map(|(begin, _)| begin.max(from))
        .min();
    // Any later candidate is past the span's end if the first is.
    min_opt(weekly, irregular).filter(|x| before_end(*x))
}

/// The end of the usable stretch containing `now`: the later end of the slots holding it,
/// capped by the span. (A weekly slot never crosses midnight: only today's can hold `now`.)
fn usable_until(v: &Validity, span: Span, now: BeijingTime) -> Option<BeijingTime> {
    if !has_slot_rules(v) {
        return span.end;
    }
    let local = now.wall_clock();
    let weekly = v.weekly.as_ref().and_then(|week| {
        slots_on(week, local.date())
            .filter(|(b, e)| *b <= local && local < *e)
            .map(|(_, e)| e)
            .max()
    });
    let irregular = v
        .irregular
        .iter()
        .map(irregular_bounds)
        .filter(|(b, e)| *b <= now && now < *e)
        .map(|(_, e)| e)
        .max();
    min_opt(max_opt(weekly.map(BeijingTime::from_wall_clock), irregular), span.end)
}

fn max_opt(a: Option<BeijingTime>, b: Option<BeijingTime>) -> Option<BeijingTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn min_opt(a: Option<BeijingTime>, b: Option<BeijingTime>) -> Option<BeijingTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
