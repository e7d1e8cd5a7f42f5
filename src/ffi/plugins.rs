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

/// Registers (or replaces) endpoint plugin `name` for manifests opened afterwards. The
/// callback runs on library worker threads, possibly concurrently for different connections
/// and requests; `user_data` is passed to it as is and must be usable from those threads.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (empty name).
///
/// Ownership: `name` is copied; `user_data` stays the caller's and must outlive every session that uses the plugin.
/// Thread-safety: registration may be called from any thread; sessions opened afterwards use the new plugin.
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

/// Registers (or replaces) transformation operator `name`. As mapi_register_endpoint.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (empty name).
///
/// Ownership: `name` is copied; `user_data` stays the caller's and must outlive every session that uses the plugin.
/// Thread-safety: registration may be called from any thread; sessions opened afterwards use the new plugin.
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

/// Registers (or replaces) condition operator `name` (used as a condition's "operator").
/// As mapi_register_endpoint.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT (empty name).
///
/// Ownership: `name` is copied; `user_data` stays the caller's and must outlive every session that uses the plugin.
/// Thread-safety: registration may be called from any thread; sessions opened afterwards use the new plugin.
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

/// The connection id. Ownership: borrowed; valid during the callback.
///
/// Status: none: the id, or NULL for a NULL call.
/// Thread-safety: only on the thread running the callback, while it runs.
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

/// Copies constructor value `key` into `buf`: strings raw, anything else as JSON text; `*len`
/// (nullable) receives the length. MAPI_ERR_UNKNOWN_FIELD when there is no such key,
/// MAPI_ERR_BUFFER_TOO_SMALL as mapi_record_copy_string.
///
/// Ownership: `call` belongs to the library; everything returned is borrowed until the callback returns; inputs are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT; see above for others.
/// Thread-safety: only on the thread running the callback, while it runs.
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

/// Every record routed to the connection, once each.
///
/// Ownership: borrowed; valid during the callback.
///
/// Status: none: the list, or NULL for a NULL call.
/// Thread-safety: only on the thread running the callback, while it runs.
#[no_mangle]
pub unsafe extern "C" fn mapi_call_records(
    call: *const mapi_endpoint_call,
) -> *const mapi_record_list {
    guard_value(std::ptr::null(), || {
        let c = ecall(call)?;
        Ok(c.keep_list(mapi_record_list::slice(c.inner().records())))
    })
}

/// The routed records of collection `collection_id`. MAPI_ERR_INVALID_ARGUMENT for a
/// collection the container does not have. Ownership: borrowed; valid during the callback.
///
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT; see above for others.
/// Thread-safety: only on the thread running the callback, while it runs.
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

/// The routed records of every collection labelled `key` = `value` (`value` NULL or "*": any).
/// Ownership: borrowed; valid during the callback.
///
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT; see above for others.
/// Thread-safety: only on the thread running the callback, while it runs.
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

/// The output of transformation `transformation_id`, evaluated now if the connection has not
/// asked yet (at most once per connection per submit). A failure also fails the connection.
/// Status: MAPI_OK, MAPI_ERR_INVALID_ARGUMENT (unknown id), MAPI_ERR_ENDPOINT (it failed).
///
/// Ownership: `call` belongs to the library; everything returned is borrowed until the callback returns; inputs are copied.
/// Thread-safety: only on the thread running the callback, while it runs.
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

/// The state record: persists while the same request is resubmitted; fields from the
/// connection's `state-container` (open when absent). Ownership: owned by the request.
///
/// Status: none: the record, or NULL for a NULL call.
/// Thread-safety: only on the thread running the callback, while it runs.
#[no_mangle]
pub unsafe extern "C" fn mapi_call_state(call: *mut mapi_endpoint_call) -> *mut mapi_record {
    guard_value(std::ptr::null_mut(), || {
        let c = handle_mut(call, "call")?;
        Ok(mapi_record::from_mut(c.inner_mut().state()))
    })
}

/// Adds an output record: the connection's `default-fields` if given (narrowed by its
/// `fields`), else open (setting any field adds it). Ownership: owned by the call; it joins the
/// response when the callback returns MAPI_OK.
///
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT; see above for others.
/// Thread-safety: only on the thread running the callback, while it runs.
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

/// Rejects (a copy of) `record` with `reason` (copied).
///
/// Ownership: `record` and `reason` are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT; see above for others.
/// Thread-safety: only on the thread running the callback, while it runs.
#[no_mangle]
pub unsafe extern "C" fn mapi_call_reject(
    call: *mut mapi_endpoint_call,
    record: *const mapi_record,
    reason: *const c_char,
) -> mapi_status {
    guard(|| {
        let c = handle_mut(call, "call")?;
        let record = record_arg(record, "record")?.clone();
        let reason = str_arg(reason, "reason")?;
        c.inner_mut().reject(record, reason);
        Ok(())
    })
}

/// Sets the message a failing callback reports (used when it returns an error status).
///
/// Ownership: `call` belongs to the library; everything returned is borrowed until the callback returns; inputs are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT.
/// Thread-safety: only on the thread running the callback, while it runs.
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

/// Copies transformation constructor value `key` into `buf`. As mapi_call_parameter.
///
/// Ownership: `call` belongs to the library; everything returned is borrowed until the callback returns; inputs are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT; see above for others.
/// Thread-safety: only on the thread running the callback, while it runs.
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

/// The records bound to parameter `param` (this call's own copies).
/// MAPI_ERR_UNKNOWN_FIELD for a parameter the transformation does not have.
/// Ownership: borrowed; valid during the callback.
///
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT; see above for others.
/// Thread-safety: only on the thread running the callback, while it runs.
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

/// Adds an output record: open, or a copy of `copy_from` (nullable). Ownership: owned by the
/// call; it becomes output when the callback returns MAPI_OK.
///
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT; see above for others.
/// Thread-safety: only on the thread running the callback, while it runs.
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

/// Sets the message a failing transformation callback reports.
///
/// Ownership: `call` belongs to the library; everything returned is borrowed until the callback returns; inputs are copied.
/// Status: MAPI_OK, MAPI_ERR_NULL_ARGUMENT, MAPI_ERR_INVALID_ARGUMENT.
/// Thread-safety: only on the thread running the callback, while it runs.
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
