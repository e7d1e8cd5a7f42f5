//! Version and errors: the library's version and ABI version, status names, and each
//! thread's last error message.

use std::ffi::c_char;

use super::version::{MAPI_ABI_VERSION, VERSION_CSTR};
use super::{copy_out, guard, mapi_status, opt_str_arg};
use crate::error::status_name;
use crate::error::Error;

/// ## Version and errors
///
/// Every fallible call returns a `mapi_status`: MAPI_OK (0) or a positive MAPI_ERR_* code, never
/// renumbered. Out-parameters are written only on success. After a failure,
/// mapi_last_error() tells what went wrong on the calling thread; mapi_status_name() names a
/// code. No call panics or aborts the host: a bug inside the library becomes MAPI_ERR_PANIC.
///
/// ---
///
/// The ABI version of the library loaded at run time. Compare it with the MAPI_ABI_VERSION
/// macro of the header you compiled against: they differ only when the ABI broke, and then the
/// program must be rebuilt. Callable from any thread, before anything else.
///
/// # Safety
/// None: no arguments.
#[no_mangle]
pub extern "C" fn mapi_abi_version() -> i32 {
    MAPI_ABI_VERSION
}

/// The library's version as "MAJOR.MINOR.PATCH" (the MAPI_VERSION_* macros hold the header's).
/// The string is static: never free it. Callable from any thread.
///
/// # Safety
/// None: no arguments.
#[no_mangle]
pub extern "C" fn mapi_version() -> *const c_char {
    VERSION_CSTR.as_ptr()
}

/// The message of the most recent failed call on this thread (a successful call leaves it as
/// it was), with snprintf's contract: copies at most `buf_len - 1` bytes and a NUL into `buf`
/// and returns the message's full length in bytes, so a first call with `buf` NULL and
/// `buf_len` 0 asks for the size. Returns 0 (and writes an empty string) when nothing has failed
/// on this thread yet. Each thread has its own last error.
///
/// `buf`: the caller's buffer of `buf_len` bytes, or NULL.
///
/// # Safety
/// `buf` is NULL or points to `buf_len` writable bytes.
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

/// The name of status code `status`, for example "MAPI_ERR_MANIFEST", or "MAPI_ERR_UNKNOWN"
/// for a code this library does not define. The string is static: never free it. Callable from
/// any thread.
///
/// # Safety
/// None: any value is accepted.
#[no_mangle]
pub extern "C" fn mapi_status_name(status: mapi_status) -> *const c_char {
    status_name(status).as_ptr()
}

/// Copies a Kafka cluster's metadata as JSON and a NUL into `buf`:
/// `{"brokers": [{"id", "host", "port"}], "topics": [{"name", "partitions"}]}`. `config_json`
/// is a JSON object of librdkafka settings (at least `bootstrap.servers`; TLS and SASL keys as
/// in a Kafka connection's constructor, `${env:NAME}` included); NULL or `{}` for the default
/// broker (the environment variable of the Kafka endpoints, else localhost:9092). Waits up to
/// `timeout_ms`.
///
/// `len`: NULL, or receives the length without the NUL (also on MAPI_ERR_BUFFER_TOO_SMALL).
///
/// Returns MAPI_OK, or: MAPI_ERR_JSON (`config_json` is not a JSON object); MAPI_ERR_KAFKA (no
/// answer in time, or the library was built without Kafka); MAPI_ERR_BUFFER_TOO_SMALL.
///
/// # Safety
/// `config_json` is NULL or NUL-terminated; `buf` is NULL or holds `cap` writable bytes; `len`
/// is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mapi_kafka_metadata(
    config_json: *const c_char,
    timeout_ms: i64,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> mapi_status {
    guard(|| {
        let text = opt_str_arg(config_json, "config_json")?.unwrap_or("{}");
        let mut config = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => {
                return Err(Error::Json(
                    "config_json: expected a JSON object of librdkafka settings".into(),
                ))
            }
        };
        crate::manifest::secrets::resolve(&mut config, std::path::Path::new("."), false)?;
        let timeout = std::time::Duration::from_millis(timeout_ms.max(0) as u64);
        let json = kafka_metadata(&config, timeout)?;
        copy_out(json.to_string().as_bytes(), buf, cap, len)
    })
}

#[cfg(feature = "kafka")]
fn kafka_metadata(
    config: &serde_json::Map<String, serde_json::Value>,
    timeout: std::time::Duration,
) -> Result<serde_json::Value, Error> {
    crate::plugins::kafka::metadata(config, timeout)
}

#[cfg(not(feature = "kafka"))]
fn kafka_metadata(
    _config: &serde_json::Map<String, serde_json::Value>,
    _timeout: std::time::Duration,
) -> Result<serde_json::Value, Error> {
    Err(Error::Kafka("this library was built without Kafka".into()))
}
