//! `mapi_session`: opened from a manifest; immutable; shared by any number of threads.

use std::ffi::c_char;
use std::path::Path;

use super::*;
use crate::session::Session;

/// An open session (opaque). Functions: mapi_session_open, mapi_session_open_json,
/// mapi_session_free, mapi_session_field_count, mapi_session_field_name, mapi_request_new.
/// Thread-safety: immutable; may be used by any number of threads at once.
pub struct mapi_session {
    pub(crate) inner: Session,
}

/// Opens the manifest at `manifest_path` (full form or parameter map). `root` (nullable) is the
/// expansion of `{}` in paths; without it, the environment variable MESSAGEAPI_ROOT, else the
/// manifest's directory.
///
/// Ownership: `*out` is a new session; free it with mapi_session_free. Inputs are copied.
/// Status: MAPI_OK; MAPI_ERR_NULL_ARGUMENT; MAPI_ERR_INVALID_ARGUMENT (bad UTF-8);
/// MAPI_ERR_IO (a file that cannot be read); MAPI_ERR_MANIFEST (the last error names the file
/// and JSON location); MAPI_ERR_UNKNOWN_PLUGIN; MAPI_ERR_TYPE_MISMATCH (a default or
/// condition value of the wrong type). `*out` is written only on success.
/// Thread-safety: any thread.
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

/// Opens a manifest given as JSON text. `base_dir` (nullable) plays the manifest's directory
/// for relative paths and `{}`; default: the current directory.
///
/// Ownership: `*out` is a new session; free it with mapi_session_free. Inputs are copied.
/// Status: as mapi_session_open: MAPI_OK; MAPI_ERR_NULL_ARGUMENT; MAPI_ERR_INVALID_ARGUMENT;
/// MAPI_ERR_IO; MAPI_ERR_MANIFEST (also for text that is not JSON); MAPI_ERR_UNKNOWN_PLUGIN;
/// MAPI_ERR_TYPE_MISMATCH. `*out` is written only on success.
/// Thread-safety: any thread.
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

/// Frees a session. NULL is a no-op. Requests and responses made from it stay valid (they
/// hold what they need).
///
/// Ownership: `session` stays the caller's; returned strings are borrowed while it lives.
/// Status: none (no-op for NULL).
/// Thread-safety: any thread, once no other thread uses the handle.
#[no_mangle]
pub unsafe extern "C" fn mapi_session_free(session: *mut mapi_session) {
    if !session.is_null() {
        let _ = guard(|| {
            drop(Box::from_raw(session));
            Ok(())
        });
    }
}

/// Number of schema fields (0 for NULL).
///
/// Ownership: `session` stays the caller's; returned strings are borrowed while it lives.
/// Status: none: the return value; 0 or NULL for bad arguments.
/// Thread-safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn mapi_session_field_count(session: *const mapi_session) -> usize {
    guard_value(0, || {
        Ok(session.as_ref().map_or(0, |s| s.inner.fields().len()))
    })
}

/// Id of schema field `index` (schema order), or NULL if out of range.
///
/// Ownership: borrowed; valid while the session lives.
///
/// Status: none: the return value; 0 or NULL for bad arguments.
/// Thread-safety: any thread, concurrently.
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

/// The MAPI_TYPE_* of schema field `index`, or -1 if out of range.
///
/// Ownership: nothing changes hands.
/// Status: none: the type code; -1 for bad arguments.
/// Thread-safety: any thread, concurrently.
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

/// 1 if schema field `index` is required, 0 if not, -1 if out of range.
///
/// Ownership: nothing changes hands.
/// Status: none: the flag; -1 for bad arguments.
/// Thread-safety: any thread, concurrently.
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

/// Validates `record` (a record of this session's schema, e.g. from mapi_request_add_record) as
/// a submit would, without running endpoints: its rejection reasons, one per line, are copied
/// into `buf` (empty when it passes); `*len` (nullable) receives their length.
///
/// Ownership: `buf` stays the caller's; nothing else changes hands.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_BUFFER_TOO_SMALL (with `*len` set).
/// Thread-safety: any thread for the session; the record's owner's thread for the record.
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
