//! Records as JSON: writing JSON Lines fast, and reading one object, an array or JSON Lines.

use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::record::Record;
use crate::value::Value;

/// Appends `record` as one JSON object (field order kept, no newline).
pub fn write_record(record: &Record, out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (f, v)) in record
        .layout()
        .fields()
        .iter()
        .zip(record.values())
        .enumerate()
    {
        if i > 0 {
            out.push(b',');
        }
        write_str(&f.id, out);
        out.push(b':');
        write_value(v, out);
    }
    out.push(b'}');
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    // serde_json's escaping into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn write_f64(d: f64, out: &mut Vec<u8>) {
    if d.is_finite() {
        let _ = serde_json::to_writer(&mut *out, &d);
    } else {
        out.extend_from_slice(b"null");
    }
}

fn write_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::String(s) => write_str(s, out),
        Value::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::Double(d) => write_f64(*d, out),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::DateTime(d) => write_str(&d.text, out),
        Value::IntList(l) => {
            out.push(b'[');
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(x.to_string().as_bytes());
            }
            out.push(b']');
        }
        Value::DoubleList(l) => {
            out.push(b'[');
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_f64(*x, out);
            }
            out.push(b']');
        }
        Value::StringList(l) => {
            out.push(b'[');
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(x, out);
            }
            out.push(b']');
        }
        Value::Json(j) => {
            let _ = serde_json::to_writer(&mut *out, &**j);
        }
    }
}

/// Parses bulk input: one JSON object, a JSON array of objects, or JSON Lines (one object per
/// line, blank lines skipped). Errors name the line (or array element).
pub fn parse_objects(text: &str) -> Result<Vec<serde_json::Map<String, Json>>> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    if let Ok(v) = serde_json::from_str::<Json>(trimmed) {
        return match v {
            Json::Object(m) => Ok(vec![m]),
            Json::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Json::Object(m) => Ok(m),
                    other => Err(Error::Json(format!(
                        "element {}: expected a JSON object, found {}",
                        i + 1,
                        kind(&other)
                    ))),
                })
                .collect(),
            other => Err(Error::Json(format!(
                "line 1: expected a JSON object, found {}",
                kind(&other)
            ))),
        };
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<Json>(line) {
            Ok(Json::Object(m)) => out.push(m),
            Ok(other) => {
                return Err(Error::Json(format!(
                    "line {}: expected a JSON object, found {}",
                    i + 1,
                    kind(&other)
                )))
            }
            Err(e) => return Err(Error::Json(format!("line {}: {e}", i + 1))),
        }
    }
    Ok(out)
}

/// The line (1-based) that object `index` of [`parse_objects`] came from, for error messages.
pub fn object_label(text: &str, index: usize) -> String {
    let trimmed = text.trim();
    if let Ok(v) = serde_json::from_str::<Json>(trimmed) {
        return if v.is_array() {
            format!("element {}", index + 1)
        } else {
            "line 1".to_string()
        };
    }
    let mut seen = 0;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if seen == index {
            return format!("line {}", i + 1);
        }
        seen += 1;
    }
    format!("record {}", index + 1)
}

fn kind(v: &Json) -> &'static str {
    crate::manifest::node::kind(v)
}
