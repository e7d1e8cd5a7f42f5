//! `mapi_request`: records to submit, request-level conditions, stream state.

use std::ffi::c_char;

use super::response::mapi_response;
use super::session::mapi_session;
use super::*;
use crate::request::Request;

/// A request (opaque): records to submit, the request record of request-level condition values,
/// runtime parameters, and the endpoint instances and state its submits share. Used by one
/// thread at a time (its pending responses do not use it). Made by mapi_request_new, freed by
/// mapi_request_free.
/// Functions: mapi_request_new, mapi_request_free, mapi_request_abandon, mapi_request_add_record,
/// mapi_request_add_json, mapi_request_record_count, mapi_request_clear,
/// mapi_request_conditions, mapi_request_submit, mapi_request_submit_and_clear,
/// mapi_request_set_parameter, mapi_request_record, mapi_request_pop_record.
pub struct mapi_request {
    pub(crate) inner: Request,
}

/// ## Requests
///
/// A request collects records and submits them. Each request has its own endpoint instances:
/// a new request starts fresh (batch mode), and resubmitting the same request continues with
/// the same instances and state (stream mode). A submit returns a response at once; the work
/// runs on library threads. A `mapi_request` is used by one thread at a time; its pending
/// responses do not use it, so it may be refilled and resubmitted, or freed, while they run.
///
/// Delivery: a consumer commits (Kafka) or acknowledges (AMQP) the messages of a submit only
/// once that submit's response is complete, its dead letters written, and the program has freed
/// that response (or the request); a crash costs duplicates, never a message.
///
/// ---
///
/// Makes a request on `session`, with fresh endpoint instances.
///
/// `session`: only read; it may be freed before the request.
/// `out`: receives the new request, which the caller frees with mapi_request_free.
///
/// Returns MAPI_OK, or MAPI_ERR_NULL_ARGUMENT (`session` or `out` NULL).
///
/// # Safety
/// `session` is NULL or a live session; `out` is NULL or writable.
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

/// Frees `request`: its records, its request record and its endpoint state. Responses it
/// submitted still complete, and stay the caller's to free. Calling with NULL is fine; must
/// not be called twice.
///
/// Freeing commits (Kafka) or acknowledges (AMQP) what the request's completed responses
/// returned, whether or not they were freed yet; nothing of a response still pending. It waits
/// for those commits. mapi_request_abandon frees without committing.
///
/// # Safety
/// `request` is NULL or a live request not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn mapi_request_free(request: *mut mapi_request) {
    if !request.is_null() {
        let _ = guard(|| {
            drop(Box::from_raw(request));
            Ok(())
        });
    }
}

/// Frees `request` as mapi_request_free does, but commits and acknowledges nothing its
/// consumers read that is not committed yet: the broker delivers those messages again (to the
/// next run, or another member of the group). For a program that could not keep what its last
/// responses returned (a write that failed, say). Calling with NULL is fine; must not be
/// called twice, nor after mapi_request_free.
///
/// # Safety
/// `request` is NULL or a live request not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn mapi_request_abandon(request: *mut mapi_request) {
    if !request.is_null() {
        let _ = guard(|| {
            Box::from_raw(request).inner.abandon();
            Ok(())
        });
    }
}

/// Adds a record to `request` (the schema's defaults set, its condition values cleared) and
/// hands it out for setting with the mapi_record_set_* calls.
///
/// `out`: receives the record, which belongs to the request: valid until mapi_request_clear,
/// mapi_request_pop_record of it, a submit that clears, or mapi_request_free.
///
/// Returns MAPI_OK, or MAPI_ERR_NULL_ARGUMENT (`request` or `out` NULL).
///
/// # Safety
/// `request` is NULL or a live request; `out` is NULL or writable.
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

/// Adds records read from `len` bytes of JSON: one object, an array of objects, or JSON Lines
/// (one object per line; blank lines are skipped). Each object sets the fields it names.
/// All or nothing: on any error nothing is added and the last error names the line.
///
/// `json`: the text (need not be NUL-terminated); read during the call only.
/// `added`: NULL, or receives how many records were added.
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT (`request` NULL, or `json` NULL with `len` > 0);
/// MAPI_ERR_INVALID_ARGUMENT (not UTF-8); MAPI_ERR_JSON (not JSON, or not objects);
/// MAPI_ERR_UNKNOWN_FIELD (a key the schema does not have); MAPI_ERR_TYPE_MISMATCH (a value of
/// the wrong type); MAPI_ERR_OUT_OF_RANGE (a number that does not fit).
///
/// # Safety
/// `request` is NULL or a live request; `json` is NULL or holds `len` readable bytes; `added`
/// is NULL or writable.
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

