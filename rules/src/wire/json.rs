//! Reading JSON as it really arrives. Every accessor knows the path it reads, so errors name
//! the field; numbers and booleans are accepted as strings because WeChat's own examples send
//! them that way (`"transferable": "false"`, `"week_day": ["1", "2"]`). The model's own JSON
//! form ([`crate::model_json`]) is read through the same accessors.

use crate::error::{Error, Result};
use crate::json::{self, Expected, Value};
use crate::time::BeijingTime;

/// Parses a body into a JSON value. WeChat's documented examples drop the comma between
/// fields on consecutive lines; a real body with the same slip is repaired, and only that
/// slip: a newline between a complete value and the next key's opening quote.
pub fn parse_body(body: &[u8]) -> Result<Value> {
    const MAX_REPAIRS: usize = 32;
    let mut err = match json::parse(body) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let mut repaired = body.to_vec();
    for _ in 0..MAX_REPAIRS {
        let Some(at) = missing_comma_offset(&repaired, &err) else { break };
        repaired.insert(at, b',');
        match json::parse(&repaired) {
            Ok(v) => return Ok(v),
            Err(e) => err = e,
        }
    }
    Err(Error::NotJson { detail: err.to_string() })
}

/// Where a missing comma belongs, if `err` is exactly the documented slip.
fn missing_comma_offset(text: &[u8], err: &json::ParseError) -> Option<usize> {
    if err.expected != Expected::CommaOrBrace || text.get(err.offset) != Some(&b'"') {
        return None;
    }
    let before = &text[..err.offset];
    let value_end = before.iter().rposition(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n')).map_or(0, |i| i + 1);
    before[value_end..].contains(&b'\n').then_some(value_end)
}

/// A JSON object being read, with the path that leads to it.
pub struct Obj<'a> {
    object: &'a Value,
    path: String,
}

impl<'a> Obj<'a> {
    /// The top-level object of a body.
    pub fn root(value: &'a Value) -> Result<Self> {
        Self::at(value, String::new())
    }

    fn at(value: &'a Value, path: String) -> Result<Self> {
        match value {
            Value::Object(_) => Ok(Obj { object: value, path }),
            _ => Err(Error::WrongType { field: if path.is_empty() { "(body)".into() } else { path }, expected: "an object" }),
        }
    }

