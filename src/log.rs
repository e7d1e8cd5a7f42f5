//! Library logging: a process-wide callback, by default stderr filtered by `MAPI_LOG`
//! (`off|error|warn|info|debug`, default `warn`).

use std::sync::{Arc, OnceLock, RwLock};

/// Log levels (the `level` argument of the C log callback).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(i32)]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

/// A log sink.
pub type LogFn = Arc<dyn Fn(Level, &str) + Send + Sync>;

fn sink() -> &'static RwLock<Option<LogFn>> {
    static SINK: OnceLock<RwLock<Option<LogFn>>> = OnceLock::new();
    SINK.get_or_init(|| RwLock::new(None))
}

/// The most verbose level the default sink prints, from `MAPI_LOG`.
fn env_level() -> Option<Level> {
    static LEVEL: OnceLock<Option<Level>> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        match std::env::var("MAPI_LOG")
            .unwrap_or_default()
            .to_ascii_lowercase()
            .as_str()
        {
            "off" | "none" => None,
            "error" => Some(Level::Error),
            "info" => Some(Level::Info),
            "debug" => Some(Level::Debug),
            _ => Some(Level::Warn),
        }
    })
}

/// Replaces the sink; `None` restores the default (stderr, filtered by `MAPI_LOG`).
/// A custom sink receives every message and does its own filtering.
pub fn set_sink(f: Option<LogFn>) {
    if let Ok(mut s) = sink().write() {
        *s = f;
    }
}

/// Logs a message at `level`.
pub fn log(level: Level, message: &str) {
    let custom = sink().read().ok().and_then(|s| s.clone());
    match custom {
        Some(f) => f(level, message),
        None => {
            if env_level().is_some_and(|max| level <= max) {
                eprintln!("messageapi {}: {message}", level.name());
            }
        }
    }
}

pub fn warn(message: &str) {
    log(Level::Warn, message)
}

pub fn error(message: &str) {
    log(Level::Error, message)
}

pub fn debug(message: &str) {
    log(Level::Debug, message)
}
