//! The one time type: an instant, always shown and reasoned about in China Standard Time
//! (+08:00, no daylight saving), because every coupon rule ("周二 10:00–18:00", "领取后3天内")
//! is defined on the Beijing wall clock whatever the phone's own time zone is.
//!
//! It is a thin newtype over chrono's `DateTime<FixedOffset>` pinned to +08:00: chrono does
//! the calendar, RFC 3339 and arithmetic; the newtype only guarantees the offset.

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeDelta,
    Timelike,
};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

pub use chrono::Weekday;

/// China Standard Time, +08:00.
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

/// The first and last instants whose +08:00 wall clock chrono represents, worked out once:
/// the ranking moves instants millions of times (building them per call made it 5× slower).
static BOUNDS: std::sync::LazyLock<(BeijingTime, BeijingTime)> = std::sync::LazyLock::new(|| {
    let first = BeijingTime::at(
        NaiveDate::MIN.succ_opt().expect("the day after the first date"),
        NaiveTime::MIN,
    );
    (first, BeijingTime::at(NaiveDate::MAX, NaiveTime::MIN))
});

/// An instant, always carried with the +08:00 offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BeijingTime(DateTime<FixedOffset>);

impl BeijingTime {
    /// The earliest and latest instants whose Beijing wall clock chrono can represent: the
    /// open ends of a window. Every `BeijingTime` lies between them, so reading its date or
    /// time never overflows.
    pub fn min() -> Self {
        BOUNDS.0
    }

    pub fn max() -> Self {
        BOUNDS.1
    }

    /// `t` on the +08:00 clock, held inside [`BeijingTime::min`]..=[`BeijingTime::max`].
    fn clamped<Tz: chrono::TimeZone>(t: DateTime<Tz>) -> Self {
        let t = t.fixed_offset();
        let (min, max) = (BOUNDS.0 .0, BOUNDS.1 .0);
        BeijingTime(if t < min {
            min
        } else if t > max {
            max
        } else {
            t.with_timezone(&cst())
        })
    }

    /// From milliseconds since the Unix epoch (a browser's `Date.now()`), clamped to the range.
    pub fn from_unix_millis(ms: i64) -> Self {
        DateTime::from_timestamp_millis(ms)
            .map_or_else(|| if ms < 0 { Self::min() } else { Self::max() }, Self::clamped)
    }

    pub fn unix_millis(self) -> i64 {
        self.0.timestamp_millis()
    }

    /// The instant a Beijing wall-clock date and time names.
    pub fn at(date: NaiveDate, time: NaiveTime) -> Self {
        // +08:00 has no gaps or folds: every wall-clock time names one instant, except past
        // the ends of chrono's range, where the nearest end is taken.
        let local = date.and_time(time);
        BeijingTime(local.and_local_timezone(cst()).single().unwrap_or_else(|| {
            // (The bounds themselves are in range, so building them never comes here.)
            if local.year() < 0 {
                BOUNDS.0 .0
            } else {
                BOUNDS.1 .0
            }
        }))
    }

    /// The instant a Beijing wall-clock date-time names (see [`BeijingTime::at`]).
    pub fn from_wall_clock(local: NaiveDateTime) -> Self {
        Self::at(local.date(), local.time())
    }

    /// The Beijing wall clock at this instant: compared among themselves, wall-clock times
    /// order exactly as the instants do (+08:00 has no gaps or folds), without converting.
    pub fn wall_clock(self) -> NaiveDateTime {
        self.0.naive_local()
    }

    /// Beijing midnight starting `date`.
    pub fn start_of(date: NaiveDate) -> Self {
        Self::at(date, NaiveTime::MIN)
    }

    /// The calendar day on the Beijing wall clock.
    pub fn date(self) -> NaiveDate {
        self.0.date_naive()
    }

    /// The wall-clock time of day in Beijing.
    pub fn time(self) -> NaiveTime {
        self.0.time()
    }

    pub fn weekday(self) -> Weekday {
        self.0.weekday()
    }

    /// `self` moved by `delta`, held at the ends of chrono's range instead of overflowing.
    pub fn plus(self, delta: TimeDelta) -> Self {
        match self.0.checked_add_signed(delta) {
            // The usual case: still inside the range, and still on +08:00.
            Some(t) if t > BOUNDS.0 .0 && t < BOUNDS.1 .0 => BeijingTime(t),
            Some(t) => Self::clamped(t),
            None if delta < TimeDelta::zero() => Self::min(),
            None => Self::max(),
        }
    }

    pub fn plus_millis(self, ms: i64) -> Self {
        self.plus(TimeDelta::milliseconds(ms))
    }

    pub fn plus_days(self, days: i64) -> Self {
        self.plus(TimeDelta::try_days(days).unwrap_or(if days < 0 {
            TimeDelta::MIN
        } else {
            TimeDelta::MAX
        }))
    }

