//! Plug-ins from C, the host's side: registration, and the functions a callback calls on the
//! handles it is given. The callback machinery itself is `plugins::native::callback`.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::*;
use crate::plugins::native::callback::{
    mapi_condition_fn, mapi_endpoint_call, mapi_endpoint_fn, mapi_transform_call,
    mapi_transformation_fn, CCondition, CEndpoint, CTransformation, UserData,
};
use crate::registry;

fn callback<T>(f: Option<T>) -> Result<T, Error> {
    f.ok_or_else(|| Error::NullArgument("the callback is NULL".into()))
}

/// ## Plug-ins
///
/// A host adds endpoints, transformations and condition operators by registering a C callback
/// under a name that manifests then use as a plugin name (a registration replaces an earlier one
/// of the same name; sessions opened afterwards see it). Callbacks run on library worker
/// threads, possibly at the same time for different connections and requests; the `user_data`
/// given at registration is handed back to each call as is, and must stay valid and usable from
/// those threads while any session uses the plug-in. The `native` plug-in loads the same
/// callbacks from a shared library with dlopen. A callback that returns an error status fails
/// its connection: every record routed to it is rejected with a reason naming the connection and
/// the message set with mapi_call_set_error (or mapi_transform_set_error).
///
/// ---
///
/// Registers `callback_fn` as endpoint plug-in `name`. Each connection of a manifest whose
/// plugin is `name` calls it once per submit (even with no records routed), with a
/// `mapi_endpoint_call` that hands out the routed records and takes the output.
///
/// `name`: copied. `user_data`: the caller's, passed to every call.
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT (`name` or `callback_fn` NULL);
/// MAPI_ERR_INVALID_ARGUMENT (an empty name, or not UTF-8).
///
/// # Safety
/// `name` is NULL or NUL-terminated; `callback_fn` has the mapi_endpoint_fn signature and may
/// be called from any thread with `user_data`.
#[no_mangle]
pub unsafe extern "C" fn mapi_register_endpoint(
    name: *const c_char,
    callback_fn: mapi_endpoint_fn,
    user_data: *mut c_void,
) -> mapi_status {
    guard(|| {
        let name = str_arg(name, "name")?;
        let f = callback(callback_fn)?;
        registry::register_endpoint(name, Arc::new(CEndpoint(f, UserData(user_data))))
    })
}

/// Registers `callback_fn` as transformation operator `name`: a manifest transformation whose
/// operator is `name` calls it when a connection first asks for its records in a submit, with a
/// `mapi_transform_call` holding copies of its inputs.
///
/// `name`: copied. `user_data`: the caller's, passed to every call.
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT (`name` or `callback_fn` NULL);
/// MAPI_ERR_INVALID_ARGUMENT (an empty name, or not UTF-8).
///
/// # Safety
/// `name` is NULL or NUL-terminated; `callback_fn` has the mapi_transformation_fn signature
/// and may be called from any thread with `user_data`.
#[no_mangle]
pub unsafe extern "C" fn mapi_register_transformation(
    name: *const c_char,
    callback_fn: mapi_transformation_fn,
    user_data: *mut c_void,
) -> mapi_status {
    guard(|| {
        let name = str_arg(name, "name")?;
        let f = callback(callback_fn)?;
        registry::register_transformation(name, Arc::new(CTransformation(f, UserData(user_data))))
    })
}

/// Registers `callback_fn` as condition operator `name`: a comparison condition whose
/// `operator` is `name` calls it for each record it checks, with the record, the field and the
/// condition's value as JSON text. It returns 1 (pass), 0 (fail) or a negative number (an
/// error: the record fails and the error is logged).
///
/// `name`: copied. `user_data`: the caller's, passed to every call.
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT (`name` or `callback_fn` NULL);
/// MAPI_ERR_INVALID_ARGUMENT (an empty name, or not UTF-8).
///
/// # Safety
/// `name` is NULL or NUL-terminated; `callback_fn` has the mapi_condition_fn signature and may
/// be called from any thread with `user_data`.
#[no_mangle]
pub unsafe extern "C" fn mapi_register_condition(
    name: *const c_char,
    callback_fn: mapi_condition_fn,
    user_data: *mut c_void,
) -> mapi_status {
    guard(|| {
        let name = str_arg(name, "name")?;
        let f = callback(callback_fn)?;
        registry::register_condition(name, Arc::new(CCondition(f, UserData(user_data))))
    })
}

