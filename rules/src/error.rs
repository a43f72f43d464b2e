//! The rules engine's one error type: what went wrong reading a JSON body, always naming the
//! field, so a log line says exactly which part of WeChat's (or the proxy's) answer was off.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The body is not JSON at all.
    NotJson { detail: String },
    /// A field is missing, of the wrong type, or holds a value the rules cannot accept.
    /// `field` is its path from the body's root (`data[2].coupon_use_rule.use_method`), or
    /// `(body)` for the root itself.
    Field { field: String, detail: String },
}

impl Error {
    /// The path of the field at fault, if the body was JSON.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::NotJson { .. } => None,
            Error::Field { field, .. } => Some(field),
        }
    }

    pub fn field_error(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Error::Field { field: field.into(), detail: detail.into() }
    }

    /// The same error, seen from `prefix` (an array element, an enclosing object).
    pub fn under(self, prefix: &str) -> Self {
        match self {
            Error::Field { field, detail } if field == "(body)" => {
                Error::Field { field: prefix.to_owned(), detail }
            }
            Error::Field { field, detail } if field.starts_with('[') => {
                Error::Field { field: format!("{prefix}{field}"), detail }
            }
            Error::Field { field, detail } => {
                Error::Field { field: format!("{prefix}.{field}"), detail }
            }
            other => other,
        }
    }
}

impl From<serde_path_to_error::Error<serde_json::Error>> for Error {
    fn from(e: serde_path_to_error::Error<serde_json::Error>) -> Self {
        use serde_json::error::Category;
        let path = e.path().to_string();
        let inner = e.into_inner();
        if matches!(inner.classify(), Category::Syntax | Category::Eof | Category::Io) {
            return Error::NotJson { detail: inner.to_string() };
        }
        // serde_json appends " at line L column C"; the path says where better.
        let mut detail = inner.to_string();
        if let Some(at) = detail.rfind(" at line ") {
            detail.truncate(at);
        }
        let mut field = if path == "." { String::new() } else { path };
        // A missing field is reported at its parent; name the field itself.
        if let Some(name) = detail.strip_prefix("missing field `").and_then(|r| r.strip_suffix('`'))
        {
            field = if field.is_empty() { name.to_owned() } else { format!("{field}.{name}") };
        }
        Error::Field { field: if field.is_empty() { "(body)".to_owned() } else { field }, detail }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotJson { detail } => write!(f, "body is not JSON: {detail}"),
            Error::Field { field, detail } => write!(f, "field `{field}`: {detail}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// Reads a JSON body into `T` with serde; an error names the field's path.
pub fn from_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de)?;
    de.end().map_err(|e| Error::NotJson { detail: e.to_string() })?;
    Ok(value)
}

/// Reads an already parsed JSON value into `T`; an error names the field's path.
pub fn from_value<T: serde::de::DeserializeOwned>(value: &serde_json::Value) -> Result<T> {
    Ok(serde_path_to_error::deserialize(value)?)
}
