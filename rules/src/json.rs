//! A small JSON reader and writer of our own. Both the WeChat bodies ([`crate::wire`]) and the
//! model's own JSON form ([`crate::model_json`]) are read through it, so the widget's bundle
//! carries one compact, non-generic parser instead of serde's code generated per type (which
//! cost the wasm 35 KB gzip). Objects keep their keys in order; numbers keep their text.

use std::fmt::{self, Write as _};

/// Nesting deeper than this is refused (hostile input must not exhaust the stack).
pub const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// The number exactly as written (`-12`, `2.0`, `1e3`).
    Number(String),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

/// Where and why a text is not JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset of the offending character (the text's length at an unexpected end).
    pub offset: usize,
    pub expected: Expected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Value,
    /// Inside an object, after a member: `,` or `}`.
    CommaOrBrace,
    CommaOrBracket,
    Colon,
    Key,
    StringEnd,
    Escape,
    Digit,
    EndOfText,
    ShallowerNesting,
    Utf8,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.expected {
            Expected::Value => "a value",
            Expected::CommaOrBrace => "`,` or `}`",
            Expected::CommaOrBracket => "`,` or `]`",
            Expected::Colon => "`:`",
            Expected::Key => "a key string",
            Expected::StringEnd => "the string's closing quote",
            Expected::Escape => "a valid escape",
            Expected::Digit => "a digit",
            Expected::EndOfText => "the end of the text",
            Expected::ShallowerNesting => "at most 128 levels of nesting",
            Expected::Utf8 => "UTF-8 text",
        };
        write!(f, "expected {what} at byte {}", self.offset)
    }
}

impl Value {
    /// The member `key` of an object (the last one, if repeated), or `None`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number as an integer: written as one, or with a zero fraction (`2.0`) or a
    /// non-negative exponent (`1e3`), within `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(text) => integer(text),
            _ => None,
        }
    }

    /// An object from members, for writing.
    pub fn object<'k>(members: impl IntoIterator<Item = (&'k str, Value)>) -> Value {
        Value::Object(members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(n.to_string())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

fn integer(text: &str) -> Option<i64> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].trim_start_matches('+').parse::<u32>().ok()?),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // Fraction digits the exponent moves into the integer part; the rest must be zeros.
    let moved = fraction.len().min(exponent as usize);
    if !fraction[moved..].bytes().all(|b| b == b'0') {
        return None;
    }
    let digits = format!("{whole}{}", &fraction[..moved]);
    let mut n: i64 = digits.parse().ok()?;
    for _ in moved..exponent as usize {
        n = n.checked_mul(10)?;
    }
    Some(n)
}

/// Parses a whole text; anything but whitespace after the value is an error.
pub fn parse(text: &[u8]) -> Result<Value, ParseError> {
    let mut p = Parser { text, at: 0 };
    let value = p.value(0)?;
    p.skip_space();
    if p.at < text.len() {
        return Err(p.error(Expected::EndOfText));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn error(&self, expected: Expected) -> ParseError {
        ParseError { offset: self.at, expected }
    }

    fn skip_space(&mut self) {
        while matches!(self.text.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.text.get(self.at).copied()
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Result<Value, ParseError> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error(Expected::Value))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, ParseError> {
        match self.peek() {
            Some(b'{') | Some(b'[') if depth >= MAX_DEPTH => Err(self.error(Expected::ShallowerNesting)),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error(Expected::Value)),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.at += 1; // {
        let mut members = Vec::new();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Value::Object(members));
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.error(Expected::Key));
            }
            let key = self.string()?;
            if self.peek() != Some(b':') {
                return Err(self.error(Expected::Colon));
            }
            self.at += 1;
            members.push((key, self.value(depth)?));
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.error(Expected::CommaOrBrace)),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.at += 1; // [
        let mut items = Vec::new();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.error(Expected::CommaOrBracket)),
            }
        }
    }

    fn digits(&mut self) -> Result<(), ParseError> {
        let start = self.at;
        while matches!(self.text.get(self.at), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        if self.at == start { Err(self.error(Expected::Digit)) } else { Ok(()) }
    }

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.at;
        if self.text[self.at] == b'-' {
            self.at += 1;
        }
        if self.text.get(self.at) == Some(&b'0') {
            self.at += 1; // no leading zeros: `01` ends the number at `0`
        } else {
            self.digits()?;
        }
        if self.text.get(self.at) == Some(&b'.') {
            self.at += 1;
            self.digits()?;
        }
        if matches!(self.text.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.text.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            self.digits()?;
        }
        // Only ASCII was consumed.
        Ok(Value::Number(String::from_utf8_lossy(&self.text[start..self.at]).into_owned()))
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let digits = self.text.get(self.at..self.at + 4).ok_or_else(|| self.error(Expected::Escape))?;
        let text = std::str::from_utf8(digits).map_err(|_| self.error(Expected::Escape))?;
        let n = u32::from_str_radix(text, 16).map_err(|_| self.error(Expected::Escape))?;
        self.at += 4;
        Ok(n)
    }

    fn string(&mut self) -> Result<String, ParseError> {
        self.at += 1; // "
        let mut out = Vec::new();
        loop {
            let Some(&b) = self.text.get(self.at) else { return Err(self.error(Expected::StringEnd)) };
            match b {
                b'"' => {
                    self.at += 1;
                    return String::from_utf8(out).map_err(|_| self.error(Expected::Utf8));
                }
                b'\\' => {
                    self.at += 1;
                    let Some(&e) = self.text.get(self.at) else { return Err(self.error(Expected::Escape)) };
                    self.at += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => {
                            self.at -= 1;
                            return Err(self.error(Expected::Escape));
                        }
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return Err(self.error(Expected::StringEnd)),
                _ => {
                    out.push(b);
                    self.at += 1;
                }
            }
        }
    }

    /// After `\u`: one code unit, or a surrogate pair; a lone surrogate becomes U+FFFD.
    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) && self.text[self.at..].starts_with(b"\\u") {
            let save = self.at;
            self.at += 2;
            let second = self.hex4()?;
            if (0xDC00..0xE000).contains(&second) {
                return Ok(char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)).unwrap_or('\u{FFFD}'));
            }
            self.at = save;
        }
        Ok(char::from_u32(first).unwrap_or('\u{FFFD}'))
    }
}

