//! `mapi_record`: setters and condition setters (the getters are in `record_read.rs`).
//!
//! Setters work on records the caller owns (request records, the request record, plugin output
//! records, the state record); getters on any record. Setters convert to the field's type:
//! integers widen to float/double, anything goes into a json field; otherwise
//! MAPI_ERR_TYPE_MISMATCH. On open records (plugin outputs without default fields) a setter
//! adds the field.

use std::ffi::c_char;

use super::*;
use crate::value::{Text, Value};

unsafe fn set(
    r: *mut mapi_record,
    field: *const c_char,
    value: impl FnOnce() -> Result<Value, Error>,
) -> mapi_status {
    guard(|| {
        let record = record_mut_arg(r, "record")?;
        let field = str_arg(field, "field")?;
        record.set(field, value()?)
    })
}

unsafe fn set_condition(
    r: *mut mapi_record,
    id: *const c_char,
    value: impl FnOnce() -> Result<Value, Error>,
) -> mapi_status {
    guard(|| {
        let record = record_mut_arg(r, "record")?;
        let id = str_arg(id, "condition_id")?;
        record.set_condition(id, value()?)
    })
}

fn json_value(text: &str) -> Result<serde_json::Value, Error> {
    serde_json::from_str(text).map_err(|e| Error::InvalidArgument(format!("not a JSON value: {e}")))
}

/// ## Records
///
/// A record holds one value per field, in its layout's order (schema order for request records).
/// Setters work on records the caller may write: request records, the request record (condition
/// values only), an endpoint's output records and its state record. Every setter copies what it
/// is given, converts to the field's type (integers widen into float and double fields, and
/// anything fits a json field) and fails with MAPI_ERR_UNKNOWN_FIELD for a field the record does
/// not have (open records, the output records of plug-ins without `default-fields`, add it),
/// MAPI_ERR_TYPE_MISMATCH for a value of the wrong type, MAPI_ERR_NULL_ARGUMENT for a NULL record
/// or field name and MAPI_ERR_INVALID_ARGUMENT for text that is not UTF-8. Getters read any
/// record; they fail with MAPI_ERR_NULL_VALUE on a null field and MAPI_ERR_TYPE_MISMATCH on one
/// of another type, and those that copy into a buffer report the size they need with
/// MAPI_ERR_BUFFER_TOO_SMALL. Pointers a getter returns are borrowed from the record's owner.
/// A record is used from its owner's thread; records of a response from any thread.
///
/// ---
///
/// Sets string field `field` of `r` to the NUL-terminated UTF-8 text `value` (copied).
///
/// Returns MAPI_OK or a setter's status (see above).
///
/// # Safety
/// `r` is NULL or a live, writable record; `field` and `value` are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_string(
    r: *mut mapi_record,
    field: *const c_char,
    value: *const c_char,
) -> mapi_status {
    set(r, field, || Value::try_string(str_arg(value, "value")?))
}

/// Sets string field `field` of `r` to `len` bytes of UTF-8 at `value`, which may hold NUL
/// bytes and need not end with one (copied; `value` may be NULL when `len` is 0).
///
/// Returns MAPI_OK or a setter's status; bytes that are not UTF-8 are MAPI_ERR_INVALID_ARGUMENT,
/// more than 4 GiB - 1 of them MAPI_ERR_OUT_OF_RANGE (checked before any byte is read).
///
/// # Safety
/// `r` is NULL or a live, writable record; `field` is NULL or NUL-terminated; `value` is NULL
/// or holds `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_string_n(
    r: *mut mapi_record,
    field: *const c_char,
    value: *const c_char,
    len: usize,
) -> mapi_status {
    set(r, field, || {
        Text::check_len(len)?;
        Value::try_string(bytes_str_arg(value, len, "value")?)
    })
}

/// Sets field `field` of `r` to the integer `value`: an integer field, or a float, double or
/// json field (widened).
///
/// Returns MAPI_OK or a setter's status (into a string or boolean field: MAPI_ERR_TYPE_MISMATCH).
///
/// # Safety
/// `r` is NULL or a live, writable record; `field` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_int(
    r: *mut mapi_record,
    field: *const c_char,
    value: i64,
) -> mapi_status {
    set(r, field, || Ok(Value::Integer(value)))
}

