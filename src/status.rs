//! Status codes (the C ABI's `mapi_status`: the header's constants) and each thread's last
//! error message. Both sides of the C boundary use them: the exports in `ffi/` and the C
//! plug-in callbacks in `plugins/native/`. Which error kind has which code is the table in
//! `error.rs`.

// `mapi_status` keeps the C spelling: it is the header's name.
#![allow(non_camel_case_types)]

use std::cell::RefCell;

/// The result of every fallible call: MAPI_OK (0) or a positive MAPI_ERR_* code.
pub type mapi_status = i32;

/// Success.
pub const MAPI_OK: mapi_status = 0;
/// A required pointer argument was NULL.
pub const MAPI_ERR_NULL_ARGUMENT: mapi_status = 1;
/// An argument is invalid: bad UTF-8, bad value text (datetime, JSON value), bad option.
pub const MAPI_ERR_INVALID_ARGUMENT: mapi_status = 2;
/// The record (or call) has no field (or parameter) of that name.
pub const MAPI_ERR_UNKNOWN_FIELD: mapi_status = 3;
/// The schema has no condition of that id.
pub const MAPI_ERR_UNKNOWN_CONDITION: mapi_status = 4;
/// The value's type does not fit the field or condition.
pub const MAPI_ERR_TYPE_MISMATCH: mapi_status = 5;
/// The value asked for is null.
pub const MAPI_ERR_NULL_VALUE: mapi_status = 6;
/// An index or number is out of range.
pub const MAPI_ERR_OUT_OF_RANGE: mapi_status = 7;
/// The caller's buffer is too small; the length out-parameter holds the size needed.
pub const MAPI_ERR_BUFFER_TOO_SMALL: mapi_status = 8;
/// The manifest is invalid; the last error names the file and JSON location.
pub const MAPI_ERR_MANIFEST: mapi_status = 9;
/// A file could not be read or written; the last error names the path and OS error.
pub const MAPI_ERR_IO: mapi_status = 10;
/// A plugin name that is neither built in nor registered, or a native symbol not found.
pub const MAPI_ERR_UNKNOWN_PLUGIN: mapi_status = 11;
/// Text that is not valid JSON (the last error names the line).
pub const MAPI_ERR_JSON: mapi_status = 12;
/// mapi_response_wait ran out of time.
pub const MAPI_ERR_TIMED_OUT: mapi_status = 13;
/// An endpoint, transformation or condition plugin failed.
pub const MAPI_ERR_ENDPOINT: mapi_status = 14;
/// A Kafka client error.
pub const MAPI_ERR_KAFKA: mapi_status = 15;
/// A panic inside the library was caught (a bug: please report the last error).
pub const MAPI_ERR_PANIC: mapi_status = 16;
/// Too late: mapi_configure after the first session opened (the configuration is fixed).
pub const MAPI_ERR_TOO_LATE: mapi_status = 17;
/// The host has not allowed it: a native library outside the host's `native-plugin-dirs`, a
/// setting that loads code, a path outside its `confine-paths` (the last error says how to
/// allow it).
pub const MAPI_ERR_NOT_ALLOWED: mapi_status = 18;

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Records `message` as this thread's last error.
pub fn set_last_error(message: &str) {
    LAST_ERROR.with(|e| {
        let mut e = e.borrow_mut();
        e.clear();
        e.push_str(&crate::log::redact(message));
    });
}

/// This thread's last error message (empty when none was recorded).
pub fn last_error() -> String {
    LAST_ERROR.with(|e| e.borrow().clone())
}
