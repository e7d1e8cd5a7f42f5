//! `mapi_record`: getters, field names and types, and record lists (any record, any
//! thread that may read it).

use super::*;
use crate::value::FieldType;
use std::ffi::c_char;

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