/// How many records `request` holds (0 when it is NULL).
///
/// # Safety
/// `request` is NULL or a live request.
#[no_mangle]
pub unsafe extern "C" fn mapi_request_record_count(request: *const mapi_request) -> usize {
    guard_value(0, || Ok(request.as_ref().map_or(0, |r| r.inner.len())))
}

/// Drops every record of `request`; pointers to them become invalid. The endpoint state and the
/// request record stay, so the next submit continues the stream.
///
/// Returns MAPI_OK, or MAPI_ERR_NULL_ARGUMENT for a NULL request.
///
/// # Safety
/// `request` is NULL or a live request.
#[no_mangle]
pub unsafe extern "C" fn mapi_request_clear(request: *mut mapi_request) -> mapi_status {
    guard(|| {
        handle_mut(request, "request")?.inner.clear();
        Ok(())
    })
}

/// The request record, on which request-level condition values are set
/// (mapi_record_set_condition_*): collections whose conditions fail are not delivered. It starts
/// with the manifest's condition values and keeps what is set across submits.
///
/// `out`: receives the request record, which belongs to the request (valid until
/// mapi_request_free).
///
/// Returns MAPI_OK, or MAPI_ERR_NULL_ARGUMENT (`request` or `out` NULL).
///
/// # Safety
/// `request` is NULL or a live request; `out` is NULL or writable.
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

/// Submits a copy of the records of `request` and returns at once; validation, factoring,
/// routing and the endpoints run on library threads. The request keeps its records. A
/// resubmit of the same request runs its endpoints after the previous submit's, with the same
/// instances and state, and responses of one request complete in submit order.
///
/// `out`: receives the response, which the caller frees with mapi_response_free (also before
/// it completes).
///
/// Returns MAPI_OK, or MAPI_ERR_NULL_ARGUMENT. Everything that goes wrong later is in the
/// response: rejected records with their reasons.
///
/// # Safety
/// `request` is NULL or a live request; `out` is NULL or writable.
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

/// Submits the records of `request` and empties it, as mapi_request_submit then
/// mapi_request_clear would, but moves the records instead of copying them: the fast path for a
/// loop that builds each batch once. Pointers to the records become invalid.
///
/// `out`: receives the response, which the caller frees with mapi_response_free.
///
/// Returns MAPI_OK, or MAPI_ERR_NULL_ARGUMENT; later failures are rejections in the response.
///
/// # Safety
/// `request` is NULL or a live request; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mapi_request_submit_and_clear(
    request: *mut mapi_request,
    out: *mut *mut mapi_response,
) -> mapi_status {
    submit_with(request, out, Request::submit_and_clear)
}

/// Overrides constructor value `key` of connection `connection_id` for the later submits of
/// `request` (runtime parameters): `json_value` is JSON text, for example "[\"obs\"]" or
/// "\"text\"". A Kafka consumer whose `topics` change re-subscribes (`[]` unsubscribes). Keys
/// with dots (librdkafka settings) take effect when the connection's client is made: for a
/// client that already exists, in new requests only.
///
/// `connection_id`, `key`, `json_value`: copied.
///
/// The value is checked now: the connection's endpoint must be able to use it (a Kafka
/// producer's `topic` must be a topic name unless it has a `topic-field`, say). The built-in
/// file-reader, file-writer and evaluation endpoints read their constructor when the session
/// opens and take no runtime parameters; plug-ins take any.
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT; MAPI_ERR_INVALID_ARGUMENT (no such connection,
/// `json_value` is not JSON, or the endpoint cannot use the value: the last error names the
/// connection and the key and says what it expects); MAPI_ERR_NOT_ALLOWED (a value the host has
/// not allowed: a library outside its `native-plugin-dirs`, a path outside its
/// `confine-paths`).
///
/// # Safety
/// `request` is NULL or a live request; the strings are NULL or NUL-terminated.
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

/// Record `index` (0-based) of `request`, to read or change before a submit; NULL when out of
/// range or `request` is NULL. It belongs to the request, as from mapi_request_add_record.
///
/// # Safety
/// `request` is NULL or a live request.
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

/// Removes the last record of `request` (to undo one that could not be filled, say); the
/// pointer to it becomes invalid.
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT; MAPI_ERR_OUT_OF_RANGE (the request is empty).
///
/// # Safety
/// `request` is NULL or a live request.
#[no_mangle]
pub unsafe extern "C" fn mapi_request_pop_record(request: *mut mapi_request) -> mapi_status {
    guard(|| match handle_mut(request, "request")?.inner.pop() {
        Some(_) => Ok(()),
        None => Err(Error::OutOfRange("the request has no records".into())),
    })
}
