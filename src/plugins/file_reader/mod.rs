//! `file-reader`: for every record of the connection's listed collections, classifiers and
//! transformations, and each of its `file-fields`, emits one record per line of that file.
//! LF, CRLF and lone CR end a line; a final unterminated line counts; no trailing empty record.
//!
//! Bounded: only regular files are read (a FIFO, a device, a directory or a socket is a
//! rejection naming the path and its kind, never opened for reading); a file over
//! `max-file-bytes` (default 1 GiB) is refused, and a line over `max-line-bytes` (default
//! 16 MiB) is a rejection naming the file and the line, the other lines returned. Memory a
//! file needs (its bytes, and its lines' records) is reserved fallibly: a file too big for the
//! memory left is a rejection, never an abort of the host.

mod lines;

use std::sync::Arc;

use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::protocol::EndpointCall;
use crate::protocol::{Endpoint, EndpointFactory, PreparedEndpoint};
use crate::record::{FieldDef, Layout, Record};
use crate::schema::PluginContext;
use crate::value::{FieldType, Text, TextBuf, Value};
use lines::{no_memory, split_lines, Lines, LEFT_OUT};

pub struct FileReaderFactory;

struct FileReader {
    file_fields: Vec<String>,
    limits: Limits,
}

/// The bounds of `max-file-bytes` and `max-line-bytes`.
#[derive(Clone, Copy)]
struct Limits {
    file_bytes: u64,
    line_bytes: usize,
}

/// `max-file-bytes`'s default: 1 GiB.
pub(crate) const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;
/// `max-line-bytes`'s default: 16 MiB.
pub(crate) const DEFAULT_MAX_LINE_BYTES: u64 = 16 << 20;
/// The largest file the reader can hold (views index its text with 32 bits).
const MAX_FILE_BYTES: u64 = u32::MAX as u64 - 2 * PAGE as u64;

fn limit(c: &serde_json::Map<String, Json>, key: &str, default: u64) -> Result<u64> {
    let v = super::int_or(c, key, default as i64)?;
    u64::try_from(v)
        .ok()
        .filter(|&v| v > 0 && v <= MAX_FILE_BYTES)
        .ok_or_else(|| {
            Error::Manifest(format!(
                "constructor.{key}: expected a number of bytes from 1 to {MAX_FILE_BYTES}, found {v}"
            ))
        })
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
        let limits = Limits {
            file_bytes: limit(ctx.constructor, "max-file-bytes", DEFAULT_MAX_FILE_BYTES)?,
            line_bytes: limit(ctx.constructor, "max-line-bytes", DEFAULT_MAX_LINE_BYTES)? as usize,
        };
        Ok(Arc::new(FileReader {
            file_fields,
            limits,
        }))
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
    /// The records it returns are made with the connection's output layout: its default
    /// fields already narrowed by `fields` (no pass of the engine's over them).
    fn applies_fields(&self) -> bool {
        true
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
            limits: self.limits,
        }))
    }
}

