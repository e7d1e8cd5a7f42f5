//! `mapi_session`: opened from a manifest; immutable; shared by any number of threads.

use std::ffi::c_char;
use std::path::Path;

use super::*;
use crate::session::Session;

/// A session (opaque): a manifest, opened and checked. Immutable: any number of threads may
/// use one session at once. Made by mapi_session_open or mapi_session_open_json, freed by
/// mapi_session_free; requests made from it may outlive it.
/// Functions: mapi_session_open, mapi_session_open_json, mapi_session_free,
/// mapi_session_field_count, mapi_session_field_name, mapi_session_field_type,
/// mapi_session_field_required, mapi_session_validate, mapi_session_stats_json,
/// mapi_session_stats_prometheus, mapi_request_new.
pub struct mapi_session {
    pub(crate) inner: Session,
}

/// ## Sessions
///
/// A session is opened once from a manifest (the full form or a parameter map) and is then
/// immutable: any number of threads may use one `mapi_session` at once, and each makes its own
/// requests from it. Opening checks everything the manifest names (fields, conditions,
/// collections, transformations, endpoints and their constructors) and reports the first
/// problem with its file and JSON location.
///
/// ---
///
/// Opens the manifest at `manifest_path`.
///
/// `manifest_path`: the manifest file; copied.
/// `root`: what `{}` in the manifest's paths expands to; NULL for the environment variable
/// MESSAGEAPI_ROOT, else the manifest's directory. Copied.
/// `out`: receives the new session, which the caller frees with mapi_session_free.
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT (`manifest_path` or `out` NULL);
/// MAPI_ERR_INVALID_ARGUMENT (a string that is not UTF-8); MAPI_ERR_IO (the manifest or a file it
/// names cannot be read); MAPI_ERR_MANIFEST (anything invalid; the last error says
/// "file: json.location: what"); MAPI_ERR_UNKNOWN_PLUGIN (a plug-in neither built in nor
/// registered); MAPI_ERR_TYPE_MISMATCH (a field default or condition value of the wrong type);
/// MAPI_ERR_NOT_ALLOWED (a native library outside the host's `native-plugin-dirs`, a librdkafka
/// setting that loads code, a path outside its `confine-paths`: see mapi_configure).
///
/// # Safety
/// `manifest_path` and `root` are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mapi_session_open(
    manifest_path: *const c_char,
    root: *const c_char,
    out: *mut *mut mapi_session,
) -> mapi_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        let path = str_arg(manifest_path, "manifest_path")?;
        let root = opt_str_arg(root, "root")?;
        let session = Session::open(path, root.map(Path::new))?;
        *out = Box::into_raw(Box::new(mapi_session { inner: session }));
        Ok(())
    })
}

/// Checks the manifest at `manifest_path` as mapi_session_open would open it, without loading
/// a native library, reading a `${env:}` or `${file:}` secret or connecting anywhere (what
/// `mapi check` does): every part is read, every plug-in checks its constructor, and the
/// host's `native-plugin-dirs` and `confine-paths` apply. Fixes the process configuration, as
/// opening a session does.
///
/// Returns MAPI_OK when mapi_session_open would get as far as loading and connecting, or the
/// status it would return (the last error says why).
///
/// # Safety
/// `manifest_path` and `root` are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn mapi_session_check(
    manifest_path: *const c_char,
    root: *const c_char,
) -> mapi_status {
    guard(|| {
        let path = str_arg(manifest_path, "manifest_path")?;
        let root = opt_str_arg(root, "root")?;
        Session::check(path, root.map(Path::new)).map(drop)
    })
}

/// Opens a manifest held in memory, as mapi_session_open opens a file.
///
/// `manifest_json`: the manifest's JSON text; copied.
/// `base_dir`: the directory that plays the manifest's own (relative paths and `{}` resolve
/// against it); NULL for the current directory. Copied.
/// `out`: receives the new session, which the caller frees with mapi_session_free.
///
/// Returns MAPI_OK or the statuses of mapi_session_open; text that is not JSON is
/// MAPI_ERR_MANIFEST.
///
/// # Safety
/// `manifest_json` and `base_dir` are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mapi_session_open_json(
    manifest_json: *const c_char,
    base_dir: *const c_char,
    out: *mut *mut mapi_session,
) -> mapi_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        let text = str_arg(manifest_json, "manifest_json")?;
        let base = opt_str_arg(base_dir, "base_dir")?;
        let session = Session::from_json(text, base.map(Path::new))?;
        *out = Box::into_raw(Box::new(mapi_session { inner: session }));
        Ok(())
    })
}

/// Frees `session`. Requests and responses made from it stay usable: they keep what they need.
/// Calling with NULL is fine. Must not be called twice, nor while another thread still uses the
/// session.
///
/// # Safety
/// `session` is NULL or a live session from mapi_session_open*.
#[no_mangle]
pub unsafe extern "C" fn mapi_session_free(session: *mut mapi_session) {
    if !session.is_null() {
        let _ = guard(|| {
            drop(Box::from_raw(session));
            Ok(())
        });
    }
}

