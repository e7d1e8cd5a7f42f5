//! The process-wide plugin registry: endpoints, transformations and conditions by name.
//! Built-ins register through the same mechanism as host plugins (C, Fortran, Python, Rust).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock, RwLock};

use serde_json::{Map, Value as Json};

use crate::container::call::TransformCall;
use crate::error::{Error, Result};
use crate::protocol::call::EndpointCall;
use crate::record::{FieldDef, Record};
use crate::value::Value;

/// What a plugin sees of its manifest entry when the session opens.
pub struct PluginContext<'a> {
    /// The connection, transformation or condition id.
    pub id: &'a str,
    /// The `constructor` object (empty when absent).
    pub constructor: &'a Map<String, Json>,
    /// The session root (`{}` expansion).
    pub root: &'a Path,
    /// The directory relative paths resolve against.
    pub base_dir: &'a Path,
    /// The session's schema (for connections: fields, conditions, metadata); `None` while the
    /// schema itself is being read (condition plugins).
    pub schema: Option<&'a crate::schema::Schema>,
}

impl PluginContext<'_> {
    /// Expands `{}` to the root and resolves a relative path against the base directory.
    pub fn resolve_path(&self, path: &str) -> std::path::PathBuf {
        crate::manifest::paths::resolve(path, self.root, self.base_dir)
    }
}

/// An endpoint kind: checks a connection at session open and prepares it.
pub trait EndpointFactory: Send + Sync {
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn PreparedEndpoint>>;
}

/// A connection's endpoint, checked and ready to make instances.
pub trait PreparedEndpoint: Send + Sync {
    /// The fields of the records the endpoint returns (`None`: records keep their own fields).
    fn default_fields(&self) -> Option<Vec<FieldDef>> {
        None
    }
    /// The fields of the state record (`None`: an open record).
    fn state_fields(&self) -> Option<Vec<FieldDef>> {
        None
    }
    /// Whether the endpoint applies the connection's `fields` itself (the engine then leaves its
    /// output records as they are).
    fn narrows_itself(&self) -> bool {
        false
    }
    /// How many fields the endpoint adds to the records it was given before returning them
    /// (request records keep room for them, so adding them does not move the values).
    fn added_fields(&self) -> usize {
        0
    }
    /// A fresh instance: one per request (batch mode), reused on resubmit (stream mode).
    fn instantiate(&self) -> Result<Box<dyn Endpoint>>;
}

/// A running endpoint.
pub trait Endpoint: Send {
    /// Processes one submit: read routed records from `call`, add output records and rejections.
    fn process(&mut self, call: &mut EndpointCall<'_>) -> Result<()>;
}

/// A transformation kind: checks its constructor at session open.
pub trait TransformationFactory: Send + Sync {
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn Transformation>>;
}

/// A prepared transformation.
pub trait Transformation: Send + Sync {
    /// Reads inputs (owned copies) from `call` and adds output records.
    fn run(&self, call: &mut TransformCall<'_>) -> Result<()>;
}

/// A condition kind: checks its constructor at session open.
pub trait ConditionFactory: Send + Sync {
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn ConditionPlugin>>;
}

/// A prepared condition operator.
pub trait ConditionPlugin: Send + Sync {
    /// Whether `record` passes with condition value `value` on `field`.
    fn check(
        &self,
        record: &Record,
        field: &str,
        value: &Value,
    ) -> std::result::Result<bool, String>;
}

#[derive(Default)]
struct Registry {
    endpoints: HashMap<String, Arc<dyn EndpointFactory>>,
    transformations: HashMap<String, Arc<dyn TransformationFactory>>,
    conditions: HashMap<String, Arc<dyn ConditionFactory>>,
}

fn registry() -> &'static RwLock<Registry> {
    static REG: OnceLock<RwLock<Registry>> = OnceLock::new();
    REG.get_or_init(|| {
        let mut r = Registry::default();
        crate::endpoints::register_builtins(&mut |n, f| {
            r.endpoints.insert(n.to_string(), f);
        });
        crate::container::builtin::register_builtins(&mut |n, f| {
            r.transformations.insert(n.to_string(), f);
        });
        let (mut e, mut t, mut c) = (Vec::new(), Vec::new(), Vec::new());
        crate::ffi::native::register_builtins(
            &mut |n, f| e.push((n.to_string(), f)),
            &mut |n, f| t.push((n.to_string(), f)),
            &mut |n, f| c.push((n.to_string(), f)),
        );
        r.endpoints.extend(e);
        r.transformations.extend(t);
        r.conditions.extend(c);
        RwLock::new(r)
    })
}

fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::InvalidArgument(
            "a plugin name must not be empty".into(),
        ));
    }
    Ok(())
}

/// Registers (or replaces) an endpoint kind.
pub fn register_endpoint(name: &str, factory: Arc<dyn EndpointFactory>) -> Result<()> {
    check_name(name)?;
    registry()
        .write()
        .map_err(poisoned)?
        .endpoints
        .insert(name.to_string(), factory);
    Ok(())
}

/// Registers (or replaces) a transformation kind.
pub fn register_transformation(name: &str, factory: Arc<dyn TransformationFactory>) -> Result<()> {
    check_name(name)?;
    registry()
        .write()
        .map_err(poisoned)?
        .transformations
        .insert(name.to_string(), factory);
    Ok(())
}

/// Registers (or replaces) a condition operator.
pub fn register_condition(name: &str, factory: Arc<dyn ConditionFactory>) -> Result<()> {
    check_name(name)?;
    registry()
        .write()
        .map_err(poisoned)?
        .conditions
        .insert(name.to_string(), factory);
    Ok(())
}

pub fn endpoint(name: &str) -> Option<Arc<dyn EndpointFactory>> {
    registry().read().ok()?.endpoints.get(name).cloned()
}

pub fn transformation(name: &str) -> Option<Arc<dyn TransformationFactory>> {
    registry().read().ok()?.transformations.get(name).cloned()
}

pub fn condition(name: &str) -> Option<Arc<dyn ConditionFactory>> {
    registry().read().ok()?.conditions.get(name).cloned()
}

fn poisoned<T>(_: T) -> Error {
    Error::Panic("the plugin registry lock was poisoned by a panic".into())
}

/// An endpoint made of one function: the simplest way to plug Rust code in. Output records use
/// the connection's `default-fields` (field maps, as in the schema) when given, else are open;
/// the state record uses `state-container` likewise.
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
    let default_fields = field_list(ctx, "default-fields")?;
    let state_fields = field_list(ctx, "state-container")?;
    Ok(Arc::new(PreparedFn {
        f,
        default_fields,
        state_fields,
    }))
}

fn field_list(ctx: &PluginContext<'_>, key: &str) -> Result<Option<Vec<FieldDef>>> {
    match ctx.constructor.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(v) => crate::schema::fields_from_json(v)
            .map(Some)
            .map_err(|e| e.context(format_args!("constructor.{key}"))),
    }
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
