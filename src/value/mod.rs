//! Field types and values. Values are immutable and cheap to clone (strings and lists are shared),
//! which makes copy-on-submit and the copies handed to transformations cheap.

use std::cmp::Ordering;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat};
use serde_json::Value as Json;

use crate::error::{Error, Result};

mod text;
pub use text::Text;
pub(crate) use text::TextBuf;

/// The type of a schema field. The discriminants are the `MAPI_TYPE_*` codes of the C ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum FieldType {
    /// `string` (also `uuid`, `xml`): UTF-8 text.
    String = 0,
    /// `integer` (also `int`, `long`): a 64-bit signed integer.
    Integer = 1,
    /// `float`: a number kept at single precision.
    Float = 2,
    /// `double`: a 64-bit floating-point number.
    Double = 3,
    /// `boolean`: true or false.
    Boolean = 4,
    /// `datetime`: an instant, as RFC 3339 text.
    DateTime = 5,
    /// `list(int)`: a list of integers.
    ListInt = 6,
    /// `list(double)`: a list of doubles.
    ListDouble = 7,
    /// `list(string)`: a list of texts.
    ListString = 8,
    /// `json`: any JSON value.
    Json = 9,
}

impl FieldType {
    /// Parses a manifest type name (with the original's aliases).
    pub fn parse(name: &str) -> Option<FieldType> {
        let t = match name.trim().to_ascii_lowercase().as_str() {
            "string" | "uuid" | "xml" => FieldType::String,
            "integer" | "int" | "long" => FieldType::Integer,
            "float" => FieldType::Float,
            "double" => FieldType::Double,
            "boolean" | "bool" => FieldType::Boolean,
            "datetime" => FieldType::DateTime,
            "list(int)" | "list(integer)" => FieldType::ListInt,
            "list(double)" | "list(float)" => FieldType::ListDouble,
            "list(string)" => FieldType::ListString,
            "json" => FieldType::Json,
            _ => return None,
        };
        Some(t)
    }

