//! `file-writer`: writes each routed record as one JSON object per line (JSON Lines) to
//! constructor `path` (`{}` expands), `mode` `append` (default) or `truncate` (once, when the
//! request first submits). Output records are the records written.
//!
//! Whole submits or nothing: a write that fails part-way (a full disk, a quota, a file-size
//! limit) is cut back to where the submit started, so the file holds no line of a rejected
//! record and ends with a whole line; every record of the submit is rejected with the error.
//! `sync` says what "returned" means: `"none"` (the default: the bytes are in the kernel, they
//! survive the process crashing, not the machine) or `"submit"` (the file's data is synced to
//! the disk before the response completes, and a file the writer created has its directory
//! synced once: it survives a power loss). `fsync: true` is the older spelling of
//! `"sync": "submit"`.

use std::fs::File;
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
    /// `"sync": "submit"`: data synced before the submit's records are returned.
    sync: bool,
}

/// `sync` (or the older `fsync`) of a file-writer's constructor: whether each submit is synced.
fn sync_of(c: &serde_json::Map<String, Json>) -> Result<bool> {
    let legacy = match c.get("fsync") {
        None | Some(Json::Null) => None,
        Some(Json::Bool(b)) => Some(*b),
        Some(other) => {
            return Err(Error::Manifest(format!(
                "constructor.fsync: expected true or false, found {other}"
            )))
        }
    };
    match c.get("sync") {
        None | Some(Json::Null) => Ok(legacy.unwrap_or(false)),
        Some(Json::String(m)) if m == "none" || m == "submit" => {
            let sync = m == "submit";
            if legacy.is_some_and(|l| l != sync) {
                return Err(Error::Manifest(format!(
                    "constructor.fsync contradicts constructor.sync \"{m}\": keep sync only"
                )));
            }
            Ok(sync)
        }
        Some(other) => Err(Error::Manifest(format!(
            "constructor.sync: expected \"none\" or \"submit\", found {other}"
        ))),
    }
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
        let sync = sync_of(ctx.constructor)?;
        let what = format!("{} {}: file-writer path", ctx.kind, ctx.id);
        let path = crate::paths::confine(&path, &what)?;
        Ok(Arc::new(FileWriter {
            path,
            truncate,
            sync,
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
            truncated: false,
            opened_in: crate::runtime::fork::Origin::here(),
        }))
    }
}

struct FileWriterInstance {
    config: FileWriter,
    file: Option<File>,
    /// `mode: truncate` was applied (once per request: a reopen after an error appends).
    truncated: bool,
    /// The process that opened `file`: a child after `fork()` reopens it (a shared open file
    /// description would share the parent's `flock` too).
    opened_in: crate::runtime::fork::Origin,
}

impl FileWriterInstance {
    /// The open file (opened for appending; emptied first under `mode: truncate`).
    fn file(&mut self) -> std::io::Result<&mut File> {
        if self.file.is_some() && self.opened_in.is_elsewhere() {
            self.file = None;
        }
        if self.file.is_none() {
            self.opened_in = crate::runtime::fork::Origin::here();
            let path = &self.config.path;
            let existed = path.exists();
            // Write-only: a FIFO or a terminal behaves as written to (EPIPE, no read end held).
            let f = crate::paths::open_confined(
                path,
                libc::O_WRONLY | libc::O_APPEND | libc::O_CREAT,
                "file-writer path",
            )?;
            if f.metadata()?.is_file() {
                let _lock = Lock::exclusive(&f)?;
                if self.config.truncate && !self.truncated {
                    f.set_len(0)?;
                } else {
                    mend_last_line(&f, path)?;
                }
            }
            self.truncated = true;
            if self.config.sync && !existed {
                // The new file's name survives a power loss too.
                sync_directory(path)?;
            }
            self.file = Some(f);
        }
        Ok(self.file.as_mut().expect("opened above"))
    }

