//! The status and type codes of the C ABI: the status codes and their mapping live in
//! `crate::status` (both sides of the C boundary use them); field type and log level codes and
//! `mapi_status_name` are here.

pub use crate::status::*;

/// Field type codes (mapi_record_field_type).
pub const MAPI_TYPE_STRING: i32 = 0;
pub const MAPI_TYPE_INTEGER: i32 = 1;
pub const MAPI_TYPE_FLOAT: i32 = 2;
pub const MAPI_TYPE_DOUBLE: i32 = 3;
pub const MAPI_TYPE_BOOLEAN: i32 = 4;
pub const MAPI_TYPE_DATETIME: i32 = 5;
pub const MAPI_TYPE_LIST_INT: i32 = 6;
pub const MAPI_TYPE_LIST_DOUBLE: i32 = 7;
pub const MAPI_TYPE_LIST_STRING: i32 = 8;
pub const MAPI_TYPE_JSON: i32 = 9;

/// Log levels passed to the log callback.
pub const MAPI_LOG_ERROR: i32 = 1;
pub const MAPI_LOG_WARN: i32 = 2;
pub const MAPI_LOG_INFO: i32 = 3;
pub const MAPI_LOG_DEBUG: i32 = 4;