    pub fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_owned() } else { format!("{}.{key}", self.path) }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.object.get(key).filter(|v| **v != Value::Null)
    }

    fn missing(&self, key: &str) -> Error {
        Error::Missing { field: self.path_of(key) }
    }

    /// The raw value of `key`, absent when missing or null.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.get(key)
    }

    /// A string exactly as written, the empty string included (our own JSON form, where
    /// nothing needs leniency).
    pub fn exact_str(&self, key: &str) -> Result<String> {
        self.exact_opt_str(key)?.ok_or_else(|| self.missing(key))
    }

    pub fn exact_opt_str(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Error::WrongType { field: self.path_of(key), expected: "a string" }),
        }
    }

    pub fn req_bool(&self, key: &str) -> Result<bool> {
        self.opt_bool(key)?.ok_or_else(|| self.missing(key))
    }

    /// An integer that must fit `T` (a count, a percentage, seconds of a day).
    pub fn opt_small<T: TryFrom<i64>>(&self, key: &str) -> Result<Option<T>> {
        match self.opt_int(key)? {
            None => Ok(None),
            Some(n) => T::try_from(n).map(Some).map_err(|_| Error::BadValue { field: self.path_of(key), detail: format!("out of range: {n}") }),
        }
    }

    pub fn req_small<T: TryFrom<i64>>(&self, key: &str) -> Result<T> {
        self.opt_small(key)?.ok_or_else(|| self.missing(key))
    }

    pub fn req_str(&self, key: &str) -> Result<String> {
        self.opt_str(key)?.ok_or_else(|| self.missing(key))
    }

    /// A string; numbers are accepted (ids sometimes arrive unquoted); an empty string is absent.
    pub fn opt_str(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.clone())),
            Some(_) => Err(Error::WrongType { field: self.path_of(key), expected: "a string" }),
        }
    }

    pub fn req_int(&self, key: &str) -> Result<i64> {
        self.opt_int(key)?.ok_or_else(|| self.missing(key))
    }

    /// An integer, also when sent as a numeric string (`"10"`).
    pub fn opt_int(&self, key: &str) -> Result<Option<i64>> {
        self.get(key).map(|v| int_value(v, || self.path_of(key))).transpose()
    }

    /// A boolean, also when sent as `"true"`/`"false"` or 0/1.
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        let wrong = || Error::WrongType { field: self.path_of(key), expected: "a boolean" };
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(Some(true)),
                "false" | "0" | "" => Ok(Some(false)),
                _ => Err(wrong()),
            },
            Some(n @ Value::Number(_)) if n.as_i64() == Some(0) => Ok(Some(false)),
            Some(n @ Value::Number(_)) if n.as_i64() == Some(1) => Ok(Some(true)),
            Some(_) => Err(wrong()),
        }
    }

    pub fn req_time(&self, key: &str) -> Result<BeijingTime> {
        self.opt_time(key)?.ok_or_else(|| self.missing(key))
    }

    pub fn opt_time(&self, key: &str) -> Result<Option<BeijingTime>> {
        match self.opt_str(key)? {
            None => Ok(None),
            Some(s) => BeijingTime::parse_rfc3339(&s).map(Some).map_err(|detail| Error::BadValue { field: self.path_of(key), detail }),
        }
    }

    pub fn opt_obj(&self, key: &str) -> Result<Option<Obj<'a>>> {
        self.get(key).map(|v| Obj::at(v, self.path_of(key))).transpose()
    }

    pub fn req_obj(&self, key: &str) -> Result<Obj<'a>> {
        self.opt_obj(key)?.ok_or_else(|| self.missing(key))
    }

    /// The elements of an array with their paths; absent or null reads as empty.
    pub fn opt_array(&self, key: &str) -> Result<Vec<Item<'a>>> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                let base = self.path_of(key);
                Ok(items.iter().enumerate().map(|(i, value)| Item { value, path: format!("{base}[{i}]") }).collect())
            }
            Some(_) => Err(Error::WrongType { field: self.path_of(key), expected: "an array" }),
        }
    }

    pub fn req_array(&self, key: &str) -> Result<Vec<Item<'a>>> {
        if self.get(key).is_none() {
            return Err(self.missing(key));
        }
        self.opt_array(key)
    }

    /// A value that must be one of WeChat's enum strings; returned raw for the caller to map.
    pub fn opt_enum(&self, key: &str) -> Result<Option<String>> {
        Ok(self.opt_str(key)?.map(|s| s.trim().to_ascii_uppercase()))
    }
}

/// One element of an array, with its path.
pub struct Item<'a> {
    pub value: &'a Value,
    pub path: String,
}

impl<'a> Item<'a> {
    pub fn obj(&self) -> Result<Obj<'a>> {
        Obj::at(self.value, self.path.clone())
    }

    pub fn int(&self) -> Result<i64> {
        int_value(self.value, || self.path.clone())
    }
}

fn int_value(v: &Value, path: impl Fn() -> String) -> Result<i64> {
    let wrong = || Error::WrongType { field: path(), expected: "an integer" };
    match v {
        Value::Number(_) => v.as_i64().ok_or_else(wrong),
        Value::String(s) => s.trim().parse::<i64>().map_err(|_| wrong()),
        _ => Err(wrong()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_only_the_documented_missing_commas() {
        let body = b"{\n \"a\": \"x\"\n \"b\": 1\n \"c\": \"y\"\n}";
        let v = parse_body(body).unwrap();
        assert_eq!(v.get("c").and_then(Value::as_str), Some("y"));
        // Two values on one line without a comma is not the slip; it stays an error.
        assert!(matches!(parse_body(b"{\"a\": \"x\" \"b\": 1}"), Err(Error::NotJson { .. })));
        assert!(matches!(parse_body(b"<html>502</html>"), Err(Error::NotJson { .. })));
        assert!(matches!(parse_body(&[0xff, 0xfe]), Err(Error::NotJson { .. })));
    }

    #[test]
    fn lenient_scalars_and_named_errors() {
        let v = json::parse(br#"{"n":"10","b":"false","f":2.0,"x":{"y":[1,"2",true]}}"#).unwrap();
        let o = Obj::root(&v).unwrap();
        assert_eq!(o.req_int("n").unwrap(), 10);
        assert_eq!(o.req_int("f").unwrap(), 2);
        assert_eq!(o.opt_bool("b").unwrap(), Some(false));
        let items = o.req_obj("x").unwrap().req_array("y").unwrap();
        assert_eq!(items[1].int().unwrap(), 2);
        assert_eq!(items[2].int(), Err(Error::WrongType { field: "x.y[2]".into(), expected: "an integer" }));
        assert_eq!(o.req_str("nope"), Err(Error::Missing { field: "nope".into() }));
    }
}
