//! The one error type of the core, made from one table of error kinds and their status codes
//! ([`Error::status`] is the only mapping to the C ABI's codes); everything else just carries
//! the message.

use std::ffi::CStr;

use crate::status::{self, mapi_status};

/// The error kinds, each with its status code: the one table. It makes the [`Error`] enum,
/// [`Error::message`], [`Error::context`], [`Error::status`] and the status names
/// ([`status_name`]); the codes themselves are the `MAPI_ERR_*` constants of `status.rs`
/// (the header's). Adding an error kind is a line here and its constant there; the header,
/// the Fortran constants and the Python exceptions are checked against the header by tests.
macro_rules! error_kinds {
    ($( $(#[doc = $doc:literal])* $kind:ident => $status:ident, )*) => {
        /// An error from the engine. Every variant carries a complete, user-facing message.
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        pub enum Error {
            $( $(#[doc = $doc])* #[error("{0}")] $kind(String), )*
        }

        impl Error {
            /// The message without the variant.
            pub fn message(&self) -> &str {
                match self { $( Error::$kind(m) => m, )* }
            }

            /// The same kind of error with `prefix: ` put before its message.
            pub fn context(self, prefix: impl std::fmt::Display) -> Error {
                match self { $( Error::$kind(m) => Error::$kind(format!("{prefix}: {m}")), )* }
            }

            /// The C ABI's status for this kind of error: the only mapping from errors to
            /// codes.
            pub fn status(&self) -> mapi_status {
                match self { $( Error::$kind(_) => status::$status, )* }
            }
        }

        /// Every status and its name, MAPI_OK first.
        const STATUS_NAMES: &[(mapi_status, &CStr)] = &[
            (status::MAPI_OK, c"MAPI_OK"),
            $( (status::$status, cstr(concat!(stringify!($status), "\0"))), )*
        ];
    };
}

const fn cstr(text: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(text.as_bytes()) {
        Ok(c) => c,
        Err(_) => panic!("a status name holds a NUL"),
    }
}

error_kinds! {
    /// A required pointer or handle was missing.
    NullArgument => MAPI_ERR_NULL_ARGUMENT,
    /// Bad UTF-8, bad value text, an argument outside what the call accepts.
    InvalidArgument => MAPI_ERR_INVALID_ARGUMENT,
    /// A field id that the record's layout does not have.
    UnknownField => MAPI_ERR_UNKNOWN_FIELD,
    /// A condition id that the schema does not have.
    UnknownCondition => MAPI_ERR_UNKNOWN_CONDITION,
    /// A value of the wrong type for a field or condition.
    TypeMismatch => MAPI_ERR_TYPE_MISMATCH,
    /// The value asked for is null.
    NullValue => MAPI_ERR_NULL_VALUE,
    /// An index or number outside its range.
    OutOfRange => MAPI_ERR_OUT_OF_RANGE,
    /// A caller's buffer was too small.
    BufferTooSmall => MAPI_ERR_BUFFER_TOO_SMALL,
    /// A manifest or parameter map is invalid; the message names the file and JSON location.
    Manifest => MAPI_ERR_MANIFEST,
    /// A file could not be read or written; the message names the path and the OS error.
    Io => MAPI_ERR_IO,
    /// A plugin name that is neither built in nor registered.
    UnknownPlugin => MAPI_ERR_UNKNOWN_PLUGIN,
    /// Text that is not valid JSON (or not the JSON shape expected).
    Json => MAPI_ERR_JSON,
    /// A wait ran out of time.
    TimedOut => MAPI_ERR_TIMED_OUT,
    /// An endpoint, transformation or condition plugin failed.
    Endpoint => MAPI_ERR_ENDPOINT,
    /// A Kafka client error.
    Kafka => MAPI_ERR_KAFKA,
    /// A panic was caught at a boundary.
    Panic => MAPI_ERR_PANIC,
    /// The call came too late: the process configuration is fixed once the first session
    /// has opened.
    TooLate => MAPI_ERR_TOO_LATE,
    /// The host has not allowed it: a native library outside `native-plugin-dirs`, a setting
    /// that loads code, a path outside `confine-paths`. The message names what and how to
    /// allow it.
    NotAllowed => MAPI_ERR_NOT_ALLOWED,
}

/// The name of a status as a static C string ("MAPI_ERR_UNKNOWN" for a code no error kind
/// has).
pub fn status_name(code: mapi_status) -> &'static CStr {
    STATUS_NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(c"MAPI_ERR_UNKNOWN", |(_, name)| name)
}

impl Error {
    /// An I/O error naming the path.
    pub fn io(path: &std::path::Path, err: &std::io::Error) -> Error {
        Error::Io(format!("cannot read {}: {}", path.display(), err))
    }
}

/// Result with the core error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The text of a caught panic.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}