/// Sets float or double field `field` of `r` to `value` (a float field keeps float
/// precision; a json field takes it as a number).
///
/// Returns MAPI_OK or a setter's status (into an integer field: MAPI_ERR_TYPE_MISMATCH, no rounding).
///
/// # Safety
/// `r` is NULL or a live, writable record; `field` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_double(
    r: *mut mapi_record,
    field: *const c_char,
    value: f64,
) -> mapi_status {
    set(r, field, || Ok(Value::Double(value)))
}

/// Sets boolean field `field` of `r`: `value` 0 is false, anything else true.
///
/// Returns MAPI_OK or a setter's status (into a field neither boolean nor json:
/// MAPI_ERR_TYPE_MISMATCH).
///
/// # Safety
/// `r` is NULL or a live, writable record; `field` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_bool(
    r: *mut mapi_record,
    field: *const c_char,
    value: i32,
) -> mapi_status {
    set(r, field, || Ok(Value::Boolean(value != 0)))
}

/// Sets datetime field `field` of `r` from ISO-8601 / RFC-3339 text `iso8601` (copied):
/// "2019-05-06T12:00:00Z" or with an offset; a date-time without one is UTC, and a date alone
/// ("2019-05-06") is midnight UTC.
///
/// Returns MAPI_OK or a setter's status; text that is not a datetime is
/// MAPI_ERR_INVALID_ARGUMENT.
///
/// # Safety
/// `r` is NULL or a live, writable record; `field` and `iso8601` are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_datetime(
    r: *mut mapi_record,
    field: *const c_char,
    iso8601: *const c_char,
) -> mapi_status {
    set(r, field, || {
        Value::parse_datetime(str_arg(iso8601, "iso8601")?)
    })
}

/// Sets field `field` of `r` to null. A required field left null rejects the record at submit.
///
/// Returns MAPI_OK, MAPI_ERR_NULL_ARGUMENT or MAPI_ERR_UNKNOWN_FIELD: any field may be null.
///
/// # Safety
/// `r` is NULL or a live, writable record; `field` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_null(
    r: *mut mapi_record,
    field: *const c_char,
) -> mapi_status {
    set(r, field, || Ok(Value::Null))
}

/// Sets list(int) field `field` of `r` from `n` integers at `values` (copied); a list(double)
/// field takes them widened. `values` may be NULL when `n` is 0 (an empty list).
///
/// Returns MAPI_OK or a setter's status (a field neither a numeric list nor json:
/// MAPI_ERR_TYPE_MISMATCH).
///
/// # Safety
/// `r` is NULL or a live, writable record; `field` is NULL or NUL-terminated; `values` is NULL
/// or points to `n` readable int64_t.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_int_array(
    r: *mut mapi_record,
    field: *const c_char,
    values: *const i64,
    n: usize,
) -> mapi_status {
    set(r, field, || {
        Ok(Value::IntList(slice_arg(values, n)?.into()))
    })
}

/// Sets list(double) field `field` of `r` from `n` doubles at `values` (copied); `values` may be
/// NULL when `n` is 0.
///
/// Returns MAPI_OK or a setter's status (into a list(int) field: MAPI_ERR_TYPE_MISMATCH).
///
/// # Safety
/// `r` is NULL or a live, writable record; `field` is NULL or NUL-terminated; `values` is NULL
/// or points to `n` readable doubles.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_double_array(
    r: *mut mapi_record,
    field: *const c_char,
    values: *const f64,
    n: usize,
) -> mapi_status {
    set(r, field, || {
        Ok(Value::DoubleList(slice_arg(values, n)?.into()))
    })
}

/// Sets field `field` of `r` from the JSON text `json_value` (copied), read as the field's type:
/// a string field takes "\"text\"", a list(int) field "[1,2]", a datetime field an RFC-3339
/// string, a json field any JSON, and "null" sets null.
///
/// Returns MAPI_OK or a setter's status; text that is not JSON is MAPI_ERR_INVALID_ARGUMENT, JSON
/// of the wrong shape MAPI_ERR_TYPE_MISMATCH.
///
/// # Safety
/// `r` is NULL or a live, writable record; `field` and `json_value` are NULL or
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_json(
    r: *mut mapi_record,
    field: *const c_char,
    json_value: *const c_char,
) -> mapi_status {
    guard(|| {
        let record = record_mut_arg(r, "record")?;
        let field = str_arg(field, "field")?;
        let v = json_value_arg(json_value)?;
        record.set_json(field, &v)
    })
}

unsafe fn json_value_arg(p: *const c_char) -> Result<serde_json::Value, Error> {
    json_value(str_arg(p, "json_value")?)
}