unsafe fn ecall<'a>(call: *const mapi_endpoint_call) -> Result<&'a mapi_endpoint_call, Error> {
    handle(call, "call")
}

/// The id of the connection `call` runs for; NULL for a NULL call. Borrowed while the callback
/// runs.
///
/// # Safety
/// `call` is NULL or the call the running callback was given.
#[no_mangle]
pub unsafe extern "C" fn mapi_call_connection_id(call: *const mapi_endpoint_call) -> *const c_char {
    guard_value(std::ptr::null(), || Ok(ecall(call)?.connection_id.as_ptr()))
}

unsafe fn parameter_out(
    value: Option<&serde_json::Value>,
    key: &str,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> Result<(), Error> {
    let v =
        value.ok_or_else(|| Error::UnknownField(format!("no constructor parameter \"{key}\"")))?;
    let text = match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    copy_out(text.as_bytes(), buf, cap, len)
}

/// Copies constructor value `key` of the connection (with the request's runtime parameters
/// applied) and a NUL into the caller's buffer `buf` of `cap` bytes: a string as its text,
/// anything else as JSON.
///
/// `len`: NULL, or receives the length without the NUL; also on MAPI_ERR_BUFFER_TOO_SMALL.
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT (`call` or `key` NULL); MAPI_ERR_UNKNOWN_FIELD (no
/// such key); MAPI_ERR_BUFFER_TOO_SMALL (`cap` is less than the length plus one).
///
/// # Safety
/// `call` is NULL or the running callback's call; `key` is NULL or NUL-terminated; `buf` is NULL
/// or holds `cap` writable bytes; `len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mapi_call_parameter(
    call: *const mapi_endpoint_call,
    key: *const c_char,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> mapi_status {
    guard(|| {
        let c = ecall(call)?;
        let key = str_arg(key, "key")?;
        parameter_out(c.inner().parameter(key), key, buf, cap, len)
    })
}

/// Every record routed to the connection of `call`, once each, in container order; NULL for a
/// NULL call. The list is borrowed while the callback runs.
///
/// # Safety
/// `call` is NULL or the running callback's call.
#[no_mangle]
pub unsafe extern "C" fn mapi_call_records(
    call: *const mapi_endpoint_call,
) -> *const mapi_record_list {
    guard_value(std::ptr::null(), || {
        let c = ecall(call)?;
        Ok(c.keep_list(mapi_record_list::slice(c.inner().records())))
    })
}

/// The routed records of collection `collection_id`.
///
/// `out`: receives the collection's records, borrowed while the callback runs.
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT; MAPI_ERR_INVALID_ARGUMENT (the container has no
/// such collection).
///
/// # Safety
/// `call` is NULL or the running callback's call; `collection_id` is NULL or NUL-terminated;
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mapi_call_records_by_collection(
    call: *const mapi_endpoint_call,
    collection_id: *const c_char,
    out: *mut *const mapi_record_list,
) -> mapi_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        let c = ecall(call)?;
        let id = str_arg(collection_id, "collection_id")?;
        let records = c.inner().records_by_collection(id)?;
        *out = c.keep_list(mapi_record_list::refs(records));
        Ok(())
    })
}