    /// The canonical name, as `mapi check` prints it.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Float => "float",
            FieldType::Double => "double",
            FieldType::Boolean => "boolean",
            FieldType::DateTime => "datetime",
            FieldType::ListInt => "list(int)",
            FieldType::ListDouble => "list(double)",
            FieldType::ListString => "list(string)",
            FieldType::Json => "json",
        }
    }

    /// The type a value naturally has (for open records, where fields are created by setting them).
    pub fn of(value: &Value) -> FieldType {
        match value {
            Value::Null | Value::Json(_) => FieldType::Json,
            Value::String(_) => FieldType::String,
            Value::Integer(_) => FieldType::Integer,
            Value::Double(_) => FieldType::Double,
            Value::Boolean(_) => FieldType::Boolean,
            Value::DateTime(_) => FieldType::DateTime,
            Value::IntList(_) => FieldType::ListInt,
            Value::DoubleList(_) => FieldType::ListDouble,
            Value::StringList(_) => FieldType::ListString,
        }
    }

    /// Converts `value` to this type: exact types pass, integers widen to float/double (a float
    /// field keeps float precision), anything goes into `json`. Otherwise a type mismatch.
    pub fn coerce(self, field: &str, value: Value) -> Result<Value> {
        let ok = match (self, value) {
            (_, Value::Null) => Value::Null,
            (FieldType::String, v @ Value::String(_)) => v,
            (FieldType::Integer, v @ Value::Integer(_)) => v,
            (FieldType::Float, Value::Integer(i)) => Value::Double(i as f32 as f64),
            (FieldType::Float, Value::Double(d)) => Value::Double(d as f32 as f64),
            (FieldType::Double, Value::Integer(i)) => Value::Double(i as f64),
            (FieldType::Double, v @ Value::Double(_)) => v,
            (FieldType::Boolean, v @ Value::Boolean(_)) => v,
            (FieldType::DateTime, v @ Value::DateTime(_)) => v,
            (FieldType::ListInt, v @ Value::IntList(_)) => v,
            (FieldType::ListDouble, v @ Value::DoubleList(_)) => v,
            (FieldType::ListDouble, Value::IntList(l)) => {
                Value::DoubleList(l.iter().map(|&i| i as f64).collect())
            }
            (FieldType::ListString, v @ Value::StringList(_)) => v,
            (FieldType::Json, v) => Value::Json(Arc::new(v.to_json())),
            (ty, v) => {
                return Err(Error::TypeMismatch(format!(
                    "field \"{field}\" is {}, cannot take {}",
                    ty.name(),
                    v.described()
                )))
            }
        };
        Ok(ok)
    }

    /// Reads a JSON value as this type (records as JSON, manifest defaults, condition values).
    pub fn from_json(self, field: &str, json: &Json) -> Result<Value> {
        let mismatch = || {
            Error::TypeMismatch(format!(
                "field \"{field}\" is {}, cannot take JSON {}",
                self.name(),
                json_kind(json)
            ))
        };
        if json.is_null() {
            return Ok(Value::Null);
        }
        let v = match self {
            FieldType::String => Value::String(json.as_str().ok_or_else(mismatch)?.into()),
            FieldType::Integer => Value::Integer(json_int(field, json)?.ok_or_else(mismatch)?),
            FieldType::Float => Value::Double(json.as_f64().ok_or_else(mismatch)? as f32 as f64),
            FieldType::Double => Value::Double(json.as_f64().ok_or_else(mismatch)?),
            FieldType::Boolean => Value::Boolean(json.as_bool().ok_or_else(mismatch)?),
            FieldType::DateTime => {
                Value::datetime(parse_datetime(json.as_str().ok_or_else(mismatch)?).map_err(
                    |e| Error::TypeMismatch(format!("field \"{field}\": {}", e.message())),
                )?)
            }
            FieldType::ListInt => {
                let arr = json.as_array().ok_or_else(mismatch)?;
                let mut out = Vec::with_capacity(arr.len());
                for x in arr {
                    out.push(json_int(field, x)?.ok_or_else(mismatch)?);
                }
                Value::IntList(out.into())
            }
            FieldType::ListDouble => {
                let arr = json.as_array().ok_or_else(mismatch)?;
                let mut out = Vec::with_capacity(arr.len());
                for x in arr {
                    out.push(x.as_f64().ok_or_else(mismatch)?);
                }
                Value::DoubleList(out.into())
            }
            FieldType::ListString => {
                let arr = json.as_array().ok_or_else(mismatch)?;
                let mut out = Vec::with_capacity(arr.len());
                for x in arr {
                    out.push(Arc::<str>::from(x.as_str().ok_or_else(mismatch)?));
                }
                Value::StringList(out.into())
            }
            FieldType::Json => Value::Json(Arc::new(json.clone())),
        };
        Ok(v)
    }
}

fn json_int(field: &str, json: &Json) -> Result<Option<i64>> {
    if let Some(i) = json.as_i64() {
        return Ok(Some(i));
    }
    if json.is_u64() {
        return Err(Error::OutOfRange(format!(
            "field \"{field}\": {json} does not fit a 64-bit integer"
        )));
    }
    Ok(None)
}

fn json_kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(n) if n.is_f64() => "number (not an integer)",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// A datetime with its RFC-3339 text (kept so that C callers can borrow it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    pub(crate) at: DateTime<FixedOffset>,
    pub(crate) text: Text,
}

impl Timestamp {
    /// The instant as RFC 3339 text, as it was given.
    pub fn text(&self) -> &str {
        self.text.as_str()
    }
}

/// A field or condition value.
///
/// ```
/// use messageapi::Value;
/// assert_eq!(Value::string("KILX").as_str(), Some("KILX"));
/// assert!(Value::Null.is_null());
/// assert_eq!(Value::Integer(3), Value::Integer(3));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value.
    Null,
    /// Text: a thin, shared view into a reference-counted string (lines of one file share it).
    String(Text),
    /// An `integer` field's value.
    Integer(i64),
    /// Both `float` and `double` fields (a float field rounds to float precision on the way in).
    Double(f64),
    /// A `boolean` field's value.
    Boolean(bool),
    /// A `datetime` field's value.
    DateTime(Arc<Timestamp>),
    /// A `list(int)` field's value.
    IntList(Arc<[i64]>),
    /// A `list(double)` field's value.
    DoubleList(Arc<[f64]>),
    /// A `list(string)` field's value.
    StringList(Arc<[Arc<str>]>),
    /// A `json` field's value.
    Json(Arc<Json>),
}

