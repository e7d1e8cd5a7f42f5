//! The process-wide plugin registry: endpoint, transformation and condition factories by name,
//! and nothing else. Built-ins (`plugins::register_builtins`) and host plugins (C, Fortran,
//! Python, Rust) register through the same calls; the manifest loader looks names up here.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use crate::container::TransformationFactory;
use crate::error::{Error, Result};
use crate::protocol::EndpointFactory;
use crate::schema::ConditionFactory;

#[derive(Default)]
struct Registry {
    endpoints: HashMap<String, Arc<dyn EndpointFactory>>,
    transformations: HashMap<String, Arc<dyn TransformationFactory>>,
    conditions: HashMap<String, Arc<dyn ConditionFactory>>,
}

fn registry() -> &'static RwLock<Registry> {
    static REG: OnceLock<RwLock<Registry>> = OnceLock::new();
    REG.get_or_init(Default::default)
}

fn poisoned<T>(_: T) -> Error {
    Error::Panic("the plugin registry lock was poisoned by a panic".into())
}

/// Inserts `factory` under `name` in the table `pick` chooses: replacing what is there, or
/// (`keep_existing`) only when the name is free.
fn insert<F: ?Sized>(
    name: &str,
    factory: Arc<F>,
    keep_existing: bool,
    pick: impl FnOnce(&mut Registry) -> &mut HashMap<String, Arc<F>>,
) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::InvalidArgument(
            "a plugin name must not be empty".into(),
        ));
    }
    let mut reg = registry().write().map_err(poisoned)?;
    let table = pick(&mut reg);
    if !(keep_existing && table.contains_key(name)) {
        table.insert(name.to_string(), factory);
    }
    Ok(())
}

/// How a registration treats a name that is already registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// The new factory replaces the old one (host plugins).
    Yes,
    /// The existing one stays (built-ins, registered when the first session opens: a host
    /// plugin registered earlier under a built-in's name keeps it).
    No,
}

/// Registers an endpoint kind.
pub fn register_endpoint_with(
    name: &str,
    factory: Arc<dyn EndpointFactory>,
    replace: Replace,
) -> Result<()> {
    insert(name, factory, replace == Replace::No, |r| &mut r.endpoints)
}

/// Registers a transformation kind.
pub fn register_transformation_with(
    name: &str,
    factory: Arc<dyn TransformationFactory>,
    replace: Replace,
) -> Result<()> {
    insert(name, factory, replace == Replace::No, |r| {
        &mut r.transformations
    })
}

/// Registers a condition operator.
pub fn register_condition_with(
    name: &str,
    factory: Arc<dyn ConditionFactory>,
    replace: Replace,
) -> Result<()> {
    insert(name, factory, replace == Replace::No, |r| &mut r.conditions)
}

/// Registers (or replaces) an endpoint kind.
pub fn register_endpoint(name: &str, factory: Arc<dyn EndpointFactory>) -> Result<()> {
    register_endpoint_with(name, factory, Replace::Yes)
}

/// Registers (or replaces) a transformation kind.
pub fn register_transformation(name: &str, factory: Arc<dyn TransformationFactory>) -> Result<()> {
    register_transformation_with(name, factory, Replace::Yes)
}

/// Registers (or replaces) a condition operator.
pub fn register_condition(name: &str, factory: Arc<dyn ConditionFactory>) -> Result<()> {
    register_condition_with(name, factory, Replace::Yes)
}

/// The endpoint kind registered under `name`.
pub fn endpoint(name: &str) -> Option<Arc<dyn EndpointFactory>> {
    registry().read().ok()?.endpoints.get(name).cloned()
}

/// The transformation kind registered under `name`.
pub fn transformation(name: &str) -> Option<Arc<dyn TransformationFactory>> {
    registry().read().ok()?.transformations.get(name).cloned()
}

/// The condition operator registered under `name`.
pub fn condition(name: &str) -> Option<Arc<dyn ConditionFactory>> {
    registry().read().ok()?.conditions.get(name).cloned()
}
