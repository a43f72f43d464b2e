//! Money in integer fen (分). The only money type in the product: no floats anywhere a
//! price is computed, so a discount can never be off by a rounding error.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount in fen (1/100 yuan). Signed so that differences are representable, but every
/// amount the rules produce is clamped to be non-negative.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    /// "5", "0.80", "12.5" is never produced: either whole yuan or two decimals, as shops print it.
    pub fn yuan_compact(self) -> String {
        let (sign, abs) = self.split_sign();
        if abs % 100 == 0 {
            format!("{sign}{}", abs / 100)
        } else {
            format!("{sign}{}.{:02}", abs / 100, abs % 100)
        }
    }

    /// Always two decimals ("5.00"), for totals and the amount the user pays.
    pub fn yuan_fixed(self) -> String {
        let (sign, abs) = self.split_sign();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    fn split_sign(self) -> (&'static str, u64) {
        (if self.0 < 0 { "-" } else { "" }, self.0.unsigned_abs())
    }

    pub fn saturating_sub(self, other: Fen) -> Fen {
        Fen(self.0.saturating_sub(other.0))
    }

    pub fn min(self, other: Fen) -> Fen {
        Fen(self.0.min(other.0))
    }

    pub fn max(self, other: Fen) -> Fen {
        Fen(self.0.max(other.0))
    }
}

impl fmt::Display for Fen {
    /// Displays as yuan with the currency sign, e.g. `¥5` or `¥0.80`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "¥{}", self.yuan_compact())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_yuan_drop_the_decimals_and_fractions_keep_two() {
        assert_eq!(Fen(500).to_string(), "¥5");
        assert_eq!(Fen(80).to_string(), "¥0.80");
        assert_eq!(Fen(1050).to_string(), "¥10.50");
        assert_eq!(Fen(5).yuan_fixed(), "0.05");
        assert_eq!(Fen(-500).yuan_fixed(), "-5.00");
        assert_eq!(Fen(i64::MIN).yuan_fixed(), "-92233720368547758.08");
    }
}