/// How many fields the schema of `session` has (0 when `session` is NULL).
///
/// # Safety
/// `session` is NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn mapi_session_field_count(session: *const mapi_session) -> usize {
    guard_value(0, || {
        Ok(session.as_ref().map_or(0, |s| s.inner.fields().len()))
    })
}

/// The id of schema field `index` (0-based, schema order), or NULL when `index` is out of range
/// or `session` is NULL. The string belongs to the session and lives as long as it does.
///
/// # Safety
/// `session` is NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn mapi_session_field_name(
    session: *const mapi_session,
    index: usize,
) -> *const c_char {
    guard_value(std::ptr::null(), || {
        Ok(session
            .as_ref()
            .and_then(|s| s.inner.fields().get(index))
            .map_or(std::ptr::null(), |f| f.id.as_ptr().cast()))
    })
}

/// The MAPI_TYPE_* code of schema field `index`, or -1 when `index` is out of range or
/// `session` is NULL.
///
/// # Safety
/// `session` is NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn mapi_session_field_type(
    session: *const mapi_session,
    index: usize,
) -> i32 {
    guard_value(-1, || {
        Ok(session
            .as_ref()
            .and_then(|s| s.inner.fields().get(index))
            .map_or(-1, |f| f.ty as i32))
    })
}

/// Whether schema field `index` is required: 1 if so, 0 if not, -1 when `index` is out of
/// range or `session` is NULL.
///
/// # Safety
/// `session` is NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn mapi_session_field_required(
    session: *const mapi_session,
    index: usize,
) -> i32 {
    guard_value(-1, || {
        Ok(session
            .as_ref()
            .and_then(|s| s.inner.fields().get(index))
            .map_or(-1, |f| i32::from(f.required)))
    })
}

/// Checks `record` as a submit would (required fields, then the record's condition values)
/// without running any endpoint, and copies the reasons it would be rejected with, one per
/// line, into `buf`: an empty string when it would pass.
///
/// `record`: a record of this session's schema (from mapi_request_add_record, say); only read.
/// `buf`: the caller's buffer of `cap` bytes; receives the reasons and a NUL.
/// `len`: NULL, or receives the reasons' length without the NUL (also on
/// MAPI_ERR_BUFFER_TOO_SMALL, so a second call can size the buffer).
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT (`session` or `record` NULL);
/// MAPI_ERR_BUFFER_TOO_SMALL (`cap` is less than the length plus one).
///
/// # Safety
/// `session` and `record` are NULL or live; `buf` is NULL or holds `cap` writable bytes; `len`
/// is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mapi_session_validate(
    session: *const mapi_session,
    record: *const mapi_record,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> mapi_status {
    guard(|| {
        let session = handle(session, "session")?;
        let record = record_arg(record, "record")?;
        let reasons = session.inner.validate(record).join("\n");
        copy_out(reasons.as_bytes(), buf, cap, len)
    })
}

/// Copies the session's statistics as one JSON object and a NUL into `buf`: records
/// submitted, accepted, rejected by stage, returned and dead-lettered, submit latency
/// (p50, p90, p99, max, in seconds), and per connection records routed, returned and rejected,
/// endpoint errors, bytes sent and received, Kafka consumer lag and librdkafka's statistics
/// (docs/statistics.md). Counters only grow: a second call after MAPI_ERR_BUFFER_TOO_SMALL
/// should allow some room (the figures may have grown meanwhile).
///
/// `len`: NULL, or receives the length without the NUL (also on MAPI_ERR_BUFFER_TOO_SMALL).
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT (`session` NULL); MAPI_ERR_BUFFER_TOO_SMALL.
///
/// # Safety
/// `session` is NULL or live; `buf` is NULL or holds `cap` writable bytes; `len` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn mapi_session_stats_json(
    session: *const mapi_session,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> mapi_status {
    guard(|| {
        let session = handle(session, "session")?;
        let text = session.inner.stats().to_string();
        copy_out(text.as_bytes(), buf, cap, len)
    })
}

/// Copies the session's statistics as Prometheus text exposition format 0.0.4 (`# HELP` and
/// `# TYPE` lines, `messageapi_` names, `_total` counters, seconds and bytes, labels
/// `connection`, `endpoint` and `stage`) and a NUL into `buf`: for a node-exporter textfile, or
/// the program's own metrics endpoint (the library runs no HTTP server).
///
/// `len`: NULL, or receives the length without the NUL (also on MAPI_ERR_BUFFER_TOO_SMALL).
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT (`session` NULL); MAPI_ERR_BUFFER_TOO_SMALL.
///
/// # Safety
/// `session` is NULL or live; `buf` is NULL or holds `cap` writable bytes; `len` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn mapi_session_stats_prometheus(
    session: *const mapi_session,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> mapi_status {
    guard(|| {
        let session = handle(session, "session")?;
        let text = session.inner.stats_prometheus();
        copy_out(text.as_bytes(), buf, cap, len)
    })
}
