//! The rules engine's one error type: what went wrong reading an upstream body, always
//! naming the field, so a log line says exactly which part of WeChat's answer was off.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The body is not JSON at all (even after repairing the documented missing commas).
    NotJson { detail: String },
    /// A required field is absent or null.
    Missing { field: String },
    /// A field is present but of a type that cannot be read as the expected one.
    WrongType { field: String, expected: &'static str },
    /// A field has the right type but a value the rules cannot accept.
    BadValue { field: String, detail: String },
}

impl Error {
    /// The dotted path of the field at fault (`data[2].coupon_code`), if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::NotJson { .. } => None,
            Error::Missing { field } | Error::WrongType { field, .. } | Error::BadValue { field, .. } => Some(field),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotJson { detail } => write!(f, "upstream body is not JSON: {detail}"),
            Error::Missing { field } => write!(f, "missing required field `{field}`"),
            Error::WrongType { field, expected } => write!(f, "field `{field}` is not {expected}"),
            Error::BadValue { field, detail } => write!(f, "field `{field}`: {detail}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