impl Value {
    /// A datetime value.
    pub fn datetime(at: DateTime<FixedOffset>) -> Value {
        Value::DateTime(Arc::new(Timestamp {
            at,
            text: Text::from(format_datetime(&at)),
        }))
    }

    /// A datetime value from ISO-8601 / RFC-3339 text.
    pub fn parse_datetime(text: &str) -> Result<Value> {
        parse_datetime(text).map(Value::datetime)
    }

    /// The text a message value or header carries for this value: strings as they are, lists
    /// of strings one per line, datetimes in RFC 3339, other values as JSON; None for null.
    pub fn message_text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::String(s) => Some(s.to_string()),
            Value::StringList(l) => Some(l.join("\n")),
            Value::DateTime(t) => Some(t.text.to_string()),
            other => Some(other.to_json().to_string()),
        }
    }

    /// A string value.
    pub fn string(s: &str) -> Value {
        Value::String(Text::from(s))
    }

    /// A string value from input: an error instead of a panic for a text longer than a field
    /// can hold (4 GiB - 1 bytes).
    pub fn try_string(s: &str) -> Result<Value> {
        Text::check_len(s.len())?;
        Ok(Value::string(s))
    }

    /// A short name of the value's kind, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::String(_) => "string",
            Value::Integer(_) => "integer",
            Value::Double(_) => "double",
            Value::Boolean(_) => "boolean",
            Value::DateTime(_) => "datetime",
            Value::IntList(_) => "list(int)",
            Value::DoubleList(_) => "list(double)",
            Value::StringList(_) => "list(string)",
            Value::Json(_) => "json",
        }
    }

    /// The type name with its article, for messages: "an integer value", "a string value".
    pub fn described(&self) -> String {
        let name = self.type_name();
        let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {name} value")
    }

    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The text of a [`Value::String`], else `None`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as JSON: datetimes as RFC-3339 text, lists as arrays, non-finite doubles as null.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::String(s) => Json::String(s.to_string()),
            Value::Integer(i) => Json::from(*i),
            Value::Double(d) => serde_json::Number::from_f64(*d).map_or(Json::Null, Json::Number),
            Value::Boolean(b) => Json::Bool(*b),
            Value::DateTime(d) => Json::String(d.text.to_string()),
            Value::IntList(l) => Json::Array(l.iter().map(|&i| Json::from(i)).collect()),
            Value::DoubleList(l) => Json::Array(
                l.iter()
                    .map(|&d| serde_json::Number::from_f64(d).map_or(Json::Null, Json::Number))
                    .collect(),
            ),
            Value::StringList(l) => {
                Json::Array(l.iter().map(|s| Json::String(s.to_string())).collect())
            }
            Value::Json(j) => (**j).clone(),
        }
    }

    /// A value of the type JSON suggests (for open records and untyped condition values).
    pub fn from_json_untyped(json: &Json) -> Value {
        match json {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Boolean(*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Value::Integer(i),
                None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
            },
            Json::String(s) => Value::String(s.as_str().into()),
            other => Value::Json(Arc::new(other.clone())),
        }
    }

    /// Compares two values of comparable kinds: numbers (integers and doubles mixed), strings
    /// (lexicographic), booleans (false < true), datetimes (chronologically; a string on either
    /// side is parsed as a datetime). `None` when the kinds cannot be compared.
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Integer(a), Value::Integer(b)) => Some(a.cmp(b)),
            (Value::Integer(a), Value::Double(b)) => (*a as f64).partial_cmp(b),
            (Value::Double(a), Value::Integer(b)) => a.partial_cmp(&(*b as f64)),
            (Value::Double(a), Value::Double(b)) => a.partial_cmp(b),
            (Value::String(a), Value::String(b)) => Some(a.as_str().cmp(b.as_str())),
            (Value::Boolean(a), Value::Boolean(b)) => Some(a.cmp(b)),
            (Value::DateTime(a), Value::DateTime(b)) => Some(a.at.cmp(&b.at)),
            (Value::DateTime(a), Value::String(s)) => parse_datetime(s).ok().map(|b| a.at.cmp(&b)),
            (Value::String(s), Value::DateTime(b)) => parse_datetime(s).ok().map(|a| a.cmp(&b.at)),
            (a, b) if a == b => Some(Ordering::Equal),
            _ => None,
        }
    }

    /// Whether `self` (a string or list) contains `needle` (substring or element).
    pub fn contains(&self, needle: &Value) -> bool {
        match (self, needle) {
            (Value::String(h), Value::String(n)) => h.contains(n.as_str()),
            (Value::IntList(l), n) => l
                .iter()
                .any(|&i| Value::Integer(i).compare(n) == Some(Ordering::Equal)),
            (Value::DoubleList(l), n) => l
                .iter()
                .any(|&d| Value::Double(d).compare(n) == Some(Ordering::Equal)),
            (Value::StringList(l), Value::String(n)) => l.iter().any(|s| **s == **n),
            (Value::Json(j), n) => match &**j {
                Json::Array(items) => {
                    let n = n.to_json();
                    items.iter().any(|x| json_equal(x, &n))
                }
                Json::String(s) => n.as_str().is_some_and(|n| s.contains(n)),
                _ => false,
            },
            _ => false,
        }
    }

    /// Whether `self` is an element of the list `list`.
    pub fn is_in(&self, list: &Value) -> bool {
        list.contains(self)
    }
}

