//! Plug-ins made of Rust functions: [`FnEndpoint`], [`FnTransformation`], [`FnCondition`], and
//! the callback endpoint that C callbacks and `native` symbols share.

use std::sync::Arc;

use crate::container::{TransformCall, Transformation, TransformationFactory};
use crate::error::Result;
use crate::protocol::{Endpoint, EndpointCall, EndpointFactory, PreparedEndpoint};
use crate::record::{FieldDef, Record};
use crate::schema::{ConditionFactory, ConditionPlugin, PluginContext};
use crate::value::Value;

/// An endpoint made of one function: the simplest way to plug Rust code in. Output records use
/// the connection's `default-fields` (field maps, as in the schema) when given, else are open;
/// the state record uses `state-container` likewise.
///
/// ```
/// use std::sync::Arc;
/// use messageapi::{registry, EndpointCall, FnEndpoint, Value};
/// // Returns how many records were routed to it, once per submit.
/// registry::register_endpoint(
///     "counter",
///     Arc::new(FnEndpoint(|call: &mut EndpointCall<'_>| {
///         let n = call.records().len() as i64;
///         let mut out = call.new_record();
///         out.set("count", Value::Integer(n))?;
///         call.add_record(out);
///         Ok(())
///     })),
/// )?;
/// let session = messageapi::Session::from_json(
///     r#"{"fields": [{"id": "n", "type": "integer"}], "collections": [{"id": "c", "fields": ["n"]}],
///         "endpoints": [{"plugin": "counter", "connections": [{"id": "count", "collections": ["c"]}]}]}"#,
///     None,
/// )?;
/// let mut request = session.request();
/// request.add_record();
/// request.add_record();
/// let outcome = request.submit().wait(None)?.clone();
/// assert_eq!(outcome.records[0].get_int("count")?, 2);
/// # Ok::<(), messageapi::Error>(())
/// ```
pub struct FnEndpoint<F>(pub F);

type EndpointFn = dyn Fn(&mut EndpointCall<'_>) -> Result<()> + Send + Sync;

struct PreparedFn {
    f: Arc<EndpointFn>,
    default_fields: Option<Vec<FieldDef>>,
    state_fields: Option<Vec<FieldDef>>,
}

impl<F> EndpointFactory for FnEndpoint<F>
where
    F: Fn(&mut EndpointCall<'_>) -> Result<()> + Send + Sync + Clone + 'static,
{
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn PreparedEndpoint>> {
        prepare_callback(Arc::new(self.0.clone()), ctx)
    }
}

/// Prepares a callback endpoint (shared by Rust closures and C callbacks).
pub fn prepare_callback(
    f: Arc<EndpointFn>,
    ctx: &PluginContext<'_>,
) -> Result<Arc<dyn PreparedEndpoint>> {
    let default_fields = ctx.field_list("default-fields")?;
    let state_fields = ctx.field_list("state-container")?;
    Ok(Arc::new(PreparedFn {
        f,
        default_fields,
        state_fields,
    }))
}

impl PreparedEndpoint for PreparedFn {
    fn default_fields(&self) -> Option<Vec<FieldDef>> {
        self.default_fields.clone()
    }
    fn state_fields(&self) -> Option<Vec<FieldDef>> {
        self.state_fields.clone()
    }
    fn instantiate(&self) -> Result<Box<dyn Endpoint>> {
        Ok(Box::new(FnInstance(self.f.clone())))
    }
}

struct FnInstance(Arc<EndpointFn>);

impl Endpoint for FnInstance {
    fn process(&mut self, call: &mut EndpointCall<'_>) -> Result<()> {
        (self.0)(call)
    }
}

/// A transformation made of one function.
pub struct FnTransformation<F>(pub F);

impl<F> TransformationFactory for FnTransformation<F>
where
    F: Fn(&mut TransformCall<'_>) -> Result<()> + Send + Sync + Clone + 'static,
{
    fn prepare(&self, _ctx: &PluginContext<'_>) -> Result<Arc<dyn Transformation>> {
        Ok(Arc::new(FnTransformation(self.0.clone())))
    }
}

impl<F> Transformation for FnTransformation<F>
where
    F: Fn(&mut TransformCall<'_>) -> Result<()> + Send + Sync,
{
    fn run(&self, call: &mut TransformCall<'_>) -> Result<()> {
        (self.0)(call)
    }
}

/// A condition operator made of one function `(record, field, value) -> pass`.
pub struct FnCondition<F>(pub F);

impl<F> ConditionFactory for FnCondition<F>
where
    F: Fn(&Record, &str, &Value) -> std::result::Result<bool, String>
        + Send
        + Sync
        + Clone
        + 'static,
{
    fn prepare(&self, _ctx: &PluginContext<'_>) -> Result<Arc<dyn ConditionPlugin>> {
        Ok(Arc::new(FnCondition(self.0.clone())))
    }
}

impl<F> ConditionPlugin for FnCondition<F>
where
    F: Fn(&Record, &str, &Value) -> std::result::Result<bool, String> + Send + Sync,
{
    fn check(
        &self,
        record: &Record,
        field: &str,
        value: &Value,
    ) -> std::result::Result<bool, String> {
        (self.0)(record, field, value)
    }
}