struct FileReaderInstance {
    file_fields: Vec<String>,
    limits: Limits,
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
        // This call's own copy of the output layout: the records of the previous submit, freed
        // meanwhile on another thread, update the reference count of theirs, not this one's.
        let layout = match &call.conn.output_layout {
            Some(l) => Arc::new(Layout::clone(l)),
            None => Layout::new(Vec::new()),
        };
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
                let loaded = load(&path, self.limits.file_bytes).and_then(|mut loaded| {
                    // Room for every line's record, or a rejection (never an abort).
                    call.outputs.try_reserve(loaded.lines.len()).map_err(|_| {
                        no_memory(loaded.lines.len() * std::mem::size_of::<Record>())
                    })?;
                    loaded.drop_long_lines(self.limits.line_bytes);
                    Ok(loaded)
                });
                match loaded {
                    Ok(loaded) => {
                        call.stats().add_bytes_received(loaded.bytes as u64);
                        for &(number, len) in &loaded.long {
                            call.reject(
                                record.clone(),
                                format!(
                                    "connection {conn}: line {} of {path} is {len} bytes, over max-line-bytes {}",
                                    number + 1,
                                    self.limits.line_bytes
                                ),
                            );
                        }
                        let ctx = LineContext {
                            layout: &layout,
                            slots: &slots,
                            file: &path,
                            ctype,
                            cid: &cid,
                        };
                        emit_lines(&loaded, &ctx, &mut call.outputs);
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

/// What a path is, when it is not a regular file.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

fn not_regular(meta: &std::fs::Metadata) -> std::io::Error {
    let kind = kind_of(meta);
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        if kind == "not a regular file" {
            kind.to_string()
        } else {
            format!("it is {kind}, not a regular file")
        },
    )
}

/// Files at least this large are read to a page-aligned place in their buffer: the kernel's
/// copy into an unaligned destination is several times slower (BENCHMARKS.md).
const ALIGN_FROM: usize = 64 << 10;
const PAGE: usize = 4096;

/// A file's text in one shared buffer: lines are views into it, each followed by a NUL.
struct Loaded {
    text: TextBuf,
    lines: Lines,
    ascii: bool,
    /// The file's size in bytes.
    bytes: usize,
    /// Lines over `max-line-bytes`: (index from 0, bytes), marked [`LEFT_OUT`] in `lines`.
    long: Vec<(usize, usize)>,
}

impl Loaded {
    /// Leaves the lines longer than `max` bytes out of the records, listing them in `long`.
    fn drop_long_lines(&mut self, max: usize) {
        // (No line is longer than the whole text: the scan is for files over the bound.)
        if self.text.as_bytes().len() <= max {
            return;
        }
        for (n, l) in self.lines.iter_mut().enumerate() {
            let len = (l.1 - l.0) as usize;
            if len > max {
                self.long.push((n, len));
                l.0 = LEFT_OUT;
            }
        }
    }
}

/// Reads a file into one shared, NUL-separated text buffer: straight into the buffer for
/// regular files (no zeroing, page-aligned for large ones), through a lossy UTF-8 conversion
/// when the file is not valid UTF-8.
fn load(path: &str, max_bytes: u64) -> std::io::Result<Loaded> {
    use std::os::unix::io::AsRawFd;
    // Inside the host's confined paths (when it set them), before and after opening.
    let refused =
        |e: Error| std::io::Error::new(std::io::ErrorKind::PermissionDenied, e.to_string());
    let named = std::path::Path::new(path);
    let path = crate::paths::confine(named, "the file").map_err(refused)?;
    // What the path is, before opening it: opening a FIFO for reading waits for a writer.
    let meta = std::fs::metadata(&path)?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    // Never blocks (the path may have changed since); a regular file reads as without it.
    let mut file =
        crate::paths::open_confined(&path, libc::O_RDONLY | libc::O_NONBLOCK, "the file")?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    if meta.len() > max_bytes {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "it is {} bytes, over max-file-bytes {max_bytes}",
                meta.len()
            ),
        ));
    }
    {
        let n = meta.len() as usize;
        let slack = if n >= ALIGN_FROM { PAGE } else { 0 };
        let cap = n + 1 + slack;
        let mut lines = Lines::new();
        let mut failure = None;
        let mut ascii = true;
        let mut valid = true;
        let mut bytes = 0;
        let fd = file.as_raw_fd();
        // SAFETY: the initializer writes every byte of the buffer before it returns (zeros
        // where nothing was read) and leaves it valid UTF-8 (zeros, if the file is not).
        let text = unsafe {
            TextBuf::try_with(cap, |buf: &mut [std::mem::MaybeUninit<u8>]| {
                let base = buf.as_mut_ptr().cast::<u8>();
                let pad = if slack > 0 {
                    (PAGE - (base as usize) % PAGE) % PAGE
                } else {
                    0
                };
                std::ptr::write_bytes(base, 0, pad);
                let mut got = 0usize;
                while got < n {
                    let r = libc::read(fd, base.add(pad + got).cast(), n - got);
                    if r > 0 {
                        got += r as usize;
                    } else if r == 0 {
                        break;
                    } else {
                        let e = std::io::Error::last_os_error();
                        if e.kind() != std::io::ErrorKind::Interrupted {
                            failure = Some(e);
                            break;
                        }
                    }
                }
                std::ptr::write_bytes(base.add(pad + got), 0, cap - pad - got);
                bytes = got;
                let all = std::slice::from_raw_parts_mut(base, cap);
                let body = &all[pad..pad + got];
                ascii = body.is_ascii();
                valid = ascii || std::str::from_utf8(body).is_ok();
                if failure.is_some() || !valid {
                    std::ptr::write_bytes(base, 0, cap);
                    return;
                }
                match split_lines(&mut all[pad..], got) {
                    Ok(mut found) => {
                        for l in found.iter_mut() {
                            *l = (l.0 + pad as u32, l.1 + pad as u32);
                        }
                        lines = found;
                    }
                    Err(e) => failure = Some(e),
                }
            })
        };
        let text = text.ok_or_else(|| no_memory(cap))?;
        if let Some(e) = failure {
            return Err(e);
        }
        if valid {
            return Ok(Loaded {
                text,
                lines,
                ascii,
                bytes,
                long: Vec::new(),
            });
        }
    }
    // Not UTF-8: read it again from the start and replace invalid sequences.
    use std::io::{Read, Seek};
    file.rewind()?;
    let mut raw = Vec::new();
    raw.try_reserve_exact(meta.len() as usize)
        .map_err(|_| no_memory(meta.len() as usize))?;
    (&mut file).take(max_bytes).read_to_end(&mut raw)?;
    let bytes = raw.len();
    // Invalid sequences become U+FFFD (3 bytes each): sized first, reserved fallibly.
    let size: usize = raw
        .utf8_chunks()
        .map(|c| c.valid().len() + if c.invalid().is_empty() { 0 } else { 3 })
        .sum();
    if size as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "files of 4 GiB or more are not supported",
        ));
    }
    let mut buf = Vec::new();
    buf.try_reserve_exact(size + 1)
        .map_err(|_| no_memory(size + 1))?;
    for c in raw.utf8_chunks() {
        buf.extend_from_slice(c.valid().as_bytes());
        if !c.invalid().is_empty() {
            buf.extend_from_slice("\u{FFFD}".as_bytes());
        }
    }
    drop(raw);
    let len = buf.len();
    buf.push(0);
    let lines = split_lines(&mut buf, len)?;
    let text = String::from_utf8(buf)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let ascii = text.is_ascii();
    Ok(Loaded {
        text: TextBuf::copy_of(&text).ok_or_else(|| no_memory(text.len()))?,
        lines,
        ascii,
        bytes,
        long: Vec::new(),
    })
}

