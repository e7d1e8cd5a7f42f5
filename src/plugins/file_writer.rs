//! `file-writer`: writes each routed record as one JSON object per line (JSON Lines) to
//! constructor `path` (`{}` expands), `mode` `append` (default) or `truncate` (once, when the
//! request first submits), optional `fsync`. Output records are the records written; a write
//! error rejects the records of that submit.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::protocol::EndpointCall;
use crate::protocol::{Endpoint, EndpointFactory, PreparedEndpoint};
use crate::schema::PluginContext;

pub struct FileWriterFactory;

#[derive(Clone)]
struct FileWriter {
    path: PathBuf,
    truncate: bool,
    fsync: bool,
}

impl EndpointFactory for FileWriterFactory {
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn PreparedEndpoint>> {
        let path = match ctx.constructor.get("path") {
            Some(Json::String(p)) if !p.is_empty() => ctx.resolve_path(p),
            _ => {
                return Err(Error::Manifest(
                    "constructor.path: required (the file to write)".into(),
                ))
            }
        };
        let truncate = match ctx.constructor.get("mode") {
            None | Some(Json::Null) => false,
            Some(Json::String(m)) if m == "append" => false,
            Some(Json::String(m)) if m == "truncate" => true,
            Some(other) => {
                return Err(Error::Manifest(format!(
                    "constructor.mode: expected \"append\" or \"truncate\", found {other}"
                )))
            }
        };
        let fsync = match ctx.constructor.get("fsync") {
            None | Some(Json::Null) => false,
            Some(Json::Bool(b)) => *b,
            Some(other) => {
                return Err(Error::Manifest(format!(
                    "constructor.fsync: expected true or false, found {other}"
                )))
            }
        };
        Ok(Arc::new(FileWriter {
            path,
            truncate,
            fsync,
        }))
    }
}

impl PreparedEndpoint for FileWriter {
    fn check_parameter(
        &self,
        _key: &str,
        _constructor: &serde_json::Map<String, Json>,
    ) -> Result<()> {
        super::fixed_at_open("file-writer")
    }
    fn instantiate(&self) -> Result<Box<dyn Endpoint>> {
        Ok(Box::new(FileWriterInstance {
            config: self.clone(),
            file: None,
        }))
    }
}

struct FileWriterInstance {
    config: FileWriter,
    file: Option<File>,
}

impl FileWriterInstance {
    fn file(&mut self) -> std::io::Result<&mut File> {
        if self.file.is_none() {
            let mut o = OpenOptions::new();
            o.create(true);
            if self.config.truncate {
                o.write(true).truncate(true);
            } else {
                o.append(true);
            }
            self.file = Some(o.open(&self.config.path)?);
        }
        Ok(self.file.as_mut().expect("opened above"))
    }
}

impl Endpoint for FileWriterInstance {
    fn process(&mut self, call: &mut EndpointCall<'_>) -> Result<()> {
        let records = call.listed_records()?;
        if records.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(records.len() * 64);
        let mut writer = crate::json::RecordWriter::default();
        for r in records.iter() {
            writer.write(r, &mut buf);
            buf.push(b'\n');
        }
        let fsync = self.config.fsync;
        let written = self.file().and_then(|f| {
            f.write_all(&buf)?;
            f.flush()?;
            if fsync {
                f.sync_data()?;
            }
            Ok(())
        });
        match written {
            Ok(()) => {
                call.stats().add_bytes_sent(buf.len() as u64);
                call.extend(records.release())
            }
            Err(e) => {
                // The handle may be unusable; reopen on the next submit.
                self.file = None;
                let reason = format!(
                    "connection {}: cannot write {}: {e}",
                    call.connection_id(),
                    self.config.path.display()
                );
                for r in records.release() {
                    call.reject(r, reason.clone());
                }
            }
        }
        Ok(())
    }
}
