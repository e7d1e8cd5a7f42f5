//! Plug-ins written in C (registered by a host, or `native` symbols loaded with dlopen): the
//! callback types, what a callback is handed (`mapi_endpoint_call`, `mapi_transform_call`),
//! and the adapters that make a callback an endpoint, transformation or condition. The adapters
//! only translate; the engine does the work. The functions a callback calls on its handles
//! are exports of `ffi/`.

#![allow(non_camel_case_types)]
// Boxes inside vectors give C stable addresses while the vector grows.
#![allow(clippy::vec_box)]

use std::cell::RefCell;
use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use super::handles::{mapi_record, mapi_record_list};
use crate::container::{TransformCall, Transformation, TransformationFactory};
use crate::error::status_name;
use crate::error::Error;
use crate::plugins::function::prepare_callback;
use crate::protocol::{EndpointCall, EndpointFactory, PreparedEndpoint};
use crate::schema::{ConditionFactory, ConditionPlugin, PluginContext};
use crate::status::{last_error, mapi_status, MAPI_OK};
use crate::value::Value;

/// What an endpoint callback is given (opaque): its connection, constructor, routed records and
/// state record, and where its output records and rejections go. Valid only during the
/// callback, on the thread running it.
/// Functions: mapi_call_connection_id, mapi_call_parameter, mapi_call_records,
/// mapi_call_records_by_collection, mapi_call_records_by_classifier,
/// mapi_call_records_by_transformation, mapi_call_state, mapi_call_add_record, mapi_call_reject,
/// mapi_call_set_error.
pub struct mapi_endpoint_call {
    pub(crate) call: *mut EndpointCall<'static>,
    pub(crate) connection_id: CString,
    pub(crate) lists: RefCell<Vec<Box<mapi_record_list>>>,
    pub(crate) kept: RefCell<Vec<Arc<Vec<crate::record::Record>>>>,
    pub(crate) produced: Produced,
}

/// What a transformation callback is given (opaque): its constructor and inputs (its own
/// copies, by parameter), and where its output records go. Valid only during the callback, on
/// the thread running it.
/// Functions: mapi_transform_parameter, mapi_transform_input, mapi_transform_add_record,
/// mapi_transform_set_error.
pub struct mapi_transform_call {
    pub(crate) call: *mut TransformCall<'static>,
    pub(crate) lists: RefCell<Vec<Box<mapi_record_list>>>,
    pub(crate) produced: Produced,
}

/// What a callback leaves behind: the records it added and the message it set.
#[derive(Default)]
pub(crate) struct Produced {
    pub(crate) added: Vec<Box<crate::record::Record>>,
    pub(crate) error: Option<String>,
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
/// reason names the connection and the message given to mapi_call_set_error; with no record
/// routed, one rejection of an empty record carries it).
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

/// A host's `user_data` pointer, handed back to its callbacks (plug-ins and the log callback).
#[derive(Clone, Copy)]
pub(crate) struct UserData(pub(crate) *mut c_void);
// The host promises that user_data may be used from library threads (documented where it
// registers a callback).
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
    let name = status_name(status).to_string_lossy();
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

pub(crate) struct CEndpoint(pub(crate) EndpointCallback, pub(crate) UserData);

impl EndpointFactory for CEndpoint {
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn PreparedEndpoint>, Error> {
        let (f, ud) = (self.0, self.1);
        prepare_callback(
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

impl mapi_endpoint_call {
    pub(crate) fn inner(&self) -> &EndpointCall<'static> {
        // SAFETY: valid for the duration of the callback, which is the wrapper's whole life.
        unsafe { &*self.call }
    }

    #[allow(clippy::mut_from_ref)]
    pub(crate) fn inner_mut(&self) -> &mut EndpointCall<'static> {
        // SAFETY: as above; the callback runs on one thread and the wrapper hands out no
        // other reference to the call while this one is used.
        unsafe { &mut *self.call }
    }

    pub(crate) fn keep_list(&self, list: mapi_record_list) -> *const mapi_record_list {
        let boxed = Box::new(list);
        let p: *const mapi_record_list = &*boxed;
        self.lists.borrow_mut().push(boxed);
        p
    }
}

impl mapi_transform_call {
    pub(crate) fn inner(&self) -> &TransformCall<'static> {
        // SAFETY: valid for the duration of the callback, which is the wrapper's whole life.
        unsafe { &*self.call }
    }
}
