//! `mapi_record`: setters, condition setters and getters.
//!
//! Setters work on records the caller owns (request records, the request record, plugin output
//! records, the state record); getters on any record. Setters convert to the field's type:
//! integers widen to float/double, anything goes into a json field; otherwise
//! MAPI_ERR_TYPE_MISMATCH. On open records (plugin outputs without default fields) a setter
//! adds the field.

use std::ffi::c_char;

use super::*;
use crate::value::{FieldType, Value};

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

/// Sets a string field from NUL-terminated UTF-8 `value` (copied). Status: MAPI_OK,
/// MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (UTF-8), MAPI_ERR_UNKNOWN_FIELD,
/// MAPI_ERR_TYPE_MISMATCH. Thread-safety: the record's owner's thread.
///
/// Ownership: `r` stays with its owner (request, plugin call or state record); the field name and value are copied.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_string(
    r: *mut mapi_record,
    field: *const c_char,
    value: *const c_char,
) -> mapi_status {
    set(r, field, || Ok(Value::string(str_arg(value, "value")?)))
}

/// Sets a string field from `len` bytes of UTF-8 (may hold NULs; copied). As mapi_record_set_string.
///
/// Ownership: `r` stays with its owner (request, plugin call or state record); the field name and value are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (bad UTF-8 or value text), MAPI_ERR_UNKNOWN_FIELD, MAPI_ERR_TYPE_MISMATCH.
/// Thread-safety: the thread using the record's owner (one thread at a time).
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_string_n(
    r: *mut mapi_record,
    field: *const c_char,
    value: *const c_char,
    len: usize,
) -> mapi_status {
    set(r, field, || {
        Ok(Value::string(bytes_str_arg(value, len, "value")?))
    })
}

/// Sets an integer field (or widens into float/double, or a json field).
///
/// Ownership: `r` stays with its owner (request, plugin call or state record); the field name and value are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (bad UTF-8 or value text), MAPI_ERR_UNKNOWN_FIELD, MAPI_ERR_TYPE_MISMATCH.
/// Thread-safety: the thread using the record's owner (one thread at a time).
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_int(
    r: *mut mapi_record,
    field: *const c_char,
    value: i64,
) -> mapi_status {
    set(r, field, || Ok(Value::Integer(value)))
}

/// Sets a float or double field (a float field keeps float precision).
///
/// Ownership: `r` stays with its owner (request, plugin call or state record); the field name and value are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (bad UTF-8 or value text), MAPI_ERR_UNKNOWN_FIELD, MAPI_ERR_TYPE_MISMATCH.
/// Thread-safety: the thread using the record's owner (one thread at a time).
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_double(
    r: *mut mapi_record,
    field: *const c_char,
    value: f64,
) -> mapi_status {
    set(r, field, || Ok(Value::Double(value)))
}

/// Sets a boolean field: 0 is false, anything else true.
///
/// Ownership: `r` stays with its owner (request, plugin call or state record); the field name and value are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (bad UTF-8 or value text), MAPI_ERR_UNKNOWN_FIELD, MAPI_ERR_TYPE_MISMATCH.
/// Thread-safety: the thread using the record's owner (one thread at a time).
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_bool(
    r: *mut mapi_record,
    field: *const c_char,
    value: i32,
) -> mapi_status {
    set(r, field, || Ok(Value::Boolean(value != 0)))
}

/// Sets a datetime field from ISO-8601 / RFC-3339 text ("2019-05-06T12:00:00Z", a date-time
/// without offset is UTC, "2019-05-06" is midnight UTC). MAPI_ERR_INVALID_ARGUMENT for bad text.
///
/// Ownership: `r` stays with its owner (request, plugin call or state record); the field name and value are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (bad UTF-8 or value text), MAPI_ERR_UNKNOWN_FIELD, MAPI_ERR_TYPE_MISMATCH.
/// Thread-safety: the thread using the record's owner (one thread at a time).
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

/// Sets a field to null (a null required field rejects the record at submit).
///
/// Ownership: `r` stays with its owner (request, plugin call or state record); the field name and value are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (bad UTF-8 or value text), MAPI_ERR_UNKNOWN_FIELD, MAPI_ERR_TYPE_MISMATCH.
/// Thread-safety: the thread using the record's owner (one thread at a time).
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_null(
    r: *mut mapi_record,
    field: *const c_char,
) -> mapi_status {
    set(r, field, || Ok(Value::Null))
}

/// Sets a list(int) field (or list(double), widened) from `n` values (copied; `values` may be
/// NULL when `n` is 0).
///
/// Ownership: `r` stays with its owner (request, plugin call or state record); the field name and value are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (bad UTF-8 or value text), MAPI_ERR_UNKNOWN_FIELD, MAPI_ERR_TYPE_MISMATCH.
/// Thread-safety: the thread using the record's owner (one thread at a time).
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

