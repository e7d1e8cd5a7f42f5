//! `file-reader`: for every record of the connection's listed collections, classifiers and
//! transformations, and each of its `file-fields`, emits one record per line of that file.
//! LF, CRLF and lone CR end a line; a final unterminated line counts; no trailing empty record.

use std::sync::Arc;

use arcstr::{ArcStr, Substr};
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
            Some(Json::Array(items)) if items.iter().all(Json::is_string) => items
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect(),
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
        Ok(Box::new(FileReaderInstance {
            file_fields: self.file_fields.clone(),
        }))
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
        let layout = call
            .conn
            .output_layout
            .clone()
            .unwrap_or_else(|| Layout::new(Vec::new()));
        let slots = Slots::of(&layout);
        // (container type, container id, input record)
        let mut inputs: Vec<(&'static str, Substr, Record)> = Vec::new();
        for &c in &call.conn.collections {
            let id = Substr::from(&*call.container.collections[c].id);
            inputs.extend(
                call.by_collection_index(c)
                    .map(|r| ("collection", id.clone(), r.clone())),
            );
        }
        for sel in call.listed_classifiers() {
            let id = Substr::from(sel.label());
            inputs.extend(
                call.records_by_classifier(&sel.key, sel.value.as_deref())
                    .into_iter()
                    .map(|r| ("classifier", id.clone(), r.clone())),
            );
        }
        for t in call.conn.transformations.clone() {
            let id = Substr::from(&*call.container.transformations[t].id);
            let records = call.transformation_index_records(t)?;
            inputs.extend(
                records
                    .iter()
                    .map(|r| ("transformation", id.clone(), r.clone())),
            );
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
                        let ctx = LineContext {
                            layout: &layout,
                            slots: &slots,
                            file: &path,
                            ctype,
                            cid: &cid,
                        };
                        read_lines(bytes, &ctx, &mut call.outputs);
                    }
                    Err(e) => call.reject(
                        record.clone(),
                        format!("connection {conn}: cannot read {path}: {e}"),
                    ),
                }
            }
        }
        Ok(())
    }
}

struct LineContext<'a> {
    layout: &'a Arc<Layout>,
    slots: &'a Slots,
    file: &'a Substr,
    ctype: &'static str,
    cid: &'a Substr,
}

/// What goes in each slot of an output record, in slot order.
#[derive(Clone, Copy)]
enum Part {
    Value,
    Length,
    File,
    ContainerType,
    ContainerId,
    Number,
    Null,
}

fn read_lines(bytes: Vec<u8>, ctx: &LineContext<'_>, out: &mut Vec<Record>) {
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    // One shared buffer: every line's value is a view into it.
    let text = ArcStr::from(text);
    let ascii = text.is_ascii();
    let ctype = Substr::from(ArcStr::from(ctx.ctype));
    let s = ctx.slots;
    let mut parts = vec![Part::Null; ctx.layout.len()];
    for (slot, part) in [
        (s.value, Part::Value),
        (s.length, Part::Length),
        (s.file, Part::File),
        (s.container_type, Part::ContainerType),
        (s.container_id, Part::ContainerId),
        (s.number, Part::Number),
    ] {
        if let Some(i) = slot {
            parts[i] = part;
        }
    }
    out.reserve(text.len() / 32 + 1);
    let mut emit = |start: usize, end: usize, n: usize| {
        let values = parts
            .iter()
            .map(|p| match p {
                Part::Value => Value::String(text.substr(start..end)),
                Part::Length => {
                    let line = &text[start..end];
                    Value::Integer(if ascii {
                        line.len()
                    } else {
                        line.chars().count()
                    } as i64)
                }
                Part::File => Value::String(ctx.file.clone()),
                Part::ContainerType => Value::String(ctype.clone()),
                Part::ContainerId => Value::String(ctx.cid.clone()),
                Part::Number => Value::Integer(n as i64),
                Part::Null => Value::Null,
            })
            .collect();
        out.push(Record::from_parts(ctx.layout.clone(), values));
    };
    let b = text.as_bytes();
    let mut start = 0;
    let mut n = 0;
    for end in memchr::memchr2_iter(b'\n', b'\r', b) {
        if end < start {
            // The \n of a \r\n pair, already consumed.
            continue;
        }
        emit(start, end, n);
        n += 1;
        start = if b[end] == b'\r' && b.get(end + 1) == Some(&b'\n') {
            end + 2
        } else {
            end + 1
        };
    }
    if start < b.len() {
        emit(start, b.len(), n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<(String, i64)> {
        let layout = Layout::new(vec![
            FieldDef::new("value", FieldType::String),
            FieldDef::new("number", FieldType::Integer),
        ]);
        let slots = Slots::of(&layout);
        let file = Substr::from("f");
        let cid = Substr::from("c");
        let ctx = LineContext {
            layout: &layout,
            slots: &slots,
            file: &file,
            ctype: "collection",
            cid: &cid,
        };
        let mut out = Vec::new();
        read_lines(input.to_vec(), &ctx, &mut out);
        out.iter()
            .map(|r| {
                let Value::String(v) = r.get("value").unwrap() else {
                    panic!()
                };
                let Value::Integer(n) = r.get("number").unwrap() else {
                    panic!()
                };
                (v.to_string(), *n)
            })
            .collect()
    }

    #[test]
    fn line_endings() {
        let want = vec![
            ("a".to_string(), 0),
            ("b".to_string(), 1),
            ("".to_string(), 2),
            ("c".to_string(), 3),
        ];
        assert_eq!(lines(b"a\nb\n\nc\n"), want);
        assert_eq!(lines(b"a\r\nb\r\n\r\nc"), want);
        assert_eq!(lines(b"a\rb\r\rc\r"), want);
        assert_eq!(lines(b"a\r\nb\n\rc"), want);
        assert_eq!(lines(b""), vec![]);
        assert_eq!(lines(b"\n"), vec![("".to_string(), 0)]);
        assert_eq!(lines(b"only"), vec![("only".to_string(), 0)]);
    }
}
