//! Shared by the fuzz targets that drive the C ABI.
#![allow(dead_code)]

use std::ffi::CString;

use messageapi::ffi::*;

/// A status from the library: one of the enum, and never MAPI_ERR_PANIC (a panic inside the
/// library is a bug, even when the boundary catches it).
pub fn ok_status(s: mapi_status, what: &str) -> mapi_status {
    assert!(
        (MAPI_OK..=MAPI_ERR_PANIC).contains(&s),
        "{what}: status {s} outside the enum"
    );
    if s == MAPI_ERR_PANIC {
        panic!("{what}: the library panicked: {}", last_error());
    }
    s
}

pub fn last_error() -> String {
    let mut buf = vec![0u8; 4096];
    // SAFETY: buf holds buf.len() writable bytes.
    let n =
        unsafe { messageapi::ffi::library::mapi_last_error(buf.as_mut_ptr().cast(), buf.len()) };
    buf.truncate(n.min(buf.len().saturating_sub(1)));
    String::from_utf8_lossy(&buf).into_owned()
}

/// `s` as a C string, cut at its first NUL (as C would see it).
pub fn c(s: &str) -> CString {
    CString::new(s.split('\0').next().unwrap_or("")).expect("no NUL left")
}

/// A schema with a field of every type (and `r`, a required one) and conditions on three of
/// them: the records the JSON and value targets read and set.
pub const EVERY_TYPE_MANIFEST: &str = r#"{
  "fields": [
    {"id": "s", "type": "string", "required": false},
    {"id": "i", "type": "integer", "required": false},
    {"id": "f", "type": "float", "required": false},
    {"id": "d", "type": "double", "required": false},
    {"id": "b", "type": "boolean", "required": false},
    {"id": "t", "type": "datetime", "required": false},
    {"id": "li", "type": "list(int)", "required": false},
    {"id": "ld", "type": "list(double)", "required": false},
    {"id": "ls", "type": "list(string)", "required": false},
    {"id": "j", "type": "json", "required": false},
    {"id": "r", "type": "string", "required": true}
  ],
  "conditions": [
    {"id": "c-i", "type": "comparison", "operator": "<", "field": "i"},
    {"id": "c-s", "type": "comparison", "operator": "=", "field": "s"},
    {"id": "c-t", "type": "comparison", "operator": ">", "field": "t"}
  ],
  "collections": [{"id": "all", "fields": ["s", "i", "f", "d", "b", "t", "li", "ld", "ls", "j", "r"]}],
  "endpoints": []
}"#;
