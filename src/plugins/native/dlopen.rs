//! `native` plugins: a shared library loaded with dlopen (`native-library`) and a function in it
//! (`symbol`) with the endpoint, transformation or condition callback signature (user_data NULL).

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value as Json;

use super::callback::{
    mapi_condition_fn, mapi_endpoint_fn, mapi_transformation_fn, run_endpoint, CCondition,
    CTransformation, UserData,
};
use crate::container::{TransformCall, Transformation, TransformationFactory};
use crate::error::Error;
use crate::plugins::function::prepare_callback;
use crate::protocol::{EndpointCall, EndpointFactory, PreparedEndpoint};
use crate::schema::{ConditionFactory, ConditionPlugin, PluginContext};

/// The loaded library and the address of the symbol; the library stays loaded while any
/// session uses it. `None` when the session is only being checked (nothing loaded).
struct Loaded<T> {
    library: Arc<libloading::Library>,
    f: T,
}

/// The library a `native` plug-in names, resolved and allowed by the host: an absolute path
/// (relative ones against the manifest's directory, never a search of the library path), every
/// symbolic link followed, inside one of the host's `native-plugin-dirs`.
fn allowed_library(ctx: &PluginContext<'_>) -> Result<(PathBuf, String), Error> {
    let path = match ctx.constructor.get("native-library") {
        Some(Json::String(p)) if !p.is_empty() => ctx.resolve_path(p),
        _ => {
            return Err(Error::Manifest(
                "constructor.native-library: required (the path of a shared library)".into(),
            ))
        }
    };
    let what = format!("{} {}: native-library", ctx.kind, ctx.id);
    let path = crate::paths::native_code(&path, &what)?;
    let symbol = match ctx.constructor.get("symbol") {
        Some(Json::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            return Err(Error::Manifest(format!(
                "constructor.symbol: required (the function to call in {})",
                path.display()
            )))
        }
    };
    Ok((path, symbol))
}

/// The library and symbol, loaded; `None` when only checking (nothing is loaded then).
fn load<T: Copy>(ctx: &PluginContext<'_>) -> Result<Option<Loaded<T>>, Error> {
    let (path, symbol) = allowed_library(ctx)?;
    if ctx.checking {
        return Ok(None);
    }
    let library = open(&path)?;
    // SAFETY: the manifest names a function with the documented callback signature; the
    // library is kept loaded as long as the pointer is used.
    let f: T = unsafe {
        *library.get::<T>(symbol.as_bytes()).map_err(|e| {
            Error::UnknownPlugin(format!(
                "native library {} has no symbol \"{symbol}\": {e}",
                path.display()
            ))
        })?
    };
    Ok(Some(Loaded { library, f }))
}

fn open(path: &PathBuf) -> Result<Arc<libloading::Library>, Error> {
    // SAFETY: loading a library runs its initialisers; the host allowed its directory.
    unsafe { libloading::Library::new(path) }
        .map(Arc::new)
        .map_err(|e| {
            Error::Io(format!(
                "cannot load native library {}: {e}",
                path.display()
            ))
        })
}

fn null_symbol() -> Error {
    Error::UnknownPlugin("the native symbol is NULL".into())
}

pub(crate) struct NativeEndpoint;

impl EndpointFactory for NativeEndpoint {
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn PreparedEndpoint>, Error> {
        let Some(loaded) = load::<mapi_endpoint_fn>(ctx)? else {
            return prepare_callback(
                Arc::new(|_: &mut EndpointCall<'_>| Err(crate::plugins::unchecked())),
                ctx,
            );
        };
        let f = loaded.f.ok_or_else(null_symbol)?;
        let library = loaded.library;
        prepare_callback(
            Arc::new(move |call: &mut EndpointCall<'_>| {
                let _keep = &library;
                run_endpoint(f, UserData(std::ptr::null_mut()), call)
            }),
            ctx,
        )
    }
}

pub(crate) struct NativeTransformation;

/// The callback and the library that holds it (kept loaded while the session lives).
struct LoadedTransformation(
    CTransformation,
    #[allow(dead_code)] Arc<libloading::Library>,
);

impl TransformationFactory for NativeTransformation {
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn Transformation>, Error> {
        let Some(loaded) = load::<mapi_transformation_fn>(ctx)? else {
            return Ok(Arc::new(crate::plugins::Unchecked));
        };
        let f = loaded.f.ok_or_else(null_symbol)?;
        Ok(Arc::new(LoadedTransformation(
            CTransformation(f, UserData(std::ptr::null_mut())),
            loaded.library,
        )))
    }
}

impl Transformation for LoadedTransformation {
    fn run(&self, call: &mut TransformCall<'_>) -> Result<(), Error> {
        self.0.run(call)
    }
}

pub(crate) struct NativeCondition;

/// The callback and the library that holds it (kept loaded while the session lives).
struct LoadedCondition(CCondition, #[allow(dead_code)] Arc<libloading::Library>);

impl ConditionFactory for NativeCondition {
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn ConditionPlugin>, Error> {
        let Some(loaded) = load::<mapi_condition_fn>(ctx)? else {
            return Ok(Arc::new(crate::plugins::Unchecked));
        };
        let f = loaded.f.ok_or_else(null_symbol)?;
        Ok(Arc::new(LoadedCondition(
            CCondition(f, UserData(std::ptr::null_mut())),
            loaded.library,
        )))
    }
}

impl ConditionPlugin for LoadedCondition {
    fn check(
        &self,
        record: &crate::record::Record,
        field: &str,
        value: &crate::value::Value,
    ) -> Result<bool, String> {
        self.0.check(record, field, value)
    }
}
