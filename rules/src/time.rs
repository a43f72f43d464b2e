//! The one time type: an instant, always shown and reasoned about in China Standard Time
//! (+08:00, no daylight saving), because every coupon rule ("周二 10:00–18:00", "领取后3天内")
//! is defined on the Beijing wall clock whatever the phone's own time zone is.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

const MS_PER_SEC: i64 = 1_000;
const MS_PER_DAY: i64 = 86_400_000;
const CST_OFFSET_MS: i64 = 8 * 3_600_000;

/// An instant as milliseconds since the Unix epoch, evaluated on the +08:00 wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BeijingTime(i64);

/// A calendar day on the Beijing wall clock, counted from 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i64);

/// Day of the week as WeChat numbers it: 0 = Sunday … 6 = Saturday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Weekday(pub u8);

impl BeijingTime {
    pub const fn from_unix_millis(ms: i64) -> Self {
        BeijingTime(ms)
    }

    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// Builds an instant from a Beijing wall-clock date and time; `None` when out of range.
    pub fn from_civil(year: i64, month: u32, day: u32, h: u32, m: u32, s: u32) -> Option<Self> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) || h > 23 || m > 59 || s > 59 {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let secs = i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s);
        Some(BeijingTime(days * MS_PER_DAY + secs * MS_PER_SEC - CST_OFFSET_MS))
    }

    fn local_ms(self) -> i64 {
        self.0.saturating_add(CST_OFFSET_MS)
    }

    pub fn day(self) -> Day {
        Day(self.local_ms().div_euclid(MS_PER_DAY))
    }

    /// Seconds since Beijing midnight, 0..=86399.
    pub fn second_of_day(self) -> u32 {
        (self.local_ms().rem_euclid(MS_PER_DAY) / MS_PER_SEC) as u32
    }

    pub fn weekday(self) -> Weekday {
        self.day().weekday()
    }

    pub fn plus_millis(self, ms: i64) -> Self {
        BeijingTime(self.0.saturating_add(ms))
    }

    pub fn plus_days(self, days: i64) -> Self {
        self.plus_millis(days.saturating_mul(MS_PER_DAY))
    }

    /// Parses RFC 3339 as WeChat sends it (`2015-05-20T13:29:35.120+08:00`), accepting any
    /// offset, `Z`, a space for `T`, and the `:sss` millisecond separator the docs describe.
    pub fn parse_rfc3339(s: &str) -> Result<Self, String> {
        parse_rfc3339(s.trim()).ok_or_else(|| format!("not an RFC 3339 time: {:?}", truncate(s, 40)))
    }

    /// `2015-05-20T13:29:35.120+08:00`: the stable wire form of the proxy's API.
    pub fn to_rfc3339(self) -> String {
        let (y, mo, d) = self.day().civil();
        let sod = self.second_of_day();
        let ms = self.local_ms().rem_euclid(MS_PER_SEC);
        format!("{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}+08:00", sod / 3600, sod / 60 % 60, sod % 60)
    }

    /// `2025.05.20`, the date style of WeChat's coupon cards.
    pub fn date_dotted(self) -> String {
        self.day().dotted()
    }

    /// `10:00`.
    pub fn hh_mm(self) -> String {
        hh_mm(self.second_of_day())
    }
}

impl Day {
    pub fn start(self) -> BeijingTime {
        BeijingTime(self.0.saturating_mul(MS_PER_DAY).saturating_sub(CST_OFFSET_MS))
    }

    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday.
        Weekday((self.0 + 4).rem_euclid(7) as u8)
    }

    pub fn civil(self) -> (i64, u32, u32) {
        civil_from_days(self.0)
    }

    pub fn dotted(self) -> String {
        let (y, m, d) = self.civil();
        format!("{y:04}.{m:02}.{d:02}")
    }

    pub fn month_day(self) -> String {
        let (_, m, d) = self.civil();
        format!("{m:02}.{d:02}")
    }
}

/// `HH:MM` for a second of the day; 86399 (23:59:59) reads as 23:59 and 86400 as 24:00.
pub fn hh_mm(second_of_day: u32) -> String {
    format!("{:02}:{:02}", second_of_day / 3600, second_of_day / 60 % 60)
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

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

// Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn parse_rfc3339(s: &str) -> Option<BeijingTime> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        part.iter().try_fold(0u32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
    };
    let year = num(0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return None;
    }
    let (month, day, h, m) = (num(5, 2)?, num(8, 2)?, num(11, 2)?, num(14, 2)?);
    let sec = num(17, 2)?.min(59); // a leap second is held at :59
    let mut i = 19;
    let mut millis = 0i64;
    if matches!(b.get(i), Some(b'.' | b':')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 3 {
                millis = millis * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        for _ in (i - start)..3 {
            millis *= 10;
        }
    }
    let offset_ms = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let (oh, om) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let off = i64::from(oh * 3600 + om * 60) * MS_PER_SEC;
            if *sign == b'-' { -off } else { off }
        }
        _ => return None,
    };
    let local = BeijingTime::from_civil(i64::from(year), month, day, h, m, sec)?;
    // `local` read the wall clock as +08:00; shift to the offset actually given.
    Some(BeijingTime(local.0 + CST_OFFSET_MS - offset_ms + millis))
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
        assert_eq!(t.weekday(), Weekday(3)); // a Wednesday
    }

    #[test]
    fn other_offsets_are_converted_to_beijing_time() {
        let utc = BeijingTime::parse_rfc3339("2015-05-20T05:29:35Z").unwrap();
        assert_eq!(utc.to_rfc3339(), "2015-05-20T13:29:35.000+08:00");
        let colon_ms = BeijingTime::parse_rfc3339("2015-05-20T13:29:35:120+08:00").unwrap();
        assert_eq!(colon_ms.to_rfc3339(), "2015-05-20T13:29:35.120+08:00");
    }

    #[test]
    fn midnight_in_beijing_is_the_start_of_the_day_not_utc_midnight() {
        let late = BeijingTime::parse_rfc3339("2024-03-01T00:30:00+08:00").unwrap();
        assert_eq!(late.day().civil(), (2024, 3, 1));
        assert_eq!(late.day().start().to_rfc3339(), "2024-03-01T00:00:00.000+08:00");
        assert_eq!(late.second_of_day(), 1800);
    }

    #[test]
    fn rejects_what_is_not_a_time() {
        for bad in ["", "2015-13-01T00:00:00+08:00", "2015-02-30T00:00:00+08:00", "2015-05-20", "2015-05-20T13:29:35", "２015-05-20T13:29:35Z", "2015-05-20T13:29:35+08:00x"] {
            assert!(BeijingTime::parse_rfc3339(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn civil_round_trip_over_centuries() {
        for days in (-800_000i64..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