/// Sets a list(double) field from `n` values (copied; `values` may be NULL when `n` is 0).
///
/// Ownership: `r` stays with its owner (request, plugin call or state record); the field name and value are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (bad UTF-8 or value text), MAPI_ERR_UNKNOWN_FIELD, MAPI_ERR_TYPE_MISMATCH.
/// Thread-safety: the thread using the record's owner (one thread at a time).
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

/// Sets a field from JSON text, read as the field's type (any field type works: a string field
/// takes "\"text\"", a list(int) "[1,2]", a json field anything). MAPI_ERR_INVALID_ARGUMENT for
/// text that is not JSON, MAPI_ERR_TYPE_MISMATCH for JSON of the wrong shape.
///
/// Ownership: `r` stays with its owner (request, plugin call or state record); the field name and value are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (bad UTF-8 or value text), MAPI_ERR_UNKNOWN_FIELD, MAPI_ERR_TYPE_MISMATCH.
/// Thread-safety: the thread using the record's owner (one thread at a time).
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

/// Sets the value of condition `condition_id` for this record (request records: the record
/// must pass it; the request record: collections check it). Converted to the condition
/// field's type. Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_UNKNOWN_CONDITION,
/// MAPI_ERR_TYPE_MISMATCH.
///
/// Ownership: `r` stays with its owner (request record or request record of conditions); `condition_id` and the value are copied.
/// Thread-safety: the thread using the record's request (one thread at a time).
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

/// As mapi_record_set_condition_string, with an integer value.
///
/// Ownership: `r` stays with its owner (request record or request record of conditions); `condition_id` and the value are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (bad UTF-8 or value text), MAPI_ERR_UNKNOWN_CONDITION, MAPI_ERR_TYPE_MISMATCH.
/// Thread-safety: the thread using the record's request (one thread at a time).
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_condition_int(
    r: *mut mapi_record,
    condition_id: *const c_char,
    value: i64,
) -> mapi_status {
    set_condition(r, condition_id, || Ok(Value::Integer(value)))
}

/// As mapi_record_set_condition_string, with a double value.
///
/// Ownership: `r` stays with its owner (request record or request record of conditions); `condition_id` and the value are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (bad UTF-8 or value text), MAPI_ERR_UNKNOWN_CONDITION, MAPI_ERR_TYPE_MISMATCH.
/// Thread-safety: the thread using the record's request (one thread at a time).
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_condition_double(
    r: *mut mapi_record,
    condition_id: *const c_char,
    value: f64,
) -> mapi_status {
    set_condition(r, condition_id, || Ok(Value::Double(value)))
}

/// As mapi_record_set_condition_string, with a boolean (0 false, else true).
///
/// Ownership: `r` stays with its owner (request record or request record of conditions); `condition_id` and the value are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (bad UTF-8 or value text), MAPI_ERR_UNKNOWN_CONDITION, MAPI_ERR_TYPE_MISMATCH.
/// Thread-safety: the thread using the record's request (one thread at a time).
#[no_mangle]
pub unsafe extern "C" fn mapi_record_set_condition_bool(
    r: *mut mapi_record,
    condition_id: *const c_char,
    value: i32,
) -> mapi_status {
    set_condition(r, condition_id, || Ok(Value::Boolean(value != 0)))
}

/// As mapi_record_set_condition_string, with ISO-8601 / RFC-3339 text.
///
/// Ownership: `r` stays with its owner (request record or request record of conditions); `condition_id` and the value are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (bad UTF-8 or value text), MAPI_ERR_UNKNOWN_CONDITION, MAPI_ERR_TYPE_MISMATCH.
/// Thread-safety: the thread using the record's request (one thread at a time).
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

/// As mapi_record_set_condition_string, with a JSON value (lists for "in": "[1,2,3]").
///
/// Ownership: `r` stays with its owner (request record or request record of conditions); `condition_id` and the value are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (bad UTF-8 or value text), MAPI_ERR_UNKNOWN_CONDITION, MAPI_ERR_TYPE_MISMATCH.
/// Thread-safety: the thread using the record's request (one thread at a time).
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

/// Borrows a string or datetime (RFC-3339 text) value: `*value` points at `*len` bytes followed
/// by a NUL (a value holding NULs is not usable as a C string; `*len` is always right).
///
/// Ownership: borrowed; valid until the record's owner is freed or the field is set again.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_UNKNOWN_FIELD, MAPI_ERR_NULL_VALUE,
/// MAPI_ERR_TYPE_MISMATCH.
///
/// Thread-safety: records of a response or list from any thread; other records from their owner's thread.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_get_string(
    r: *const mapi_record,
    field: *const c_char,
    value: *mut *const c_char,
    len: *mut usize,
) -> mapi_status {
    guard(|| {
        let out = out_arg(value, "value")?;
        let text = record_arg(r, "record")?.get_text(str_arg(field, "field")?)?;
        *out = text.as_ptr().cast();
        if !len.is_null() {
            *len = text.len();
        }
        Ok(())
    })
}