/// Writes compact JSON.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
            Value::Number(n) => f.write_str(n),
            Value::String(s) => write_string(f, s),
            Value::Array(items) => {
                f.write_char('[')?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    v.fmt(f)?;
                }
                f.write_char(']')
            }
            Value::Object(members) => {
                f.write_char('{')?;
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write_string(f, k)?;
                    f.write_char(':')?;
                    v.fmt(f)?;
                }
                f.write_char('}')
            }
        }
    }
}

fn write_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Value, ParseError> {
        parse(text.as_bytes())
    }

    #[test]
    fn reads_every_kind_of_value() {
        let v = p(r#" {"a": [1, -2.5, 3e2, true, false, null], "b": {"c": "x\"y\\z\u00e9\ud83d\ude00\n"}, "a2": {}} "#).unwrap();
        let a = match v.get("a") {
            Some(Value::Array(items)) => items.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(a[0].as_i64(), Some(1));
        assert_eq!(a[1].as_i64(), None, "2.5 is not an integer");
        assert_eq!(a[2].as_i64(), Some(300));
        assert_eq!(a[3], Value::Bool(true));
        assert_eq!(a[5], Value::Null);
        assert_eq!(v.get("b").and_then(|b| b.get("c")).and_then(Value::as_str), Some("x\"y\\zé😀\n"));
        assert_eq!(v.get("a2"), Some(&Value::Object(vec![])));
    }

    #[test]
    fn integers_with_zero_fractions_and_exponents() {
        let n = |t: &str| Value::Number(t.into()).as_i64();
        assert_eq!(n("2.0"), Some(2));
        assert_eq!(n("-7"), Some(-7));
        assert_eq!(n("1.5e1"), Some(15));
        assert_eq!(n("1.25e1"), None);
        assert_eq!(n("1e-1"), None);
        assert_eq!(n("9223372036854775807"), Some(i64::MAX));
        assert_eq!(n("9223372036854775808"), None);
        assert_eq!(n("1e309"), None);
    }

    #[test]
    fn errors_say_where_and_what() {
        assert_eq!(p("{\"a\": 1\n \"b\": 2}"), Err(ParseError { offset: 9, expected: Expected::CommaOrBrace }));
        assert_eq!(p("[1 2]").unwrap_err().expected, Expected::CommaOrBracket);
        assert_eq!(p("{\"a\" 1}").unwrap_err().expected, Expected::Colon);
        assert_eq!(p("{1: 2}").unwrap_err().expected, Expected::Key);
        assert_eq!(p("\"abc").unwrap_err().expected, Expected::StringEnd);
        assert_eq!(p("\"a\\x\"").unwrap_err().expected, Expected::Escape);
        assert_eq!(p("-").unwrap_err().expected, Expected::Digit);
        assert_eq!(p("1 2").unwrap_err().expected, Expected::EndOfText);
        assert_eq!(p("tru").unwrap_err().expected, Expected::Value);
        assert_eq!(p("").unwrap_err().expected, Expected::Value);
        assert_eq!(parse(b"\"\xff\"").unwrap_err().expected, Expected::Utf8);
        assert_eq!(p("\"a\u{1}\"").unwrap_err().expected, Expected::StringEnd, "raw control characters are not JSON");
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        assert_eq!(p(&deep).unwrap_err().expected, Expected::ShallowerNesting);
        let fine = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(p(&fine).is_ok());
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        assert_eq!(p(r#""\ud800x""#).unwrap().as_str(), Some("\u{FFFD}x"));
        assert_eq!(p(r#""\udc00""#).unwrap().as_str(), Some("\u{FFFD}"));
    }

    #[test]
    fn writes_what_it_reads() {
        let text = r#"{"a":[1,-2.5,3e2,true,false,null],"b":{"c":"x\"y\\z\u0001é\n"},"k":"<script>"}"#;
        let v = p(text).unwrap();
        assert_eq!(p(&v.to_string()).unwrap(), v);
        assert_eq!(Value::object([("n", 5.into()), ("s", "é".into()), ("none", None::<String>.into())]).to_string(), r#"{"n":5,"s":"é","none":null}"#);
    }
}
