//! `mapi_record`: setters, condition setters and getters.
//!
//! Setters work on records the caller owns (request records, the request record, plugin output
//! records, the state record); getters on any record. Setters convert to the field's type:
//! integers widen to float/double, anything goes into a json field; otherwise
//! MAPI_ERR_TYPE_MISMATCH. On open records (plugin outputs without default fields) a setter
//! adds the field.

use std::ffi::c_char;

use super::*;
use crate::value::{FieldType, Text, Value};

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

/// Borrows the text of string or datetime field `field` of `r` (a datetime as RFC-3339 text)
/// without copying it.
///
/// `value`: receives a pointer to `*len` bytes followed by a NUL, valid until the record's
/// owner is freed or the field is set again (a value holding NUL bytes is only usable with
/// `*len`).
/// `len`: receives the length in bytes.
///
/// Returns MAPI_OK or a getter's status (see Records).
///
/// # Safety
/// `r` is NULL or a live record; `field` is NULL or NUL-terminated; `value` and `len` are NULL
/// or writable.
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

/// Copies the text of string or datetime field `field` of `r` and a NUL into the caller's
/// buffer `buf` of `cap` bytes.
///
/// `len`: NULL, or receives the length without the NUL; also on MAPI_ERR_BUFFER_TOO_SMALL, so a
/// second call can size the buffer.
///
/// Returns MAPI_OK, a getter's status, or MAPI_ERR_BUFFER_TOO_SMALL when `cap` is less than the
/// length plus one.
///
/// # Safety
/// `r` is NULL or a live record; `field` is NULL or NUL-terminated; `buf` is NULL or holds `cap`
/// writable bytes; `len` is NULL or writable.
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

/// Reads integer field `field` of `r` into `*out`.
///
/// Returns MAPI_OK or a getter's status.
///
/// # Safety
/// `r` is NULL or a live record; `field` is NULL or NUL-terminated; `out` is NULL or writable.
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

/// Reads float or double field `field` of `r` into `*out`; an integer field is widened.
///
/// Returns MAPI_OK or a getter's status.
///
/// # Safety
/// `r` is NULL or a live record; `field` is NULL or NUL-terminated; `out` is NULL or writable
/// (double).
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

/// Reads boolean field `field` of `r` into `*out` as 0 or 1.
///
/// Returns MAPI_OK or a getter's status.
///
/// # Safety
/// `r` is NULL or a live record; `field` is NULL or NUL-terminated; `out` is NULL or writable
/// (int32_t).
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

/// Copies list(int) field `field` of `r` into the caller's array `buf` of `cap` elements.
///
/// `n`: receives the list's length, also on MAPI_ERR_BUFFER_TOO_SMALL: call with `buf` NULL and
/// `cap` 0 to ask for it.
///
/// Returns MAPI_OK, a getter's status, or MAPI_ERR_BUFFER_TOO_SMALL when `cap` < the length.
///
/// # Safety
/// `r` is NULL or a live record; `field` is NULL or NUL-terminated; `buf` is NULL or holds `cap`
/// writable int64_t; `n` is NULL or writable.
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

/// Copies list(double) field `field` of `r` (or a list(int) field, widened) into the caller's
/// array `buf` of `cap` elements.
///
/// `n`: receives the list's length, also on MAPI_ERR_BUFFER_TOO_SMALL.
///
/// Returns MAPI_OK, a getter's status, or MAPI_ERR_BUFFER_TOO_SMALL when `cap` < the length.
///
/// # Safety
/// `r` is NULL or a live record; `field` is NULL or NUL-terminated; `buf` is NULL or holds `cap`
/// writable doubles; `n` is NULL or writable.
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

/// Writes field `field` of `r` as JSON text and a NUL into the caller's buffer `buf` of `cap`
/// bytes: a null field gives "null", a datetime its RFC-3339 string. With `field` NULL, the
/// whole record as one JSON object (field id to value, in the record's order).
///
/// `len`: NULL, or receives the length without the NUL; also on MAPI_ERR_BUFFER_TOO_SMALL.
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT (`r` NULL); MAPI_ERR_UNKNOWN_FIELD;
/// MAPI_ERR_BUFFER_TOO_SMALL (`cap` is less than the length plus one).
///
/// # Safety
/// `r` is NULL or a live record; `field` is NULL or NUL-terminated; `buf` is NULL or holds `cap`
/// writable bytes; `len` is NULL or writable.
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
                crate::json::write_record(record, &mut out);
                out
            }
            Some(f) => serde_json::to_vec(&record.get(f)?.to_json())
                .map_err(|e| Error::Json(e.to_string()))?,
        };
        copy_out(&text, buf, cap, len)
    })
}

/// How many fields `r` has (0 when `r` is NULL).
///
/// # Safety
/// `r` is NULL or a live record.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_field_count(r: *const mapi_record) -> usize {
    guard_value(0, || Ok(record_arg(r, "record").map_or(0, |r| r.len())))
}

/// The id of field `index` of `r` (0-based, in the record's order), or NULL when out of range
/// or `r` is NULL. The string is borrowed for as long as the record lives.
///
/// # Safety
/// `r` is NULL or a live record.
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

/// The MAPI_TYPE_* code of field `field` of `r`, or -1 when the record has no such field or an
/// argument is NULL.
///
/// # Safety
/// `r` is NULL or a live record; `field` is NULL or NUL-terminated.
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

/// 1 when `r` has field `field`, else 0 (also for NULL arguments).
///
/// # Safety
/// `r` is NULL or a live record; `field` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_has_field(r: *const mapi_record, field: *const c_char) -> i32 {
    guard_value(0, || {
        let record = record_arg(r, "record")?;
        Ok(i32::from(record.has_field(str_arg(field, "field")?)))
    })
}

/// 1 when field `field` of `r` is null, 0 when it holds a value, -1 when the record has no such
/// field or an argument is NULL.
///
/// # Safety
/// `r` is NULL or a live record; `field` is NULL or NUL-terminated.
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

/// How many records `list` holds (0 when it is NULL). Lists come from responses and from the
/// calls a plug-in gets; they are read-only and live as long as their owner.
///
/// # Safety
/// `list` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_list_count(list: *const mapi_record_list) -> usize {
    guard_value(0, || Ok(list.as_ref().map_or(0, mapi_record_list::len)))
}

/// Record `index` (0-based) of `list`, or NULL when out of range or `list` is NULL. Borrowed:
/// valid as long as the list's owner (the response, or the plug-in call while it runs).
///
/// # Safety
/// `list` is NULL or a live list.
#[no_mangle]
pub unsafe extern "C" fn mapi_record_list_get(
    list: *const mapi_record_list,
    index: usize,
) -> *const mapi_record {
    guard_value(std::ptr::null(), || {
        Ok(list
            .as_ref()
            .and_then(|l| l.get(index))
            .map_or(std::ptr::null(), |r| r.cast()))
    })
}