/// Copies a string or datetime value and a NUL into `buf` (capacity `cap`); `*len` (nullable)
/// receives the length without the NUL. MAPI_ERR_BUFFER_TOO_SMALL when `cap < length + 1`
/// (with `*len` set: call again with a larger buffer). Other statuses as mapi_record_get_string.
///
/// Ownership: nothing changes hands; out-parameters are written only on success.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_UNKNOWN_FIELD, MAPI_ERR_NULL_VALUE, MAPI_ERR_TYPE_MISMATCH, MAPI_ERR_BUFFER_TOO_SMALL (copies).
/// Thread-safety: records of a response or list from any thread; other records from their owner's thread.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_copy_string(
    r: *const mapi_record,
    field: *const c_char,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> mapi_status {
    guard(|| {
        let text = record_arg(r, "record")?.get_text(str_arg(field, "field")?)?;
        copy_out(text.as_bytes(), buf, cap, len)
    })
}

/// Reads an integer field. MAPI_ERR_TYPE_MISMATCH for other types; MAPI_ERR_NULL_VALUE for null.
///
/// Ownership: nothing changes hands; out-parameters are written only on success.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_UNKNOWN_FIELD, MAPI_ERR_NULL_VALUE, MAPI_ERR_TYPE_MISMATCH.
/// Thread-safety: records of a response or list from any thread; other records from their owner's thread.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_get_int(
    r: *const mapi_record,
    field: *const c_char,
    out: *mut i64,
) -> mapi_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        *out = record_arg(r, "record")?.get_int(str_arg(field, "field")?)?;
        Ok(())
    })
}

/// Reads a float or double field (integers widen).
///
/// Ownership: nothing changes hands; out-parameters are written only on success.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_UNKNOWN_FIELD, MAPI_ERR_NULL_VALUE, MAPI_ERR_TYPE_MISMATCH.
/// Thread-safety: records of a response or list from any thread; other records from their owner's thread.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_get_double(
    r: *const mapi_record,
    field: *const c_char,
    out: *mut f64,
) -> mapi_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        *out = record_arg(r, "record")?.get_double(str_arg(field, "field")?)?;
        Ok(())
    })
}

/// Reads a boolean field as 0 or 1.
///
/// Ownership: nothing changes hands; out-parameters are written only on success.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_UNKNOWN_FIELD, MAPI_ERR_NULL_VALUE, MAPI_ERR_TYPE_MISMATCH.
/// Thread-safety: records of a response or list from any thread; other records from their owner's thread.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_get_bool(
    r: *const mapi_record,
    field: *const c_char,
    out: *mut i32,
) -> mapi_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        *out = i32::from(record_arg(r, "record")?.get_bool(str_arg(field, "field")?)?);
        Ok(())
    })
}

/// Copies a list(int) field into `buf` (capacity `cap` elements); `*n` receives the element
/// count. MAPI_ERR_BUFFER_TOO_SMALL when `cap < *n` (`buf` may be NULL with `cap` 0 to ask).
///
/// Ownership: nothing changes hands; out-parameters are written only on success.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_UNKNOWN_FIELD, MAPI_ERR_NULL_VALUE, MAPI_ERR_TYPE_MISMATCH, MAPI_ERR_BUFFER_TOO_SMALL (copies).
/// Thread-safety: records of a response or list from any thread; other records from their owner's thread.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_get_int_array(
    r: *const mapi_record,
    field: *const c_char,
    buf: *mut i64,
    cap: usize,
    n: *mut usize,
) -> mapi_status {
    guard(|| {
        let n = out_arg(n, "n")?;
        let list = record_arg(r, "record")?.get_int_list(str_arg(field, "field")?)?;
        copy_array(list, buf, cap, n)
    })
}

/// Copies a list(double) (or list(int), widened) field. As mapi_record_get_int_array.
///
/// Ownership: nothing changes hands; out-parameters are written only on success.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_UNKNOWN_FIELD, MAPI_ERR_NULL_VALUE, MAPI_ERR_TYPE_MISMATCH, MAPI_ERR_BUFFER_TOO_SMALL (copies).
/// Thread-safety: records of a response or list from any thread; other records from their owner's thread.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_get_double_array(
    r: *const mapi_record,
    field: *const c_char,
    buf: *mut f64,
    cap: usize,
    n: *mut usize,
) -> mapi_status {
    guard(|| {
        let n = out_arg(n, "n")?;
        let list = record_arg(r, "record")?.get_double_list(str_arg(field, "field")?)?;
        copy_array(&list, buf, cap, n)
    })
}

