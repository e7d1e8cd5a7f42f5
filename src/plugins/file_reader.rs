//! `file-reader`: for every record of the connection's listed collections, classifiers and
//! transformations, and each of its `file-fields`, emits one record per line of that file.
//! LF, CRLF and lone CR end a line; a final unterminated line counts; no trailing empty record.

use std::sync::Arc;

use arcstr::ArcStr;
use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::protocol::EndpointCall;
use crate::protocol::{Endpoint, EndpointFactory, PreparedEndpoint};
use crate::record::{FieldDef, Layout, Record};
use crate::schema::PluginContext;
use crate::value::{FieldType, Text, Value};

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
    fn check_parameter(
        &self,
        _key: &str,
        _constructor: &serde_json::Map<String, Json>,
    ) -> Result<()> {
        super::fixed_at_open("file-reader")
    }
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
        let mut inputs: Vec<(&'static str, Text, Record)> = Vec::new();
        for &c in &call.conn.collections {
            let id = Text::from(&*call.container.collections[c].id);
            inputs.extend(
                call.by_collection_index(c)
                    .map(|r| ("collection", id.clone(), r.clone())),
            );
        }
        for sel in call.listed_classifiers() {
            let id = Text::from(sel.label());
            inputs.extend(
                call.records_by_classifier(&sel.key, sel.value.as_deref())
                    .into_iter()
                    .map(|r| ("classifier", id.clone(), r.clone())),
            );
        }
        for t in call.conn.transformations.clone() {
            let id = Text::from(&*call.container.transformations[t].id);
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
                    Ok(Value::String(p)) => Text::clone(p),
                    Ok(other) => {
                        let reason = format!(
                            "connection {conn}: file field \"{ff}\" holds {}, not a path",
                            other.described()
                        );
                        call.reject(record.clone(), reason);
                        continue;
                    }
                };
                match load(&path) {
                    Ok((text, lines)) => {
                        call.stats()
                            .add_bytes_received(text.len().saturating_sub(1) as u64);
                        let ctx = LineContext {
                            layout: &layout,
                            slots: &slots,
                            file: &path,
                            ctype,
                            cid: &cid,
                        };
                        emit_lines(&text, &lines, &ctx, &mut call.outputs);
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
    file: &'a Text,
    ctype: &'static str,
    cid: &'a Text,
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

/// Line bounds: byte offsets of each line in the shared buffer.
type Lines = Vec<(u32, u32)>;

/// Finds the lines of `buf[..len]` and puts a NUL where each one ends (over its terminator; a
/// final unterminated line uses `buf[len]`, which must exist). LF, CRLF and lone CR end a line.
/// `\n` and `\r` never occur inside multi-byte UTF-8 sequences, so UTF-8 validity is unchanged.
fn split_lines(buf: &mut [u8], len: usize) -> Lines {
    let mut lines = Vec::with_capacity(len / 32 + 1);
    let mut start = 0;
    while let Some(off) = memchr::memchr2(b'\n', b'\r', &buf[start..len]) {
        let end = start + off;
        let next = if buf[end] == b'\r' && end + 1 < len && buf[end + 1] == b'\n' {
            end + 2
        } else {
            end + 1
        };
        buf[end] = 0;
        lines.push((start as u32, end as u32));
        start = next;
    }
    if start < len {
        buf[len] = 0;
        lines.push((start as u32, len as u32));
    }
    lines
}

fn too_big() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        "files of 4 GiB or more are not supported",
    )
}

/// Reads a file into one shared, NUL-separated text buffer: straight into the buffer for
/// regular files, through a lossy UTF-8 conversion when the file is not valid UTF-8.
fn load(path: &str) -> std::io::Result<(ArcStr, Lines)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_file() {
        let n = usize::try_from(meta.len())
            .ok()
            .filter(|&n| n < u32::MAX as usize)
            .ok_or_else(too_big)?;
        let mut lines = Lines::new();
        let mut failure = None;
        let text = ArcStr::init_with(n + 1, |buf| {
            let mut got = 0;
            while got < n {
                match file.read(&mut buf[got..n]) {
                    Ok(0) => break,
                    Ok(k) => got += k,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        failure = Some(e);
                        return;
                    }
                }
            }
            lines = split_lines(buf, got);
        });
        if let Some(e) = failure {
            return Err(e);
        }
        if let Ok(text) = text {
            return Ok((text, lines));
        }
    }
    // Not a regular file, or not UTF-8: read it all and replace invalid sequences.
    let bytes = std::fs::read(path)?;
    let mut buf = String::from_utf8_lossy(&bytes).into_owned().into_bytes();
    if buf.len() >= u32::MAX as usize {
        return Err(too_big());
    }
    let len = buf.len();
    buf.push(0);
    let lines = split_lines(&mut buf, len);
    let text = String::from_utf8(buf)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    Ok((ArcStr::from(text), lines))
}

fn emit_lines(text: &ArcStr, lines: &Lines, ctx: &LineContext<'_>, out: &mut Vec<Record>) {
    let ascii = text.is_ascii();
    let ctype = Text::from(ctx.ctype);
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
    out.reserve(lines.len());
    for (n, &(start, end)) in lines.iter().enumerate() {
        let (start, end) = (start as usize, end as usize);
        let values = parts
            .iter()
            .map(|p| match p {
                Part::Value => Value::String(Text::view(text, start..end)),
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
        let file = Text::from("f");
        let cid = Text::from("c");
        let ctx = LineContext {
            layout: &layout,
            slots: &slots,
            file: &file,
            ctype: "collection",
            cid: &cid,
        };
        let mut out = Vec::new();
        let mut buf = input.to_vec();
        buf.push(0);
        let lines = split_lines(&mut buf, input.len());
        let text = ArcStr::from(String::from_utf8(buf).unwrap());
        emit_lines(&text, &lines, &ctx, &mut out);
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