/// The routed records of every collection labelled with classifier `key` and `value` (`value`
/// NULL or "*": any value of `key`).
///
/// `out`: receives the labelled records, borrowed while the callback runs.
///
/// Returns MAPI_OK, or MAPI_ERR_NULL_ARGUMENT (`call`, `key` or `out` NULL).
///
/// # Safety
/// `call` is NULL or the running callback's call; `key` and `value` are NULL or NUL-terminated;
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mapi_call_records_by_classifier(
    call: *const mapi_endpoint_call,
    key: *const c_char,
    value: *const c_char,
    out: *mut *const mapi_record_list,
) -> mapi_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        let c = ecall(call)?;
        let key = str_arg(key, "key")?;
        let value = opt_str_arg(value, "value")?.filter(|v| *v != "*");
        let records = c.inner().records_by_classifier(key, value);
        *out = c.keep_list(mapi_record_list::refs(records));
        Ok(())
    })
}

/// The records transformation `transformation_id` produces, evaluated now if this connection has
/// not asked for them yet in this submit (at most once per connection and submit).
///
/// `out`: receives the transformation's output, borrowed while the callback runs.
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT; MAPI_ERR_INVALID_ARGUMENT (no such
/// transformation); MAPI_ERR_ENDPOINT (the transformation failed; the connection then fails too,
/// whatever the callback returns).
///
/// # Safety
/// `call` is NULL or the running callback's call; `transformation_id` is NULL or
/// NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mapi_call_records_by_transformation(
    call: *const mapi_endpoint_call,
    transformation_id: *const c_char,
    out: *mut *const mapi_record_list,
) -> mapi_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        let c = ecall(call)?;
        let id = str_arg(transformation_id, "transformation_id")?;
        let records = c.inner_mut().records_by_transformation(id)?;
        let list = mapi_record_list::slice(&records);
        c.kept.borrow_mut().push(records);
        *out = c.keep_list(list);
        Ok(())
    })
}

/// The connection's state record: it persists while the same request is resubmitted (stream
/// mode) and starts anew with each request. Its fields are the connection's `state-container`
/// (an open record when it has none). Writable; owned by the request. NULL for a NULL call.
///
/// # Safety
/// `call` is NULL or the running callback's call.
#[no_mangle]
pub unsafe extern "C" fn mapi_call_state(call: *mut mapi_endpoint_call) -> *mut mapi_record {
    guard_value(std::ptr::null_mut(), || {
        let c = handle_mut(call, "call")?;
        Ok(mapi_record::from_mut(c.inner_mut().state()))
    })
}

/// Adds an output record to `call`: of the connection's `default-fields` (narrowed by its
/// `fields`) when it has them, else open (setting any field adds it).
///
/// `out`: receives the record, writable while the callback runs; it joins the response when the
/// callback returns MAPI_OK.
///
/// Returns MAPI_OK, or MAPI_ERR_NULL_ARGUMENT (`call` or `out` NULL).
///
/// # Safety
/// `call` is NULL or the running callback's call; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mapi_call_add_record(
    call: *mut mapi_endpoint_call,
    out: *mut *mut mapi_record,
) -> mapi_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        let c = handle_mut(call, "call")?;
        c.produced.added.push(Box::new(c.inner().new_record()));
        let last = c.produced.added.last_mut().expect("just pushed");
        *out = mapi_record::from_mut(last);
        Ok(())
    })
}

/// Rejects a copy of `record` with the text `reason` (copied): it joins the response's
/// rejections, whatever the callback returns. A routed record rejected here keeps this reason
/// if the callback then fails: it is not rejected a second time.
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT; MAPI_ERR_INVALID_ARGUMENT (`reason` not UTF-8).
///
/// # Safety
/// `call` is NULL or the running callback's call; `record` is NULL or a live record; `reason` is
/// NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn mapi_call_reject(
    call: *mut mapi_endpoint_call,
    record: *const mapi_record,
    reason: *const c_char,
) -> mapi_status {
    guard(|| {
        let c = handle_mut(call, "call")?;
        let record = record_arg(record, "record")?;
        let reason = str_arg(reason, "reason")?;
        c.inner_mut().reject_copy(record, reason);
        Ok(())
    })
}