    /// Appends `buf` (whole submits: on failure a regular file is cut back to where the
    /// submit started). `Err((error, torn))`: `torn` when even the cut failed (the file may
    /// end with part of this submit).
    fn append(&mut self, buf: &[u8]) -> std::result::Result<(), (std::io::Error, bool)> {
        let sync = self.config.sync;
        let path = self.config.path.clone();
        let f: &File = self.file().map_err(|e| (e, false))?;
        let regular = f.metadata().map_err(|e| (e, false))?.is_file();
        // Writers of the same file (other requests, other processes) take turns: a cut-back
        // removes this submit's bytes only.
        let lock = if regular {
            Some(Lock::exclusive(f).map_err(|e| (e, false))?)
        } else {
            None
        };
        let start = f.metadata().map_err(|e| (e, false))?.len();
        let mut w = f;
        let written = w.write_all(buf).and_then(|()| {
            w.flush()?;
            if sync {
                f.sync_data()?;
            }
            Ok(())
        });
        let Err(e) = written else {
            return Ok(());
        };
        let cut = if regular {
            f.set_len(start)
                .and_then(|()| if sync { f.sync_data() } else { Ok(()) })
        } else {
            Ok(())
        };
        drop(lock);
        // The handle may be unusable; reopen (appending) on the next submit.
        self.file = None;
        match cut {
            Ok(()) => Err((e, !regular)),
            Err(cut) => {
                crate::log::error(&format!(
                    "cannot cut {} back to {start} bytes after a failed write ({cut}): it may end with part of a rejected submit",
                    path.display()
                ));
                Err((e, true))
            }
        }
    }
}

/// An exclusive `flock` on a file, released when dropped.
struct Lock<'a>(&'a File);

impl<'a> Lock<'a> {
    fn exclusive(f: &'a File) -> std::io::Result<Lock<'a>> {
        use std::os::unix::io::AsRawFd;
        loop {
            // SAFETY: a valid descriptor.
            if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(Lock(f));
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
}

impl Drop for Lock<'_> {
    fn drop(&mut self) {
        use std::os::unix::io::AsRawFd;
        // SAFETY: a valid descriptor.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// A file a writer died in the middle of (SIGKILL, a crash) may end with part of a line: none
/// of its records were returned, so the part is cut off (with a warning) before appending. A
/// last line that is whole JSON but lacks its newline (written by something else) gets one.
/// Called with the file locked; reads through a handle of its own.
fn mend_last_line(f: &File, path: &std::path::Path) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(());
    }
    use std::os::unix::fs::MetadataExt;
    // Read through a handle of its own, of the same file (not one renamed into its place
    // since), when the file can be read at all.
    let mut r = match File::open(path) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => return Ok(()),
        Err(e) => return Err(e),
    };
    let (ours, theirs) = (f.metadata()?, r.metadata()?);
    if (ours.dev(), ours.ino()) != (theirs.dev(), theirs.ino()) {
        return Ok(());
    }
    let mut last = [0u8];
    r.seek(SeekFrom::Start(len - 1))?;
    r.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(());
    }
    // The last line's start: after the last newline, read back in blocks.
    let mut start = 0u64;
    let mut end = len;
    let mut block = vec![0u8; 64 << 10];
    while end > 0 {
        let from = end.saturating_sub(block.len() as u64);
        let n = (end - from) as usize;
        r.seek(SeekFrom::Start(from))?;
        r.read_exact(&mut block[..n])?;
        if let Some(i) = block[..n].iter().rposition(|&b| b == b'\n') {
            start = from + i as u64 + 1;
            break;
        }
        end = from;
    }
    r.seek(SeekFrom::Start(start))?;
    let tail = std::io::BufReader::new(r.take(len - start));
    let mut de = serde_json::Deserializer::from_reader(tail);
    let whole = serde::de::Deserialize::deserialize(&mut de)
        .map(|_: serde::de::IgnoredAny| ())
        .and_then(|()| de.end())
        .is_ok();
    if whole {
        let mut w = f;
        return w.write_all(b"\n");
    }
    crate::log::warn(&format!(
        "{} ended with {} bytes of a line cut short (a writer stopped in the middle of a write); they are cut off before appending",
        path.display(),
        len - start
    ));
    f.set_len(start)
}

/// Syncs the directory holding `path` (a file's new name reaches the disk).
pub(crate) fn sync_directory(path: &std::path::Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    File::open(dir)?.sync_all()
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
        match self.append(&buf) {
            Ok(()) => {
                call.stats().add_bytes_sent(buf.len() as u64);
                call.extend(records.release())
            }
            Err((e, torn)) => {
                let reason = format!(
                    "connection {}: cannot write {}: {e}{}",
                    call.connection_id(),
                    self.config.path.display(),
                    if torn {
                        " (and it could not be cut back: it may end with part of these records)"
                    } else {
                        " (nothing of these records is in the file)"
                    }
                );
                for r in records.release() {
                    call.reject(r, reason.clone());
                }
            }
        }
        Ok(())
    }
}
