//! Library logging: a process-wide callback, by default stderr filtered by `MAPI_LOG`
//! (`off|error|warn|info|debug`, default `warn`).

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

/// Log levels (the `level` argument of the C log callback).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(i32)]
pub enum Level {
    /// A failure the library could not hide (a connection failed).
    Error = 1,
    /// Something the program should know about (an ignored setting, a broker down).
    Warn = 2,
    /// What the library is doing (a connection made).
    Info = 3,
    /// Detail for diagnosing a problem (librdkafka's own debug lines among them).
    Debug = 4,
}

impl Level {
    /// The level's name: "error", "warn", "info" or "debug".
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

/// Logs a message at `level` (secret values replaced: [`redact`]).
pub fn log(level: Level, message: &str) {
    let message = &*redact(message);
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

/// Logs `message` at [`Level::Warn`].
pub fn warn(message: &str) {
    log(Level::Warn, message)
}

/// Logs `message` at [`Level::Error`].
pub fn error(message: &str) {
    log(Level::Error, message)
}

/// Logs `message` at [`Level::Info`].
pub fn info(message: &str) {
    log(Level::Info, message)
}

/// Logs `message` at [`Level::Debug`].
pub fn debug(message: &str) {
    log(Level::Debug, message)
}

// ---- secrets ---------------------------------------------------------------------------------

/// What a secret value becomes in anything the library says.
pub const REDACTED: &str = "[redacted]";

fn secrets() -> &'static RwLock<Vec<String>> {
    static SECRETS: OnceLock<RwLock<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(|| RwLock::new(Vec::new()))
}

static ANY_SECRET: AtomicBool = AtomicBool::new(false);

/// Whether a constructor key names secret material: its value never appears in a log line, an
/// error message, a rejection reason or the command line's output.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "key.pem",
        "private.key",
        "jaas",
        "credential",
    ]
    .iter()
    .any(|w| k.contains(w))
}

/// Remembers a secret value (for the life of the process): [`redact`] replaces it from now on.
/// Values shorter than 3 bytes are not remembered (they would garble every message).
pub fn add_secret(value: &str) {
    if value.len() < 3 {
        return;
    }
    let mut s = secrets().write().unwrap_or_else(|p| p.into_inner());
    if !s.iter().any(|v| v == value) {
        s.push(value.to_string());
        // Longest first: a secret that contains another is replaced whole.
        s.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }
    ANY_SECRET.store(true, Ordering::Release);
}

/// The URL as messages show it: the password replaced (and remembered as a secret, as written
/// and percent-decoded, so that a message of the client quoting it is redacted too). The
/// user-info ends at the *last* `@` (a password may hold `/`, `@`, `:`, `?` or `%`-escapes, and
/// a parser may fail on exactly such a URL): a vhost holding a raw `@` is masked too, which
/// only hides more.
pub fn masked_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let Some(at) = rest.rfind('@') else {
        return url.to_string();
    };
    let userinfo = &rest[..at];
    let Some(colon) = userinfo.find(':') else {
        return url.to_string();
    };
    let password = &userinfo[colon + 1..];
    // (RabbitMQ's well-known default account is no secret worth hiding words for.)
    if !password.is_empty() && password != "guest" {
        add_secret(password);
        let decoded = percent_decoded(password);
        if decoded != password {
            add_secret(&decoded);
        }
    }
    format!(
        "{}{}:***{}",
        &url[..scheme_end + 3],
        &userinfo[..colon],
        &rest[at..]
    )
}

/// `%XX` escapes decoded (invalid ones kept as written; invalid UTF-8 replaced).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` with every remembered secret value replaced by [`REDACTED`].
pub fn redact(text: &str) -> Cow<'_, str> {
    if !ANY_SECRET.load(Ordering::Acquire) {
        return Cow::Borrowed(text);
    }
    let s = secrets().read().unwrap_or_else(|p| p.into_inner());
    if !s.iter().any(|v| text.contains(v.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for v in s.iter() {
        if out.contains(v.as_str()) {
            out = out.replace(v.as_str(), REDACTED);
        }
    }
    Cow::Owned(out)
}

/// Every text value in `value` with remembered secrets replaced, as [`redact`] does for one
/// text; object keys and numbers are left as they are (a document's shape never changes).
pub(crate) fn redact_json(value: &mut serde_json::Value) {
    use serde_json::Value as Json;
    if !ANY_SECRET.load(Ordering::Acquire) {
        return;
    }
    match value {
        Json::String(s) => {
            if let Cow::Owned(clean) = redact(s) {
                *s = clean;
            }
        }
        Json::Array(items) => items.iter_mut().for_each(redact_json),
        Json::Object(m) => m.values_mut().for_each(redact_json),
        _ => {}
    }
}