    /// Parses RFC 3339 with chrono (`2015-05-20T13:29:35.120+08:00`; any offset, `Z`); the
    /// instant is kept on the +08:00 wall clock.
    pub fn parse_rfc3339(s: &str) -> Result<Self, String> {
        DateTime::parse_from_rfc3339(s.trim()).map(Self::clamped).map_err(|e| {
            format!("not an RFC 3339 time ({e}): {:?}", s.chars().take(40).collect::<String>())
        })
    }

    /// `2015-05-20T13:29:35.120+08:00`: the stable wire form of the proxy's API.
    pub fn to_rfc3339(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Millis, false)
    }

    /// `2025.05.20`, the date style of WeChat's coupon cards.
    pub fn date_dotted(self) -> String {
        // Datelike accessors rather than a strftime pattern: chrono's pattern interpreter
        // costs the widget's bundle 11 KB gzip (BENCHMARKS.md).
        let d = self.date();
        format!("{:04}.{:02}.{:02}", d.year(), d.month(), d.day())
    }

    /// `05.20`.
    pub fn month_day(self) -> String {
        let d = self.date();
        format!("{:02}.{:02}", d.month(), d.day())
    }

    /// `10:00`.
    pub fn hh_mm(self) -> String {
        hh_mm(self.time())
    }
}

/// `HH:MM` for a time of day.
pub fn hh_mm(t: NaiveTime) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

impl fmt::Display for BeijingTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for BeijingTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for BeijingTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        BeijingTime::parse_rfc3339(&s).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wechat_times_and_keeps_the_beijing_wall_clock() {
        let t = BeijingTime::parse_rfc3339("2015-05-20T13:29:35.120+08:00").unwrap();
        assert_eq!(t.unix_millis(), 1_432_099_775_120);
        assert_eq!(t.to_rfc3339(), "2015-05-20T13:29:35.120+08:00");
        assert_eq!(t.date_dotted(), "2015.05.20");
        assert_eq!(t.hh_mm(), "13:29");
        assert_eq!(t.weekday(), Weekday::Wed);
    }

    #[test]
    fn other_offsets_are_converted_to_beijing_time() {
        let utc = BeijingTime::parse_rfc3339("2015-05-20T05:29:35Z").unwrap();
        assert_eq!(utc.to_rfc3339(), "2015-05-20T13:29:35.000+08:00");
        assert_eq!(BeijingTime::from_unix_millis(utc.unix_millis()), utc);
    }

    #[test]
    fn midnight_in_beijing_is_the_start_of_the_day_not_utc_midnight() {
        let late = BeijingTime::parse_rfc3339("2024-03-01T00:30:00+08:00").unwrap();
        assert_eq!(late.date(), NaiveDate::from_ymd_opt(2024, 3, 1).unwrap());
        assert_eq!(
            BeijingTime::start_of(late.date()).to_rfc3339(),
            "2024-03-01T00:00:00.000+08:00"
        );
        assert_eq!(late.time().num_seconds_from_midnight(), 1800);
    }

    #[test]
    fn rejects_what_is_not_a_time() {
        for bad in [
            "",
            "2015-13-01T00:00:00+08:00",
            "2015-02-30T00:00:00+08:00",
            "2015-05-20",
            "2015-05-20T13:29:35",
            "２015-05-20T13:29:35Z",
            "2015-05-20T13:29:35+08:00x",
        ] {
            assert!(BeijingTime::parse_rfc3339(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn arithmetic_saturates_at_the_ends() {
        assert_eq!(BeijingTime::max().plus_days(1), BeijingTime::max());
        assert_eq!(BeijingTime::min().plus_millis(-1), BeijingTime::min());
        assert_eq!(BeijingTime::from_unix_millis(i64::MAX), BeijingTime::max());
        assert_eq!(
            BeijingTime::from_unix_millis(8_210_298_412_799_999),
            BeijingTime::max(),
            "a UTC instant near chrono's end"
        );
        // Reading the wall clock at either end never overflows.
        let past_the_end = BeijingTime::at(NaiveDate::MIN, NaiveTime::MIN);
        assert_eq!(
            past_the_end,
            BeijingTime::min(),
            "before chrono's first UTC instant: the first"
        );
        for t in [
            BeijingTime::min(),
            BeijingTime::max(),
            BeijingTime::max().plus_millis(-1),
            BeijingTime::max().plus_days(-1),
            past_the_end,
        ] {
            let _ = (t.date_dotted(), t.hh_mm(), t.weekday(), t.to_rfc3339());
        }
        let far = BeijingTime::parse_rfc3339("+262142-12-31T23:59:59Z");
        assert!(far.is_err() || far.unwrap() <= BeijingTime::max());
    }
}
