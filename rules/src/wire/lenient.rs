//! serde helpers for what real WeChat Pay bodies do: numbers and booleans sent as strings
//! (`"transferable": "false"`, `"offset": "0"`), ids sent as numbers, `week_day` as one
//! number or an array of numbers or strings, empty strings for absent values. Each is a
//! `deserialize_with` function; a value it cannot read is an error at that field's path.

use crate::money::Fen;
use crate::time::{BeijingTime, Weekday};
use chrono::NaiveTime;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::fmt;

/// Any JSON scalar, read as it came; objects and arrays are refused by the visitor.
enum Scalar {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
}

impl Scalar {
    fn describe(&self) -> String {
        match self {
            Scalar::Null => "null".into(),
            Scalar::Bool(b) => format!("boolean {b}"),
            Scalar::Int(n) => format!("number {n}"),
            Scalar::Float(f) => format!("number {f}"),
            Scalar::Str(s) => format!("string {:?}", s.chars().take(40).collect::<String>()),
        }
    }

    /// An integer, from a JSON number or a numeric string.
    fn int(&self) -> Option<i128> {
        match self {
            Scalar::Int(n) => Some(*n),
            Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 1e18 => Some(*f as i128),
            Scalar::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    fn is_absent(&self) -> bool {
        matches!(self, Scalar::Null) || matches!(self, Scalar::Str(s) if s.trim().is_empty())
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_unit<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
                Scalar::deserialize(d)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Scalar, E> {
                Ok(Scalar::Int(n.into()))
            }
            fn visit_f64<E>(self, f: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(f))
            }
            fn visit_str<E>(self, s: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Scalar, E> {
                Ok(Scalar::Str(s))
            }
        }
        d.deserialize_any(V)
    }
}

fn wrong<E: de::Error>(expected: &str, got: &Scalar) -> E {
    E::custom(format!("expected {expected}, got {}", got.describe()))
}

/// An integer in `range`, from a number or a numeric string.
fn int_in<E: de::Error, T: TryFrom<i128>>(
    s: &Scalar,
    range: std::ops::RangeInclusive<i128>,
    what: &str,
) -> Result<T, E> {
    let n = s.int().ok_or_else(|| wrong(what, s))?;
    if !range.contains(&n) {
        return Err(E::custom(format!(
            "{what} out of range {}..={}: {n}",
            range.start(),
            range.end()
        )));
    }
    T::try_from(n).map_err(|_| E::custom(format!("{what} out of range: {n}")))
}

/// A required non-empty string; a number is taken as its digits (ids sometimes arrive unquoted).
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    opt_string(d)?.ok_or_else(|| de::Error::custom("expected a non-empty string"))
}

/// A string, or a number as its digits; null and the empty string are absent.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Scalar::deserialize(d)? {
        s if s.is_absent() => Ok(None),
        Scalar::Str(s) => Ok(Some(s)),
        Scalar::Int(n) => Ok(Some(n.to_string())),
        other => Err(wrong("a string", &other)),
    }
}

/// One of WeChat's enum strings, trimmed and upper-cased for the caller to map.
pub fn opt_enum<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(opt_string(d)?.map(|s| s.trim().to_ascii_uppercase()))
}

/// A boolean, also as `"true"`/`"false"` (as the documents show them) or 0/1.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let s = Scalar::deserialize(d)?;
    match &s {
        Scalar::Null => Ok(None),
        Scalar::Bool(b) => Ok(Some(*b)),
        Scalar::Int(0) => Ok(Some(false)),
        Scalar::Int(1) => Ok(Some(true)),
        Scalar::Str(t) => match t.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" | "" => Ok(Some(false)),
            _ => Err(wrong("a boolean", &s)),
        },
        _ => Err(wrong("a boolean", &s)),
    }
}

/// A count (`total_count`, `offset`, `limit`), also as a numeric string.
pub fn opt_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let s = Scalar::deserialize(d)?;
    if s.is_absent() {
        return Ok(None);
    }
    int_in(&s, 0..=i128::from(u64::MAX), "a count").map(Some)
}

/// An RFC 3339 instant; null and the empty string are absent.
pub fn opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<BeijingTime>, D::Error> {
    match opt_string(d)? {
        None => Ok(None),
        Some(s) => BeijingTime::parse_rfc3339(&s).map(Some).map_err(de::Error::custom),
    }
}

/// 折扣's `discount_percent`: what the user pays, 1..=99 percent.
pub fn pay_percent<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    int_in(&Scalar::deserialize(d)?, 1..=99, "a percentage")
}

/// 领取后N天内有效: 1..=365 days.
pub fn opt_days<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    let s = Scalar::deserialize(d)?;
    if s.is_absent() {
        return Ok(None);
    }
    int_in(&s, 1..=365, "a number of days").map(Some)
}

/// A second of the day, 0..=86400, as a time of day; 86400 (the day's end) reads as 23:59:59.
pub fn day_second<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
    let secs: u32 = int_in(&Scalar::deserialize(d)?, 0..=86_400, "seconds of the day")?;
    Ok(NaiveTime::from_num_seconds_from_midnight_opt(secs.min(86_399), 0)
        .expect("0..86400 is a time of day"))
}

/// `week_day`: documented as an integer, shown as `["1", "2"]`; WeChat numbers the days
/// 0 = Sunday … 6 = Saturday. Returned Monday first, without repeats.
pub fn week_days<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Weekday>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<Weekday>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a weekday number or an array of them")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(V)
        }
        fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
            Ok(vec![weekday(&Scalar::Int(n.into()))?])
        }
        fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
            Ok(vec![weekday(&Scalar::Int(n.into()))?])
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            Ok(vec![weekday(&Scalar::Str(s.to_owned()))?])
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut days = Vec::new();
            while let Some(WireDay(d)) = seq.next_element()? {
                days.push(d);
            }
            Ok(days)
        }
    }
    let mut days = d.deserialize_any(V)?;
    days.sort_by_key(Weekday::num_days_from_monday);
    days.dedup();
    Ok(days)
}

fn weekday<E: de::Error>(s: &Scalar) -> Result<Weekday, E> {
    let n: u8 = int_in(s, 0..=6, "a weekday 0..=6")?;
    Ok(Weekday::try_from((n + 6) % 7).expect("0..=6 is a weekday"))
}

/// One WeChat weekday number.
struct WireDay(Weekday);

impl<'de> Deserialize<'de> for WireDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        weekday(&Scalar::deserialize(d)?).map(WireDay)
    }
}

/// The largest amount accepted from upstream (¥1 billion); larger is an error, not a wrap.
const MAX_FEN: i128 = 100_000_000_000;

/// An amount in fen from upstream: an integer 0..=¥1 billion, also as a numeric string.
#[derive(Debug, Clone, Copy)]
pub struct WireFen(pub Fen);

impl<'de> Deserialize<'de> for WireFen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        int_in(&Scalar::deserialize(d)?, 0..=MAX_FEN, "an amount in fen")
            .map(|n: i64| WireFen(Fen(n)))
    }
}
