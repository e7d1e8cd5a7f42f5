//! `mapi_request`: records to submit, request-level conditions, stream state.

use std::ffi::c_char;

use super::response::mapi_response;
use super::session::mapi_session;
use super::*;
use crate::request::Request;

/// A request (opaque). Functions: mapi_request_new, mapi_request_free, mapi_request_add_record,
/// mapi_request_add_json, mapi_request_record_count, mapi_request_clear,
/// mapi_request_conditions, mapi_request_submit, mapi_request_submit_and_clear.
/// Thread-safety: one thread at a time; a pending response does not use it.
pub struct mapi_request {
    pub(crate) inner: Request,
}

/// A new request on `session`, with fresh endpoint instances (batch mode).
///
/// Ownership: `*out` is new; free it with mapi_request_free (the session may be freed first).
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT. Thread-safety: any thread may create requests.
#[no_mangle]
pub unsafe extern "C" fn mapi_request_new(
    session: *const mapi_session,
    out: *mut *mut mapi_request,
) -> mapi_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        let session = handle(session, "session")?;
        *out = Box::into_raw(Box::new(mapi_request {
            inner: session.inner.request(),
        }));
        Ok(())
    })
}

/// Frees a request (its records and endpoint state). NULL is a no-op. Pending responses
/// complete regardless.
///
/// Ownership: `request` stays the caller's; inputs are copied.
/// Status: none (no-op for NULL).
/// Thread-safety: one thread at a time per request.
#[no_mangle]
pub unsafe extern "C" fn mapi_request_free(request: *mut mapi_request) {
    if !request.is_null() {
        let _ = guard(|| {
            drop(Box::from_raw(request));
            Ok(())
        });
    }
}

/// Adds a record (schema defaults, condition values cleared) and returns it for setting.
///
/// Ownership: `*out` is owned by the request: valid until mapi_request_clear or
/// mapi_request_free. Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT.
///
/// Thread-safety: one thread at a time per request.
#[no_mangle]
pub unsafe extern "C" fn mapi_request_add_record(
    request: *mut mapi_request,
    out: *mut *mut mapi_record,
) -> mapi_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        let request = handle_mut(request, "request")?;
        *out = mapi_record::from_mut(request.inner.add_record());
        Ok(())
    })
}

/// Adds records from `len` bytes of `json`: one JSON object, a JSON array of objects, or JSON
/// Lines (one object per line). All or nothing: on error nothing is added and the last error
/// names the line. `added` (nullable) receives the number added.
///
/// Status: MAPI_OK; MAPI_ERR_NULL_ARGUMENT; MAPI_ERR_INVALID_ARGUMENT (not UTF-8);
/// MAPI_ERR_JSON; MAPI_ERR_UNKNOWN_FIELD; MAPI_ERR_TYPE_MISMATCH; MAPI_ERR_OUT_OF_RANGE.
///
/// Ownership: `request` stays the caller's; inputs are copied.
/// Thread-safety: one thread at a time per request.
#[no_mangle]
pub unsafe extern "C" fn mapi_request_add_json(
    request: *mut mapi_request,
    json: *const c_char,
    len: usize,
    added: *mut usize,
) -> mapi_status {
    guard(|| {
        let request = handle_mut(request, "request")?;
        let text = bytes_str_arg(json, len, "json")?;
        let n = request.inner.add_json(text)?;
        if !added.is_null() {
            *added = n;
        }
        Ok(())
    })
}

/// Number of records in the request (0 for NULL).
///
/// Ownership: `request` stays the caller's; inputs are copied.
/// Status: none: the count (0 for NULL).
/// Thread-safety: one thread at a time per request.
#[no_mangle]
pub unsafe extern "C" fn mapi_request_record_count(request: *const mapi_request) -> usize {
    guard_value(0, || Ok(request.as_ref().map_or(0, |r| r.inner.len())))
}

/// Drops the request's records (their pointers become invalid); endpoint state is kept, so
/// the next submit continues the stream.
///
/// Ownership: record pointers from mapi_request_add_record become invalid.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT.
/// Thread-safety: one thread at a time per request.
#[no_mangle]
pub unsafe extern "C" fn mapi_request_clear(request: *mut mapi_request) -> mapi_status {
    guard(|| {
        handle_mut(request, "request")?.inner.clear();
        Ok(())
    })
}

