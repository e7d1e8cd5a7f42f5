//! Records as JSON: writing JSON Lines fast, and reading one object, an array or JSON Lines.

use std::cell::RefCell;

use serde::de::DeserializeSeed;

mod seed;
use seed::RecordSeed;

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

/// Writes many records of few layouts: each layout's escaped keys are prepared once.
#[derive(Default)]
pub struct RecordWriter {
    /// Per layout seen: its address and its keys (`{"id":` then `,"id":` ...). The records
    /// being written keep their layouts alive, and a writer lives for one batch.
    keys: Vec<(*const crate::record::Layout, Vec<Vec<u8>>)>,
    /// The entry used last (records of one batch mostly share a layout).
    last: usize,
}

impl RecordWriter {
    /// Appends `record` as one JSON object, as [`write_record`] does.
    pub fn write(&mut self, record: &Record, out: &mut Vec<u8>) {
        let layout = std::sync::Arc::as_ptr(record.layout());
        if self.keys.get(self.last).map(|(l, _)| *l) != Some(layout) {
            self.last = match self.keys.iter().position(|(l, _)| *l == layout) {
                Some(i) => i,
                None => {
                    let keys = record
                        .layout()
                        .fields()
                        .iter()
                        .enumerate()
                        .map(|(i, f)| {
                            let mut k = Vec::new();
                            k.push(if i == 0 { b'{' } else { b',' });
                            write_str(&f.id, &mut k);
                            k.push(b':');
                            k
                        })
                        .collect();
                    self.keys.push((layout, keys));
                    self.keys.len() - 1
                }
            };
        }
        let keys = &self.keys[self.last].1;
        if keys.is_empty() {
            out.extend_from_slice(b"{");
        }
        for (k, v) in keys.iter().zip(record.values()) {
            out.extend_from_slice(k);
            write_value(v, out);
        }
        out.push(b'}');
    }
}

/// Whether `s` holds a byte JSON must escape (a control character, `"` or `\\`), eight bytes
/// at a time.
fn needs_escape(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte of `v` is zero / below 0x20: the classic bit tricks (exact for "any byte").
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH != 0;
    let has_below_space = |v: u64| v.wrapping_sub(ONES * 0x20) & !v & HIGH != 0;
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_le_bytes(c.try_into().expect("eight bytes"));
        if has_below_space(v)
            || has_zero(v ^ (ONES * b'"' as u64))
            || has_zero(v ^ (ONES * b'\\' as u64))
        {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    // Most text needs no escaping: copy it; otherwise let serde_json escape it.
    if !needs_escape(s.as_bytes()) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, s);
    }
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
        Value::Integer(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
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

/// Reads bulk input into records made by `make`: one JSON object (on one or several lines), a
/// JSON array of objects, or JSON Lines (one object per line, blank lines skipped). All or
/// nothing; errors name the line (or array element) and keep their kind.
pub fn read_records(text: &str, make: impl Fn() -> Record) -> Result<Vec<Record>> {
    if text.trim_start().starts_with('[') {
        return read_array(text, &make);
    }
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match read_one(line, &make) {
            Ok(r) => out.push(r),
            Err((err, eof)) => {
                if out.is_empty() && eof {
                    // One object over several lines?
                    return match read_one(text.trim(), &make) {
                        Ok(r) => Ok(vec![r]),
                        Err((err, _)) => Err(err),
                    };
                }
                return Err(err.context(format_args!("line {}", i + 1)));
            }
        }
    }
    Ok(out)
}

/// One object; on error, the core error (located by line when it spans lines) and whether the
/// text ended early.
fn read_one(text: &str, make: &impl Fn() -> Record) -> Result<Record, (Error, bool)> {
    let mut record = make();
    let error = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let result = RecordSeed {
        record: &mut record,
        error: &error,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    match result {
        Ok(()) => Ok(record),
        Err(e) => {
            let eof = e.classify() == serde_json::error::Category::Eof;
            let err = error
                .into_inner()
                .unwrap_or_else(|| Error::Json(e.to_string()));
            let err = if text.contains('\n') {
                err.context(format_args!("line {}", e.line()))
            } else {
                err
            };
            Err((err, eof))
        }
    }
}

/// Reads one JSON object into `record` (fields set by id; unknown ids fail on a closed record).
pub fn read_object(text: &str, record: &mut Record) -> Result<()> {
    let error = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let result = RecordSeed {
        record,
        error: &error,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    result.map_err(|e| {
        error
            .into_inner()
            .unwrap_or_else(|| Error::Json(e.to_string()))
    })
}

fn read_array(text: &str, make: &impl Fn() -> Record) -> Result<Vec<Record>> {
    struct Elements<'a, F: Fn() -> Record> {
        make: &'a F,
        out: &'a mut Vec<Record>,
        error: &'a RefCell<Option<Error>>,
    }
    impl<'de, F: Fn() -> Record> serde::de::Visitor<'de> for Elements<'_, F> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON array of objects")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> std::result::Result<(), A::Error> {
            loop {
                let mut record = (self.make)();
                match seq.next_element_seed(RecordSeed {
                    record: &mut record,
                    error: self.error,
                })? {
                    Some(()) => self.out.push(record),
                    None => return Ok(()),
                }
            }
        }
    }
    let mut out = Vec::new();
    let error = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let result = serde::de::Deserializer::deserialize_seq(
        &mut de,
        Elements {
            make,
            out: &mut out,
            error: &error,
        },
    )
    .and_then(|()| de.end());
    match result {
        Ok(()) => Ok(out),
        Err(e) => {
            let element = out.len() + 1;
            Err(error
                .into_inner()
                .unwrap_or_else(|| Error::Json(e.to_string()))
                .context(format_args!("element {element}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_escape_agrees_with_the_byte_by_byte_rule_at_every_position() {
        let naive = |s: &[u8]| s.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
        for len in 0..20 {
            for pos in 0..len {
                for b in 0..=255u8 {
                    let mut s = vec![b'a'; len];
                    s[pos] = b;
                    assert_eq!(needs_escape(&s), naive(&s), "byte {b:#x} at {pos} of {len}");
                }
            }
        }
        // UTF-8 text of several bytes per character needs no escape.
        assert!(!needs_escape("température ° 東京 — ok".as_bytes()));
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        for s in [
            "",
            "plain text of some length",
            "quote \" here",
            "back\\slash",
            "tab\there",
            "nul \u{0} and \u{1f}",
            "é 東京 \u{7f}",
            "0123456789abcdef\"0123456789",
        ] {
            let mut out = Vec::new();
            write_str(s, &mut out);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
        let mut out = Vec::new();
        write_value(&Value::Integer(i64::MIN), &mut out);
        assert_eq!(out, i64::MIN.to_string().as_bytes());
    }
}
