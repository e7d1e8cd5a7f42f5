//! Logging: where the library's log messages go.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use super::{guard, mapi_status, MAPI_OK};
use crate::log::Level;
use crate::plugins::native::callback::UserData;

/// A log callback: `level` is one of MAPI_LOG_ERROR/WARN/INFO/DEBUG, `message` a NUL-terminated
/// string valid only during the call.
pub type mapi_log_fn =
    Option<unsafe extern "C" fn(level: i32, message: *const c_char, user_data: *mut c_void)>;

/// ## Logging
///
/// The library logs what it lets pass or works around (an unreadable optional file, a broker
/// that went away, an ignored manifest key) at the levels MAPI_LOG_ERROR to MAPI_LOG_DEBUG. By
/// default it writes to stderr, filtered by the environment variable MAPI_LOG
/// (off|error|warn|info|debug; default warn).
///
/// ---
///
/// Sends every log message to `callback` instead, with its level and `user_data`; NULL
/// restores the default. The callback gets every level and filters itself; it is called from
/// library threads, possibly several at once, and the message is valid during the call only.
///
/// `user_data`: the caller's; must stay valid and usable from any thread until the callback is
/// replaced.
///
/// Returns MAPI_OK.
///
/// # Safety
/// `callback` is NULL or has the mapi_log_fn signature and may be called from any thread with
/// `user_data`.
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
