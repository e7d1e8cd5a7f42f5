//! The status and type codes of the C ABI: the status codes and their mapping live in
//! `crate::status` (both sides of the C boundary use them); field type and log level codes and
//! `mapi_status_name` are here.

pub use crate::status::*;

/// Field type codes (mapi_record_field_type).
pub const MAPI_TYPE_STRING: i32 = 0;
/// `integer`: a 64-bit signed integer.
pub const MAPI_TYPE_INTEGER: i32 = 1;
/// `float`: kept at single precision.
pub const MAPI_TYPE_FLOAT: i32 = 2;
/// `double`.
pub const MAPI_TYPE_DOUBLE: i32 = 3;
/// `boolean`.
pub const MAPI_TYPE_BOOLEAN: i32 = 4;
/// `datetime`: RFC 3339 text in and out.
pub const MAPI_TYPE_DATETIME: i32 = 5;
/// `list(int)`.
pub const MAPI_TYPE_LIST_INT: i32 = 6;
/// `list(double)`.
pub const MAPI_TYPE_LIST_DOUBLE: i32 = 7;
/// `list(string)`.
pub const MAPI_TYPE_LIST_STRING: i32 = 8;
/// `json`: any JSON value.
pub const MAPI_TYPE_JSON: i32 = 9;

/// The longest text a string field holds, in bytes (4 GiB - 1: the library indexes texts with
/// 32 bits); a longer one is MAPI_ERR_OUT_OF_RANGE.
pub const MAPI_TEXT_MAX_BYTES: usize = u32::MAX as usize;
const _: () = assert!(MAPI_TEXT_MAX_BYTES == crate::value::Text::MAX_LEN);

/// Log levels passed to the log callback.
pub const MAPI_LOG_ERROR: i32 = 1;
/// Something the program should know about.
pub const MAPI_LOG_WARN: i32 = 2;
/// What the library is doing.
pub const MAPI_LOG_INFO: i32 = 3;
/// Detail for diagnosing a problem.
pub const MAPI_LOG_DEBUG: i32 = 4;