/// Sets the message an endpoint callback fails with (copied): when it returns an error status,
/// each of its records is rejected with a reason naming the connection and this message.
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT; MAPI_ERR_INVALID_ARGUMENT (not UTF-8).
///
/// # Safety
/// `call` is NULL or the running callback's call; `message` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn mapi_call_set_error(
    call: *mut mapi_endpoint_call,
    message: *const c_char,
) -> mapi_status {
    guard(|| {
        let c = handle_mut(call, "call")?;
        c.produced.error = Some(str_arg(message, "message")?.to_string());
        Ok(())
    })
}

unsafe fn tcall<'a>(call: *const mapi_transform_call) -> Result<&'a mapi_transform_call, Error> {
    handle(call, "call")
}

/// Copies constructor value `key` of the transformation and a NUL into the caller's buffer `buf`
/// of `cap` bytes: a string as its text, anything else as JSON.
///
/// `len`: NULL, or receives the length without the NUL; also on MAPI_ERR_BUFFER_TOO_SMALL.
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT; MAPI_ERR_UNKNOWN_FIELD (no such key);
/// MAPI_ERR_BUFFER_TOO_SMALL.
///
/// # Safety
/// `call` is NULL or the running transformation's call; `key` is NULL or NUL-terminated; `buf`
/// is NULL or holds `cap` writable bytes; `len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mapi_transform_parameter(
    call: *const mapi_transform_call,
    key: *const c_char,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> mapi_status {
    guard(|| {
        let c = tcall(call)?;
        let key = str_arg(key, "key")?;
        parameter_out(c.inner().parameter(key), key, buf, cap, len)
    })
}

/// The records bound to parameter `param` of the transformation: this call's own copies.
///
/// `out`: receives the parameter's records, borrowed while the callback runs.
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT; MAPI_ERR_UNKNOWN_FIELD (the transformation has
/// no such parameter).
///
/// # Safety
/// `call` is NULL or the running transformation's call; `param` is NULL or NUL-terminated; `out`
/// is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mapi_transform_input(
    call: *const mapi_transform_call,
    param: *const c_char,
    out: *mut *const mapi_record_list,
) -> mapi_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        let c = tcall(call)?;
        let param = str_arg(param, "param")?;
        let records = c
            .inner()
            .input(param)
            .ok_or_else(|| Error::UnknownField(format!("no input parameter \"{param}\"")))?;
        let boxed = Box::new(mapi_record_list::slice(records));
        *out = &*boxed;
        c.lists.borrow_mut().push(boxed);
        Ok(())
    })
}

/// Adds an output record to the transformation: a copy of `copy_from`, or an open record when
/// `copy_from` is NULL.
///
/// `out`: receives the record, writable while the callback runs; it becomes output when the
/// callback returns MAPI_OK.
///
/// Returns MAPI_OK, or MAPI_ERR_NULL_ARGUMENT (`call` or `out` NULL).
///
/// # Safety
/// `call` is NULL or the running transformation's call; `copy_from` is NULL or a live record;
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mapi_transform_add_record(
    call: *mut mapi_transform_call,
    copy_from: *const mapi_record,
    out: *mut *mut mapi_record,
) -> mapi_status {
    guard(|| {
        let out = out_arg(out, "out")?;
        let c = handle_mut(call, "call")?;
        let record = if copy_from.is_null() {
            crate::record::Record::open()
        } else {
            record_arg(copy_from, "copy_from")?.clone()
        };
        c.produced.added.push(Box::new(record));
        *out = mapi_record::from_mut(c.produced.added.last_mut().expect("just pushed"));
        Ok(())
    })
}

/// Sets the message a transformation callback fails with (copied): each connection that asked
/// for its records then fails with it.
///
/// Returns MAPI_OK, or: MAPI_ERR_NULL_ARGUMENT; MAPI_ERR_INVALID_ARGUMENT (not UTF-8).
///
/// # Safety
/// `call` is NULL or the running transformation's call; `message` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn mapi_transform_set_error(
    call: *mut mapi_transform_call,
    message: *const c_char,
) -> mapi_status {
    guard(|| {
        let c = handle_mut(call, "call")?;
        c.produced.error = Some(str_arg(message, "message")?.to_string());
        Ok(())
    })
}
