//! The C ABI: handle casts, NULL checks, string conversion, the panic boundary and the status
//! mapping. No business logic lives here: every export is a few lines that call the core.

#![allow(non_camel_case_types)]
// Boxes inside vectors give C stable addresses while the vector grows.
#![allow(clippy::vec_box)]
// Its docs are the C header's prose (JSON such as [1,2] is not a Rust link).
#![allow(rustdoc::broken_intra_doc_links)]

// In the order a user meets them: cbindgen writes the header's functions in this order. (One
// comment per module keeps rustfmt from sorting them.)
// 1. version and errors
pub mod library;
// 2. process configuration: threads, signals and fork
pub mod configure;
// 3. sessions
pub mod session;
// 4. requests
pub mod request;
// 5. records
pub mod record;
pub mod record_read;
// 6. responses
pub mod response;
// 7. plug-ins
pub mod plugins;
// 8. logging
pub mod log;
// constants
pub mod status;
pub mod version;

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::Error;
pub use crate::plugins::native::callback::{mapi_endpoint_call, mapi_transform_call};
pub use crate::plugins::native::handles::{mapi_record, mapi_record_list};

/// This thread's last error, as mapi_last_error copies it out (secrets redacted): for Rust
/// programs that drive the C ABI.
pub fn last_error() -> String {
    crate::status::last_error()
}
use crate::record::Record;
pub use status::*;

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    format!(
        "panic inside messageapi: {}",
        crate::error::panic_message(p)
    )
}

/// The panic boundary for status-returning exports: runs `f`, records the error, maps it.
pub(crate) fn guard(f: impl FnOnce() -> Result<(), Error>) -> mapi_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => MAPI_OK,
        Ok(Err(e)) => {
            set_last_error(e.message());
            e.status()
        }
        Err(p) => {
            set_last_error(&panic_text(&*p));
            MAPI_ERR_PANIC
        }
    }
}

/// The panic boundary for exports that return a value (count, pointer): `fallback` on error.
pub(crate) fn guard_value<T>(fallback: T, f: impl FnOnce() -> Result<T, Error>) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            set_last_error(e.message());
            fallback
        }
        Err(p) => {
            set_last_error(&panic_text(&*p));
            fallback
        }
    }
}

/// A NUL-terminated UTF-8 argument.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, what: &str) -> Result<&'a str, Error> {
    if p.is_null() {
        return Err(Error::NullArgument(format!("{what} is NULL")));
    }
    CStr::from_ptr(p)
        .to_str()
        .map_err(|e| Error::InvalidArgument(format!("{what} is not valid UTF-8: {e}")))
}

/// A nullable NUL-terminated UTF-8 argument.
pub(crate) unsafe fn opt_str_arg<'a>(
    p: *const c_char,
    what: &str,
) -> Result<Option<&'a str>, Error> {
    if p.is_null() {
        Ok(None)
    } else {
        str_arg(p, what).map(Some)
    }
}

/// A byte-counted UTF-8 argument (may hold NULs).
pub(crate) unsafe fn bytes_str_arg<'a>(
    p: *const c_char,
    len: usize,
    what: &str,
) -> Result<&'a str, Error> {
    if p.is_null() {
        if len == 0 {
            return Ok("");
        }
        return Err(Error::NullArgument(format!("{what} is NULL")));
    }
    let bytes = std::slice::from_raw_parts(p.cast::<u8>(), len);
    std::str::from_utf8(bytes)
        .map_err(|e| Error::InvalidArgument(format!("{what} is not valid UTF-8: {e}")))
}

/// A handle argument.
pub(crate) unsafe fn handle<'a, T>(p: *const T, what: &str) -> Result<&'a T, Error> {
    p.as_ref()
        .ok_or_else(|| Error::NullArgument(format!("{what} is NULL")))
}

/// A mutable handle argument.
pub(crate) unsafe fn handle_mut<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T, Error> {
    p.as_mut()
        .ok_or_else(|| Error::NullArgument(format!("{what} is NULL")))
}

/// An out-parameter, checked before any work is done.
pub(crate) unsafe fn out_arg<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T, Error> {
    p.as_mut()
        .ok_or_else(|| Error::NullArgument(format!("{what} (the out-parameter) is NULL")))
}

/// Writes `text` plus a NUL into `buf` (capacity `cap`) and its byte length into `len`:
/// MAPI_ERR_BUFFER_TOO_SMALL (with `*len` set) when `cap < length + 1`.
pub(crate) unsafe fn copy_out(
    text: &[u8],
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> Result<(), Error> {
    if !len.is_null() {
        *len = text.len();
    }
    if buf.is_null() || cap < text.len() + 1 {
        return Err(Error::BufferTooSmall(format!(
            "the buffer holds {cap} bytes; {} are needed (with the NUL)",
            text.len() + 1
        )));
    }
    std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
    *buf.add(text.len()) = 0;
    Ok(())
}

pub(crate) unsafe fn record_arg<'a>(
    p: *const mapi_record,
    what: &str,
) -> Result<&'a Record, Error> {
    handle(p, what).map(|r| &r.0)
}

pub(crate) unsafe fn record_mut_arg<'a>(
    p: *mut mapi_record,
    what: &str,
) -> Result<&'a mut Record, Error> {
    handle_mut(p, what).map(|r| &mut r.0)
}
