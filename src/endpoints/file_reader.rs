//! `file-reader`: for every record of the connection's listed collections, classifiers and
//! transformations, and each of its `file-fields`, emits one record per line of that file.
//! LF, CRLF and lone CR end a line; a final unterminated line counts; no trailing empty record.

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::protocol::call::EndpointCall;
use crate::record::{FieldDef, Layout, Record};
use crate::registry::{Endpoint, EndpointFactory, PluginContext, PreparedEndpoint};
use crate::value::{FieldType, Value};

pub struct FileReaderFactory;

struct FileReader {
    file_fields: Vec<String>,
}

impl EndpointFactory for FileReaderFactory {
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn PreparedEndpoint>> {
        let file_fields = match ctx.constructor.get("file-fields") {
            Some(Json::String(s)) => vec![s.clone()],
            Some(Json::Array(items)) if items.iter().all(Json::is_string) => {
                items.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()
            }
            _ => {
                return Err(Error::Manifest(
                    "constructor.file-fields: required (a field id or a list of field ids)".into(),
                ))
            }
        };
        Ok(Arc::new(FileReader { file_fields }))
    }
}

impl PreparedEndpoint for FileReader {
    fn default_fields(&self) -> Option<Vec<FieldDef>> {
        Some(vec![
            FieldDef::new("value", FieldType::String),
            FieldDef::new("length", FieldType::Integer),
            FieldDef::new("file", FieldType::String),
            FieldDef::new("container-type", FieldType::String),
            FieldDef::new("container-id", FieldType::String),
            FieldDef::new("number", FieldType::Integer),
        ])
    }

    fn instantiate(&self) -> Result<Box<dyn Endpoint>> {
        Ok(Box::new(FileReaderInstance { file_fields: self.file_fields.clone() }))
    }
}

struct FileReaderInstance {
    file_fields: Vec<String>,
}

/// Slots of the output layout (absent when narrowed away).
struct Slots {
    value: Option<usize>,
    length: Option<usize>,
    file: Option<usize>,
    container_type: Option<usize>,
    container_id: Option<usize>,
    number: Option<usize>,
}

impl Slots {
    fn of(layout: &Layout) -> Slots {
        Slots {
            value: layout.position("value"),
            length: layout.position("length"),
            file: layout.position("file"),
            container_type: layout.position("container-type"),
            container_id: layout.position("container-id"),
            number: layout.position("number"),
        }
    }
}

impl Endpoint for FileReaderInstance {
    fn process(&mut self, call: &mut EndpointCall<'_>) -> Result<()> {
        let layout = call.conn.output_layout.clone().unwrap_or_else(|| Layout::new(Vec::new()));
        let slots = Slots::of(&layout);
        // (container type, container id, input record)
        let mut inputs: Vec<(&'static str, Arc<str>, Record)> = Vec::new();
        for &c in &call.conn.collections {
            let id: Arc<str> = call.container.collections[c].id.clone();
            inputs.extend(call.by_collection_index(c).map(|r| ("collection", id.clone(), r.clone())));
        }
        for sel in call.listed_classifiers() {
            let id: Arc<str> = sel.label().into();
            inputs.extend(
                call.records_by_classifier(&sel.key, sel.value.as_deref()).into_iter().map(|r| ("classifier", id.clone(), r.clone())),
            );
        }
        for t in call.conn.transformations.clone() {
            let id = call.container.transformations[t].id.clone();
            let records = call.transformation_index_records(t)?;
            inputs.extend(records.iter().map(|r| ("transformation", id.clone(), r.clone())));
        }
        let conn = call.connection_id().to_string();
        for (ctype, cid, record) in inputs {
            for ff in &self.file_fields {
                let path = match record.get(ff) {
                    Err(_) | Ok(Value::Null) => continue,
                    Ok(Value::String(p)) => p.clone(),
                    Ok(other) => {
                        let reason = format!(
                            "connection {conn}: file field \"{ff}\" holds a {} value, not a path",
                            other.type_name()
                        );
                        call.reject(record.clone(), reason);
                        continue;
                    }
                };
                match std::fs::read(&*path) {
                    Ok(bytes) => {
                        let ctx = LineContext { layout: &layout, slots: &slots, file: &path, ctype, cid: &cid };
                        read_lines(&bytes, &ctx, &mut call.outputs);
                    }
                    Err(e) => call.reject(record.clone(), format!("connection {conn}: cannot read {path}: {e}")),
                }
            }
        }
        Ok(())
    }
}

struct LineContext<'a> {
    layout: &'a Arc<Layout>,
    slots: &'a Slots,
    file: &'a Arc<str>,
    ctype: &'static str,
    cid: &'a Arc<str>,
}

fn read_lines(bytes: &[u8], ctx: &LineContext<'_>, out: &mut Vec<Record>) {
    let text: Cow<'_, str> = String::from_utf8_lossy(bytes);
    let ctype: Arc<str> = ctx.ctype.into();
    let s = ctx.slots;
    let mut emit = |line: &str, n: usize| {
        let mut values = vec![Value::Null; ctx.layout.len()];
        if let Some(i) = s.value {
            values[i] = Value::String(line.into());
        }
        if let Some(i) = s.length {
            let len = if line.is_ascii() { line.len() } else { line.chars().count() };
            values[i] = Value::Integer(len as i64);
        }
        if let Some(i) = s.file {
            values[i] = Value::String(ctx.file.clone());
        }
        if let Some(i) = s.container_type {
            values[i] = Value::String(ctype.clone());
        }
        if let Some(i) = s.container_id {
            values[i] = Value::String(ctx.cid.clone());
        }
        if let Some(i) = s.number {
            values[i] = Value::Integer(n as i64);
        }
        out.push(Record::from_parts(ctx.layout.clone(), values));
    };
    let b = text.as_bytes();
    let mut start = 0;
    let mut n = 0;
    while let Some(off) = memchr::memchr2(b'\n', b'\r', &b[start..]) {
        let end = start + off;
        emit(&text[start..end], n);
        n += 1;
        start = if b[end] == b'\r' && b.get(end + 1) == Some(&b'\n') { end + 2 } else { end + 1 };
    }
    if start < b.len() {
        emit(&text[start..], n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<(String, i64)> {
        let layout = Layout::new(vec![FieldDef::new("value", FieldType::String), FieldDef::new("number", FieldType::Integer)]);
        let slots = Slots::of(&layout);
        let file: Arc<str> = "f".into();
        let cid: Arc<str> = "c".into();
        let ctx = LineContext { layout: &layout, slots: &slots, file: &file, ctype: "collection", cid: &cid };
        let mut out = Vec::new();
        read_lines(input, &ctx, &mut out);
        out.iter()
            .map(|r| {
                let Value::String(v) = r.get("value").unwrap() else { panic!() };
                let Value::Integer(n) = r.get("number").unwrap() else { panic!() };
                (v.to_string(), *n)
            })
            .collect()
    }

    #[test]
    fn line_endings() {
        let want = vec![("a".to_string(), 0), ("b".to_string(), 1), ("".to_string(), 2), ("c".to_string(), 3)];
        assert_eq!(lines(b"a\nb\n\nc\n"), want);
        assert_eq!(lines(b"a\r\nb\r\n\r\nc"), want);
        assert_eq!(lines(b"a\rb\r\rc\r"), want);
        assert_eq!(lines(b"a\r\nb\n\rc"), want);
        assert_eq!(lines(b""), vec![]);
        assert_eq!(lines(b"\n"), vec![("".to_string(), 0)]);
        assert_eq!(lines(b"only"), vec![("only".to_string(), 0)]);
    }
}