fn emit_lines(loaded: &Loaded, ctx: &LineContext<'_>, out: &mut Vec<Record>) {
    // The common case compiled without the check for left-out lines.
    if loaded.long.is_empty() {
        emit::<false>(loaded, ctx, out)
    } else {
        emit::<true>(loaded, ctx, out)
    }
}

fn emit<const LEFT_OUT_LINES: bool>(loaded: &Loaded, ctx: &LineContext<'_>, out: &mut Vec<Record>) {
    let Loaded {
        text, lines, ascii, ..
    } = loaded;
    let ascii = *ascii;
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
    let width = parts.len();
    // One reference-count update for every line's view of the buffer.
    let mut views = text.views(if parts.iter().any(|p| matches!(p, Part::Value)) {
        lines.len()
    } else {
        0
    });
    let text = text.as_str();
    for (n, &(start, end)) in lines.iter().enumerate() {
        if LEFT_OUT_LINES && start == LEFT_OUT {
            continue;
        }
        let (start, end) = (start as usize, end as usize);
        let mut values = crate::record::Values::with_capacity(width);
        for p in &parts {
            values.push(match p {
                // SAFETY: the line's bounds are within the text, at ASCII terminators (so at
                // character boundaries), and a NUL follows each line (`split_lines`).
                Part::Value => Value::String(unsafe { views.view(start, end) }),
                Part::Length => Value::Integer(if ascii {
                    (end - start) as i64
                } else {
                    text[start..end].chars().count() as i64
                }),
                Part::File => Value::String(ctx.file.clone()),
                Part::ContainerType => Value::String(ctype.clone()),
                Part::ContainerId => Value::String(ctx.cid.clone()),
                Part::Number => Value::Integer(n as i64),
                Part::Null => Value::Null,
            });
        }
        out.push(Record::from_parts(ctx.layout.clone(), values));
    }
}

#[cfg(test)]
mod tests;
