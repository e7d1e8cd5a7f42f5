//! The library's threads, and what the host decides about them: the process configuration
//! (`config`), the worker pool and the per-request task groups (`pool`), how library threads
//! are started (`threads`: configured stack, asynchronous signals blocked) and what `fork()`
//! leaves behind (`fork`).

pub mod config;
pub mod fork;
pub mod pool;
pub mod threads;

pub use config::{configuration_json, configure_json, policy};