fn json_equal(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Parses ISO-8601 / RFC-3339 text: full RFC-3339, a date-time without offset (UTC), or a date
/// (midnight UTC).
pub fn parse_datetime(text: &str) -> Result<DateTime<FixedOffset>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d);
    }
    let utc = FixedOffset::east_opt(0).expect("zero offset");
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
            return Ok(n.and_utc().with_timezone(&utc));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        if let Some(n) = d.and_hms_opt(0, 0, 0) {
            return Ok(n.and_utc().with_timezone(&utc));
        }
    }
    Err(Error::InvalidArgument(format!(
        "\"{text}\" is not an ISO-8601 / RFC-3339 datetime"
    )))
}

/// Formats a datetime as RFC-3339 (`Z` for UTC, fractional seconds only when present).
pub fn format_datetime(d: &DateTime<FixedOffset>) -> String {
    d.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nul_after(t: &Text) -> bool {
        // SAFETY: the invariant under test says the byte after the text is inside the buffer.
        unsafe { *t.as_ptr().add(t.len()) == 0 }
    }

    #[test]
    fn text_is_nul_terminated_in_memory() {
        assert!(nul_after(&Text::from("abc")));
        assert!(nul_after(&Text::from(String::from("xyz"))));
        assert!(nul_after(&Text::from("")));
        let parent = TextBuf::copy_of("one\0two\0").unwrap();
        let v = Text::view(&parent, 0..3);
        assert_eq!(v.as_str(), "one");
        assert!(nul_after(&v));
        // Not followed by NUL: copied.
        let w = Text::view(&parent, 4..6);
        assert_eq!(w.as_str(), "tw");
        assert!(nul_after(&w));
        // A view shares its parent's buffer; clones share it too.
        assert_eq!(v.as_ptr(), parent.as_bytes().as_ptr());
        assert_eq!(v.clone().as_ptr(), v.as_ptr());
        // Multi-byte text, and a view starting inside the parent.
        let utf = TextBuf::copy_of("é東京\0").unwrap();
        let t = Text::view(&utf, 2..8);
        assert_eq!(t.as_str(), "東京");
        assert!(nul_after(&t));
        assert_eq!(Text::from("東京"), t);
    }

    #[test]
    fn datetimes_keep_their_text_and_compare_chronologically() {
        let a = Value::parse_datetime("2019-05-06T12:00:00+02:00").unwrap();
        let b = Value::parse_datetime("2019-05-06T10:30:00Z").unwrap();
        assert_eq!(a.compare(&b), Some(Ordering::Less));
        let Value::DateTime(t) = &a else { panic!() };
        assert_eq!(t.text.as_str(), "2019-05-06T12:00:00+02:00");
        assert_eq!(
            Value::parse_datetime("2019-05-06").unwrap().to_json(),
            "2019-05-06T00:00:00Z"
        );
        assert!(Value::parse_datetime("yesterday").is_err());
    }
}
