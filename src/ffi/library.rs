//! Library-wide calls: versions, the last error, logging.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use super::version::{MAPI_ABI_VERSION, VERSION_CSTR};
use super::{guard, mapi_status, MAPI_OK};
use crate::log::Level;
use crate::plugins::native::callback::UserData;

/// The ABI version of the library loaded at run time; compare with the MAPI_ABI_VERSION macro
/// of the header you compiled against.
///
/// Thread-safety: any thread.
///
/// Ownership: nothing changes hands.
/// Status: none: the return value.
#[no_mangle]
pub extern "C" fn mapi_abi_version() -> i32 {
    MAPI_ABI_VERSION
}

/// The library version, "MAJOR.MINOR.PATCH" (also the MAPI_VERSION_* macros).
///
/// Ownership: static string, never freed. Thread-safety: any thread.
///
/// Status: none: the return value.
#[no_mangle]
pub extern "C" fn mapi_version() -> *const c_char {
    VERSION_CSTR.as_ptr()
}

/// Copies the message of this thread's most recent failed call into `buf` (snprintf
/// semantics: at most `buf_len - 1` bytes and a NUL; `buf` may be NULL with `buf_len` 0) and
/// returns the message's full length in bytes. Successful calls do not clear it; 0 and an
/// empty string when no call has failed on this thread.
///
/// Thread-safety: the last error is per thread.
///
/// Ownership: `buf` stays the caller's; the message is copied into it.
/// Status: none: returns the message length.
#[no_mangle]
pub unsafe extern "C" fn mapi_last_error(buf: *mut c_char, buf_len: usize) -> usize {
    let msg = super::last_error();
    if !buf.is_null() && buf_len > 0 {
        let n = msg.len().min(buf_len - 1);
        std::ptr::copy_nonoverlapping(msg.as_ptr(), buf.cast::<u8>(), n);
        *buf.add(n) = 0;
    }
    msg.len()
}

/// A log callback: `level` is one of MAPI_LOG_ERROR/WARN/INFO/DEBUG, `message` a NUL-terminated
/// string valid only during the call.
pub type mapi_log_fn =
    Option<unsafe extern "C" fn(level: i32, message: *const c_char, user_data: *mut c_void)>;

/// Sends library log messages to `fn` (with `user_data`) instead of stderr; NULL restores the
/// default: stderr, filtered by the environment variable MAPI_LOG=off|error|warn|info|debug
/// (default warn). A callback receives every level and filters itself.
///
/// Thread-safety: the callback is called from library worker threads, possibly concurrently;
/// `user_data` must be usable from them. Returns MAPI_OK.
///
/// Ownership: `user_data` stays the caller's and must outlive its use by the library.
/// Status: MAPI_OK.
#[no_mangle]
pub unsafe extern "C" fn mapi_set_log_callback(
    callback: mapi_log_fn,
    user_data: *mut c_void,
) -> mapi_status {
    guard(|| {
        match callback {
            None => crate::log::set_sink(None),
            Some(f) => {
                let ud = UserData(user_data);
                crate::log::set_sink(Some(Arc::new(move |level: Level, message: &str| {
                    let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
                    let ud = &ud;
                    // SAFETY: the host registered `f` for exactly this call.
                    unsafe { f(level as i32, text.as_ptr(), ud.0) };
                })));
            }
        }
        Ok(())
    });
    MAPI_OK
}
