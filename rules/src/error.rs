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

/// A data error named structurally: serde_value's error keeps a missing field's name as a
/// value, where serde_json's keeps it only in its message text (which may be reworded).
type Traced = serde_path_to_error::Error<serde_value::DeserializerError>;

impl From<Traced> for Error {
    fn from(e: Traced) -> Self {
        let path = e.path().to_string();
        let parent = if path == "." { String::new() } else { path };
        let inner = e.into_inner();
        // A missing field is reported at its parent; name the field itself.
        let field = match &inner {
            serde_value::DeserializerError::MissingField(name) if parent.is_empty() => {
                (*name).to_owned()
            }
            serde_value::DeserializerError::MissingField(name) => format!("{parent}.{name}"),
            _ if parent.is_empty() => "(body)".to_owned(),
            _ => parent,
        };
        // serde's own wording ("invalid type: …, expected …"), with no position in it.
        let detail = inner.into_error::<serde::de::value::Error>().to_string();
        Error::Field { field, detail }
    }
}

/// Reads `value` into `T` again, for the error only: the fast path (serde_json straight into
/// `T`) has already failed, and this one names the field without reading message text.
fn explain<T: serde::de::DeserializeOwned>(value: serde_value::Value) -> Option<Error> {
    let de = serde_value::ValueDeserializer::<serde_value::DeserializerError>::new(value);
    serde_path_to_error::deserialize::<_, T>(de).err().map(Error::from)
}

/// The error of a failed serde_json read, for a body that is JSON: explained, or (if the
/// second read does not fail alike) serde_json's own words at its path.
fn data_error<T: serde::de::DeserializeOwned>(
    value: Option<serde_value::Value>,
    e: serde_path_to_error::Error<serde_json::Error>,
) -> Error {
    value.and_then(explain::<T>).unwrap_or_else(|| {
        let path = e.path().to_string();
        let field = if path == "." { "(body)".to_owned() } else { path };
        Error::Field { field, detail: e.into_inner().to_string() }
    })
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
    use serde_json::error::Category;
    let mut de = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize(&mut de) {
        Ok(value) => {
            de.end().map_err(|e| Error::NotJson { detail: e.to_string() })?;
            Ok(value)
        }
        Err(e)
            if matches!(e.inner().classify(), Category::Syntax | Category::Eof | Category::Io) =>
        {
            Err(Error::NotJson { detail: e.into_inner().to_string() })
        }
        Err(e) => Err(data_error::<T>(serde_json::from_slice(body).ok(), e)),
    }
}

/// Reads an already parsed JSON value into `T`; an error names the field's path.
pub fn from_value<T: serde::de::DeserializeOwned>(value: &serde_json::Value) -> Result<T> {
    serde_path_to_error::deserialize(value)
        .map_err(|e| data_error::<T>(serde_value::to_value(value).ok(), e))
}
