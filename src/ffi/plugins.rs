//! Plugins from C: registration, and what a callback sees (`mapi_endpoint_call`,
//! `mapi_transform_call`). The adapters only translate; the engine does the work.

use std::cell::RefCell;
use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use super::*;
use crate::container::call::TransformCall;
use crate::protocol::call::EndpointCall;
use crate::registry::{
    self, ConditionFactory, ConditionPlugin, EndpointFactory, PluginContext, PreparedEndpoint,
    Transformation, TransformationFactory,
};
use crate::value::Value;

/// What an endpoint callback sees (opaque): its connection, routed records, state record;
/// where it adds output records and rejections. Valid only during the callback.
/// Functions: mapi_call_connection_id, mapi_call_parameter, mapi_call_records,
/// mapi_call_records_by_collection, mapi_call_records_by_classifier,
/// mapi_call_records_by_transformation, mapi_call_state, mapi_call_add_record, mapi_call_reject,
/// mapi_call_set_error.
pub struct mapi_endpoint_call {
    call: *mut EndpointCall<'static>,
    connection_id: CString,
    lists: RefCell<Vec<Box<mapi_record_list>>>,
    kept: RefCell<Vec<Arc<Vec<crate::record::Record>>>>,
    produced: Produced,
}

/// What a transformation callback sees (opaque): its constructor and inputs (copies, by
/// parameter); where it adds output records. Valid only during the callback.
/// Functions: mapi_transform_parameter, mapi_transform_input, mapi_transform_add_record,
/// mapi_transform_set_error.
pub struct mapi_transform_call {
    call: *mut TransformCall<'static>,
    lists: RefCell<Vec<Box<mapi_record_list>>>,
    produced: Produced,
}

/// What a callback leaves behind: the records it added and the message it set.
#[derive(Default)]
struct Produced {
    added: Vec<Box<crate::record::Record>>,
    error: Option<String>,
}

impl Produced {
    /// The added records when the callback succeeded, else the failure with its message.
    fn finish(
        self,
        status: mapi_status,
        before: &str,
    ) -> Result<Vec<crate::record::Record>, Error> {
        if status == MAPI_OK {
            Ok(self.added.into_iter().map(|b| *b).collect())
        } else {
            Err(Error::Endpoint(failure_message(status, self.error, before)))
        }
    }
}

/// An endpoint callback: read routed records from `call`, add output records and rejections.
/// Return MAPI_OK, or an error status to reject every record routed to the connection (the
/// reason names the connection and the message given to mapi_call_set_error).
pub type mapi_endpoint_fn = Option<
    unsafe extern "C" fn(call: *mut mapi_endpoint_call, user_data: *mut c_void) -> mapi_status,
>;

/// A transformation callback: read inputs from `call`, add output records.
pub type mapi_transformation_fn = Option<
    unsafe extern "C" fn(call: *mut mapi_transform_call, user_data: *mut c_void) -> mapi_status,
>;

/// A condition operator: 1 pass, 0 fail, negative an error (counts as fail, logged).
/// `condition_value_json` is the condition's value as JSON text.
pub type mapi_condition_fn = Option<
    unsafe extern "C" fn(
        record: *const mapi_record,
        field: *const c_char,
        condition_value_json: *const c_char,
        user_data: *mut c_void,
    ) -> i32,
>;

#[derive(Clone, Copy)]
pub(crate) struct UserData(pub(crate) *mut c_void);
// The host promises that user_data may be used from library threads (documented on register).
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

type EndpointCallback = unsafe extern "C" fn(*mut mapi_endpoint_call, *mut c_void) -> mapi_status;
type TransformationCallback =
    unsafe extern "C" fn(*mut mapi_transform_call, *mut c_void) -> mapi_status;
type ConditionCallback =
    unsafe extern "C" fn(*const mapi_record, *const c_char, *const c_char, *mut c_void) -> i32;

/// The message for a failed callback: what it set, else the thread's last error if the
/// callback changed it, else the status name.
fn failure_message(status: mapi_status, set: Option<String>, before: &str) -> String {
    if let Some(m) = set {
        return m;
    }
    let now = last_error();
    let name = unsafe { std::ffi::CStr::from_ptr(mapi_status_name(status)) }
        .to_string_lossy()
        .into_owned();
    if now != before && !now.is_empty() {
        format!("callback returned {name}: {now}")
    } else {
        format!("callback returned {name}")
    }
}

