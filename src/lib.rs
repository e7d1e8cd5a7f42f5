//! # messageapi
//!
//! Typed records through a declarative pipeline, in the MessageAPI model (NOAA's original Java
//! design): a **session** opened from a manifest has a **schema** (typed fields and conditions),
//! a **container** (collections, classifiers, lazy transformations) and a **protocol**
//! (connections to endpoints). A **request** collects records; `submit` returns a **response**
//! at once, completed on worker threads with the records that came back and the rejections.
//!
//! ```no_run
//! use messageapi::{Session, Value};
//! let session = Session::open("manifest.json", None)?;
//! let mut request = session.request();
//! request.add_record().set("file-path", Value::String("data.txt".into()))?;
//! let response = request.submit();
//! let outcome = response.wait(None)?;
//! println!("{} records, {} rejections", outcome.records.len(), outcome.rejections.len());
//! # Ok::<(), messageapi::Error>(())
//! ```

#![warn(missing_docs, unnameable_types)]

/// The library's own allocator: records are many small allocations, often freed on another
/// thread than the one that made them, which glibc's malloc handles poorly (BENCHMARKS.md).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: Mimalloc = Mimalloc;

/// mimalloc, called directly: its plain `mi_malloc` for what it aligns anyway (a machine word),
/// the aligned entry points only beyond that (they cost a few dozen instructions more per call).
#[cfg(feature = "mimalloc")]
struct Mimalloc;

#[cfg(feature = "mimalloc")]
const WORD: usize = std::mem::size_of::<usize>();

#[cfg(feature = "mimalloc")]
// SAFETY: mimalloc's functions meet GlobalAlloc's contract; every block is at least aligned to a
// machine word, so the plain functions serve alignments up to that.
unsafe impl std::alloc::GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys as mi;
        if layout.align() <= WORD {
            mi::mi_malloc(layout.size()).cast()
        } else {
            mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys as mi;
        if layout.align() <= WORD {
            mi::mi_zalloc(layout.size()).cast()
        } else {
            mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        libmimalloc_sys::mi_free(ptr.cast());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        use libmimalloc_sys as mi;
        if layout.align() <= WORD {
            mi::mi_realloc(ptr.cast(), new_size).cast()
        } else {
            mi::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
        }
    }
}

/// Tunes the library's allocator once: freed pages are kept for a second before they go back
/// to the OS (mimalloc's default is 10 ms), so that batch after batch does not fault in fresh,
/// zeroed pages (BENCHMARKS.md). `MIMALLOC_PURGE_DELAY` in the environment still decides.
pub(crate) fn tune_allocator() {
    #[cfg(feature = "mimalloc")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
                const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
                // SAFETY: sets a documented option of the allocator this library links.
                unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1000) };
            }
        });
    }
}

// The layers, each importing only those above it in this list (docs/architecture.md;
// tests/layering.rs checks every `crate::` path):
// base: values, errors, status codes, logging, paths, the library's threads
pub(crate) mod error;
pub mod log;
pub(crate) mod paths;
pub(crate) mod runtime;
pub(crate) mod status;
pub(crate) mod value;
// records and JSON
pub(crate) mod json;
pub(crate) mod record;
// schema (with what plug-ins see at open, and the condition plug-in traits)
pub(crate) mod schema;
// container (with the transformation call type and traits)
pub(crate) mod container;
// protocol (with the endpoint call type and traits)
pub(crate) mod protocol;
// registry: name -> factory, nothing else
pub mod registry;
// built-in plug-ins: file, evaluation, join/reduce, Kafka, AMQP, native (C callbacks, dlopen)
pub(crate) mod plugins;
// what a session is made of (built by the loader, shared by requests and the pipeline)
pub(crate) mod session_core;
// the manifest loader: manifest JSON -> the session's core
pub(crate) mod manifest;
// sessions, requests, the pipeline that runs a submit, responses
pub(crate) mod dead_letter;
mod describe;
pub(crate) mod pipeline;
pub(crate) mod request;
pub(crate) mod response;
pub(crate) mod session;
pub(crate) mod stats;
// the C ABI
pub mod ffi;

pub use container::{TransformCall, Transformation, TransformationFactory};
pub use error::{Error, Result};
pub use json::{read_object, write_record};
pub use manifest::OpenOptions;
pub use plugins::builtin_endpoints;
pub use plugins::function::{FnCondition, FnEndpoint, FnTransformation};
pub use protocol::{Endpoint, EndpointCall, EndpointFactory, Finished, PreparedEndpoint, Taken};
pub use record::{FieldDef, Layout, Record, Rejection, Stage};
pub use request::Request;
pub use response::{Outcome, Response};
pub use runtime::config::{
    configuration, configuration_json, configure, configure_json, policy, Configuration, Effective,
    Policy,
};
pub use schema::plugin::FieldListReader;
pub use schema::{ConditionFactory, ConditionPlugin, PluginContext};
pub use session::{Connection, Session};
pub use value::{FieldType, Text, Timestamp, Value};