unsafe fn copy_array<T: Copy>(
    items: &[T],
    buf: *mut T,
    cap: usize,
    n: &mut usize,
) -> Result<(), Error> {
    *n = items.len();
    if items.is_empty() {
        return Ok(());
    }
    if buf.is_null() || cap < items.len() {
        return Err(Error::BufferTooSmall(format!(
            "the buffer holds {cap} elements; {} are needed",
            items.len()
        )));
    }
    std::ptr::copy_nonoverlapping(items.as_ptr(), buf, items.len());
    Ok(())
}

/// Writes a field's value as NUL-terminated JSON text into `buf` (null fields give "null");
/// `field` NULL gives the whole record as a JSON object. `*len` (nullable) receives the length
/// without the NUL; MAPI_ERR_BUFFER_TOO_SMALL when `cap < length + 1`.
///
/// Ownership: nothing changes hands; out-parameters are written only on success.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_UNKNOWN_FIELD, MAPI_ERR_NULL_VALUE, MAPI_ERR_TYPE_MISMATCH, MAPI_ERR_BUFFER_TOO_SMALL (copies).
/// Thread-safety: records of a response or list from any thread; other records from their owner's thread.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_get_json(
    r: *const mapi_record,
    field: *const c_char,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> mapi_status {
    guard(|| {
        let record = record_arg(r, "record")?;
        let text = match opt_str_arg(field, "field")? {
            None => {
                let mut out = Vec::new();
                record.write_json(&mut out);
                out
            }
            Some(f) => serde_json::to_vec(&record.get(f)?.to_json())
                .map_err(|e| Error::Json(e.to_string()))?,
        };
        copy_out(&text, buf, cap, len)
    })
}

/// Number of fields of the record (0 for NULL).
///
/// Ownership: returned pointers are borrowed from the owner of the record or list (response, request, call).
/// Status: none: the return value; 0, -1 or NULL for bad arguments (the last error is set).
/// Thread-safety: records of a response or list from any thread; other records from their owner's thread.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_field_count(r: *const mapi_record) -> usize {
    guard_value(0, || Ok(record_arg(r, "record").map_or(0, |r| r.len())))
}

/// Id of field `index` (record order: schema order for request records), or NULL if out of range.
///
/// Ownership: borrowed; valid while the record lives.
///
/// Status: none: the return value; 0, -1 or NULL for bad arguments (the last error is set).
/// Thread-safety: records of a response or list from any thread; other records from their owner's thread.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_field_name(
    r: *const mapi_record,
    index: usize,
) -> *const c_char {
    guard_value(std::ptr::null(), || {
        let Ok(record) = record_arg(r, "record") else {
            return Ok(std::ptr::null());
        };
        Ok(record
            .layout()
            .fields()
            .get(index)
            .map_or(std::ptr::null(), |f| f.id.as_ptr().cast()))
    })
}

/// The MAPI_TYPE_* of a field, or -1 if the record has no such field (or an argument is NULL).
///
/// Ownership: returned pointers are borrowed from the owner of the record or list (response, request, call).
/// Status: none: the return value; 0, -1 or NULL for bad arguments (the last error is set).
/// Thread-safety: records of a response or list from any thread; other records from their owner's thread.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_field_type(
    r: *const mapi_record,
    field: *const c_char,
) -> i32 {
    guard_value(-1, || {
        let record = record_arg(r, "record")?;
        let field = str_arg(field, "field")?;
        Ok(record.field_type(field).map_or(-1, |t: FieldType| t as i32))
    })
}

/// 1 if the record has the field, else 0.
///
/// Ownership: returned pointers are borrowed from the owner of the record or list (response, request, call).
/// Status: none: the return value; 0, -1 or NULL for bad arguments (the last error is set).
/// Thread-safety: records of a response or list from any thread; other records from their owner's thread.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_has_field(r: *const mapi_record, field: *const c_char) -> i32 {
    guard_value(0, || {
        let record = record_arg(r, "record")?;
        Ok(i32::from(record.has_field(str_arg(field, "field")?)))
    })
}

/// 1 if the field is null, 0 if it holds a value, -1 if the record has no such field.
///
/// Ownership: returned pointers are borrowed from the owner of the record or list (response, request, call).
/// Status: none: the return value; 0, -1 or NULL for bad arguments (the last error is set).
/// Thread-safety: records of a response or list from any thread; other records from their owner's thread.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_is_null(r: *const mapi_record, field: *const c_char) -> i32 {
    guard_value(-1, || {
        let record = record_arg(r, "record")?;
        Ok(match record.get(str_arg(field, "field")?) {
            Ok(v) => i32::from(v.is_null()),
            Err(_) => -1,
        })
    })
}