/// Runs an endpoint callback on `call`.
pub(crate) fn run_endpoint(
    f: EndpointCallback,
    user_data: UserData,
    call: &mut EndpointCall<'_>,
) -> Result<(), Error> {
    let id = CString::new(call.connection_id().replace('\0', " ")).unwrap_or_default();
    // The wrapper lives only during the callback, so the erased lifetime never escapes.
    let erased: *mut EndpointCall<'static> = (call as *mut EndpointCall<'_>).cast();
    let mut wrapper = mapi_endpoint_call {
        call: erased,
        connection_id: id,
        lists: RefCell::new(Vec::new()),
        kept: RefCell::new(Vec::new()),
        produced: Produced::default(),
    };
    let before = last_error();
    // SAFETY: the host registered `f` with this signature.
    let status = unsafe { f(&mut wrapper, user_data.0) };
    let produced = std::mem::take(&mut wrapper.produced);
    drop(wrapper);
    call.extend(produced.finish(status, &before)?);
    Ok(())
}

/// Runs a transformation callback on `call`.
pub(crate) fn run_transformation(
    f: TransformationCallback,
    user_data: UserData,
    call: &mut TransformCall<'_>,
) -> Result<(), Error> {
    let erased: *mut TransformCall<'static> = (call as *mut TransformCall<'_>).cast();
    let mut wrapper = mapi_transform_call {
        call: erased,
        lists: RefCell::new(Vec::new()),
        produced: Produced::default(),
    };
    let before = last_error();
    // SAFETY: the host registered `f` with this signature.
    let status = unsafe { f(&mut wrapper, user_data.0) };
    let produced = std::mem::take(&mut wrapper.produced);
    drop(wrapper);
    call.extend(produced.finish(status, &before)?);
    Ok(())
}

/// Runs a condition callback.
pub(crate) fn run_condition(
    f: ConditionCallback,
    user_data: UserData,
    record: &crate::record::Record,
    field: &str,
    value: &Value,
) -> Result<bool, String> {
    let field = CString::new(field).map_err(|e| e.to_string())?;
    let json = CString::new(value.to_json().to_string()).map_err(|e| e.to_string())?;
    // SAFETY: the host registered `f` with this signature.
    let r = unsafe {
        f(
            mapi_record::from_ref(record),
            field.as_ptr(),
            json.as_ptr(),
            user_data.0,
        )
    };
    match r {
        1 => Ok(true),
        0 => Ok(false),
        n => Err(format!("condition callback returned {n}")),
    }
}

struct CEndpoint(EndpointCallback, UserData);

impl EndpointFactory for CEndpoint {
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn PreparedEndpoint>, Error> {
        let (f, ud) = (self.0, self.1);
        registry::prepare_callback(
            Arc::new(move |call: &mut EndpointCall<'_>| run_endpoint(f, ud, call)),
            ctx,
        )
    }
}

pub(crate) struct CTransformation(pub(crate) TransformationCallback, pub(crate) UserData);

impl TransformationFactory for CTransformation {
    fn prepare(&self, _ctx: &PluginContext<'_>) -> Result<Arc<dyn Transformation>, Error> {
        Ok(Arc::new(CTransformation(self.0, self.1)))
    }
}

impl Transformation for CTransformation {
    fn run(&self, call: &mut TransformCall<'_>) -> Result<(), Error> {
        run_transformation(self.0, self.1, call)
    }
}

pub(crate) struct CCondition(pub(crate) ConditionCallback, pub(crate) UserData);

impl ConditionFactory for CCondition {
    fn prepare(&self, _ctx: &PluginContext<'_>) -> Result<Arc<dyn ConditionPlugin>, Error> {
        Ok(Arc::new(CCondition(self.0, self.1)))
    }
}

impl ConditionPlugin for CCondition {
    fn check(
        &self,
        record: &crate::record::Record,
        field: &str,
        value: &Value,
    ) -> Result<bool, String> {
        run_condition(self.0, self.1, record, field, value)
    }
}

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

impl mapi_endpoint_call {
    fn inner(&self) -> &EndpointCall<'static> {
        // SAFETY: valid for the duration of the callback, which is the wrapper's whole life.
        unsafe { &*self.call }
    }

    #[allow(clippy::mut_from_ref)]
    fn inner_mut(&self) -> &mut EndpointCall<'static> {
        // SAFETY: as above; the callback runs on one thread and the wrapper hands out no
        // other reference to the call while this one is used.
        unsafe { &mut *self.call }
    }

    fn keep_list(&self, list: mapi_record_list) -> *const mapi_record_list {
        let boxed = Box::new(list);
        let p: *const mapi_record_list = &*boxed;
        self.lists.borrow_mut().push(boxed);
        p
    }
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

impl mapi_transform_call {
    fn inner(&self) -> &TransformCall<'static> {
        // SAFETY: valid for the duration of the callback, which is the wrapper's whole life.
        unsafe { &*self.call }
    }
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