unsafe fn slice_arg<'a, T>(values: *const T, n: usize) -> Result<&'a [T], Error> {
    if n == 0 {
        return Ok(&[]);
    }
    if values.is_null() {
        return Err(Error::NullArgument("values is NULL".into()));
    }
    Ok(std::slice::from_raw_parts(values, n))
}

/// Sets the value of condition `condition_id` on `r` to the text `value` (copied), converted to
/// the type of the condition's field. On a request record, the record must then pass the
/// condition at submit; on the request record (mapi_request_conditions), collections listing it
/// are delivered only when it passes. A condition left without a value is not checked.
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT; MAPI_ERR_INVALID_ARGUMENT (not UTF-8);
/// MAPI_ERR_UNKNOWN_CONDITION (the schema has no such condition, or `r` carries no conditions);
/// MAPI_ERR_TYPE_MISMATCH (the value does not fit the condition).
///
/// # Safety
/// `r` is NULL or a live, writable record; `condition_id` and `value` are NULL or
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_condition_string(
    r: *mut mapi_record,
    condition_id: *const c_char,
    value: *const c_char,
) -> mapi_status {
    set_condition(r, condition_id, || {
        Ok(Value::string(str_arg(value, "value")?))
    })
}

/// Sets the value of condition `condition_id` on `r` to the integer `value` (widened for a
/// float or double field), as mapi_record_set_condition_string does with text.
///
/// Returns MAPI_OK or the statuses of mapi_record_set_condition_string.
///
/// # Safety
/// `r` is NULL or a live, writable record; `condition_id` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_condition_int(
    r: *mut mapi_record,
    condition_id: *const c_char,
    value: i64,
) -> mapi_status {
    set_condition(r, condition_id, || Ok(Value::Integer(value)))
}

/// Sets the value of condition `condition_id` on `r` to the double `value`.
///
/// Returns MAPI_OK or the statuses of mapi_record_set_condition_string.
///
/// # Safety
/// `r` is NULL or a live, writable record; `condition_id` is NULL or NUL-terminated (double).
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_condition_double(
    r: *mut mapi_record,
    condition_id: *const c_char,
    value: f64,
) -> mapi_status {
    set_condition(r, condition_id, || Ok(Value::Double(value)))
}

/// Sets the value of condition `condition_id` on `r` to a boolean: `value` 0 is false,
/// anything else true.
///
/// Returns MAPI_OK or the statuses of mapi_record_set_condition_string.
///
/// # Safety
/// `r` is NULL or a live, writable record; `condition_id` is NULL or NUL-terminated (boolean).
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_condition_bool(
    r: *mut mapi_record,
    condition_id: *const c_char,
    value: i32,
) -> mapi_status {
    set_condition(r, condition_id, || Ok(Value::Boolean(value != 0)))
}

/// Sets the value of condition `condition_id` on `r` to the datetime in `iso8601` (copied; the
/// forms mapi_record_set_datetime reads).
///
/// Returns MAPI_OK or the statuses of mapi_record_set_condition_string; text that is not a
/// datetime is MAPI_ERR_INVALID_ARGUMENT.
///
/// # Safety
/// `r` is NULL or a live, writable record; `condition_id` and `iso8601` are NULL or
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_condition_datetime(
    r: *mut mapi_record,
    condition_id: *const c_char,
    iso8601: *const c_char,
) -> mapi_status {
    set_condition(r, condition_id, || {
        Value::parse_datetime(str_arg(iso8601, "iso8601")?)
    })
}

/// Sets the value of condition `condition_id` on `r` from JSON text `json_value` (copied): a
/// list for an `in` condition ("[1,2,3]"), an element for `contains` on a list field, else a
/// value of the field's type.
///
/// Returns MAPI_OK or the statuses of mapi_record_set_condition_string; text that is not JSON is
/// MAPI_ERR_INVALID_ARGUMENT.
///
/// # Safety
/// `r` is NULL or a live, writable record; `condition_id` and `json_value` are NULL or
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_condition_json(
    r: *mut mapi_record,
    condition_id: *const c_char,
    json_value: *const c_char,
) -> mapi_status {
    guard(|| {
        let record = record_mut_arg(r, "record")?;
        let id = str_arg(condition_id, "condition_id")?;
        let v = json_value_arg(json_value)?;
        record.set_condition_json(id, &v)
    })
}