/// The request record: set request-level condition values on it (mapi_record_set_condition_*);
/// it starts with the manifest's condition values.
///
/// Ownership: `*out` is owned by the request (valid until mapi_request_free).
///
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT.
/// Thread-safety: one thread at a time per request.
#[no_mangle]
pub unsafe extern "C" fn mapi_request_conditions(
    request: *mut mapi_request,
    out: *mut *mut mapi_record,
) -> mapi_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        let request = handle_mut(request, "request")?;
        *out = mapi_record::from_mut(request.inner.conditions());
        Ok(())
    })
}

/// Submits a copy of the request's records and returns at once; the work runs on library
/// threads. Resubmitting the same request runs after its previous submit (its endpoints in
/// order, with the same endpoint instances and state: stream mode); responses of one request
/// complete in submit order.
///
/// Ownership: `*out` is a new response; free it with mapi_response_free (allowed before it
/// completes). Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT.
///
/// Thread-safety: one thread at a time per request.
#[no_mangle]
pub unsafe extern "C" fn mapi_request_submit(
    request: *mut mapi_request,
    out: *mut *mut mapi_response,
) -> mapi_status {
    submit_with(request, out, Request::submit)
}

/// The two submits: `*out` receives the response of `submit` on the request.
unsafe fn submit_with(
    request: *mut mapi_request,
    out: *mut *mut mapi_response,
    submit: fn(&mut Request) -> crate::response::Response,
) -> mapi_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        let request = handle_mut(request, "request")?;
        *out = Box::into_raw(Box::new(mapi_response::new(submit(&mut request.inner))));
        Ok(())
    })
}

/// Submits the request's records and clears the request, as mapi_request_submit followed by
/// mapi_request_clear, but moves the records instead of copying them: the fast path for a
/// program that builds each batch once (a producer loop). Stream mode as for
/// mapi_request_submit.
///
/// Ownership: `*out` is a new response; free it with mapi_response_free (allowed before it
/// completes). Record pointers from mapi_request_add_record become invalid.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT.
///
/// Thread-safety: one thread at a time per request.
#[no_mangle]
pub unsafe extern "C" fn mapi_request_submit_and_clear(
    request: *mut mapi_request,
    out: *mut *mut mapi_response,
) -> mapi_status {
    submit_with(request, out, Request::submit_and_clear)
}

/// Overrides constructor value `key` of connection `connection_id` with `json_value` (JSON
/// text, e.g. "[\"obs\"]" or "\"text\"") for later submits of this request: runtime
/// parameters. A Kafka consumer whose `topics` change re-subscribes (`[]`: unsubscribed, submits
/// return nothing). Keys with dots (librdkafka settings) of a connection whose client already
/// exists take effect for new requests only.
///
/// Ownership: inputs are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (unknown connection, or
/// `json_value` is not JSON).
/// Thread-safety: one thread at a time per request.
#[no_mangle]
pub unsafe extern "C" fn mapi_request_set_parameter(
    request: *mut mapi_request,
    connection_id: *const c_char,
    key: *const c_char,
    json_value: *const c_char,
) -> mapi_status {
    guard(|| {
        let request = handle_mut(request, "request")?;
        let connection = str_arg(connection_id, "connection_id")?;
        let key = str_arg(key, "key")?;
        let text = str_arg(json_value, "json_value")?;
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Error::InvalidArgument(format!("json_value is not JSON: {e}")))?;
        request.inner.set_parameter(connection, key, value)
    })
}

/// Record `index` of the request (0-based), or NULL if out of range.
///
/// Ownership: borrowed from the request: valid until mapi_request_clear, mapi_request_pop_record
/// or mapi_request_free.
/// Status: none: the record, or NULL.
/// Thread-safety: one thread at a time per request.
#[no_mangle]
pub unsafe extern "C" fn mapi_request_record(
    request: *mut mapi_request,
    index: usize,
) -> *mut mapi_record {
    guard_value(std::ptr::null_mut(), || {
        Ok(request
            .as_mut()
            .and_then(|r| r.inner.record_mut(index))
            .map_or(std::ptr::null_mut(), mapi_record::from_mut))
    })
}

/// Removes the request's last record (for example to undo a record that could not be filled).
///
/// Ownership: that record's pointer becomes invalid.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_OUT_OF_RANGE (no records).
/// Thread-safety: one thread at a time per request.
#[no_mangle]
pub unsafe extern "C" fn mapi_request_pop_record(request: *mut mapi_request) -> mapi_status {
    guard(|| match handle_mut(request, "request")?.inner.pop() {
        Some(_) => Ok(()),
        None => Err(Error::OutOfRange("the request has no records".into())),
    })
}
