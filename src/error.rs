//! The one error type of the core. The C layer maps each variant to a `mapi_status` in one place
//! (`ffi::status`); everything else just carries the message.

/// An error from the engine. Every variant carries a complete, user-facing message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A required pointer or handle was missing.
    #[error("{0}")]
    NullArgument(String),
    /// Bad UTF-8, bad value text, an argument outside what the call accepts.
    #[error("{0}")]
    InvalidArgument(String),
    /// A field id that the record's layout does not have.
    #[error("{0}")]
    UnknownField(String),
    /// A condition id that the schema does not have.
    #[error("{0}")]
    UnknownCondition(String),
    /// A value of the wrong type for a field or condition.
    #[error("{0}")]
    TypeMismatch(String),
    /// The value asked for is null.
    #[error("{0}")]
    NullValue(String),
    /// An index or number outside its range.
    #[error("{0}")]
    OutOfRange(String),
    /// A caller's buffer was too small.
    #[error("{0}")]
    BufferTooSmall(String),
    /// A manifest or parameter map is invalid; the message names the file and JSON location.
    #[error("{0}")]
    Manifest(String),
    /// A file could not be read or written; the message names the path and the OS error.
    #[error("{0}")]
    Io(String),
    /// A plugin name that is neither built in nor registered.
    #[error("{0}")]
    UnknownPlugin(String),
    /// Text that is not valid JSON (or not the JSON shape expected).
    #[error("{0}")]
    Json(String),
    /// A wait ran out of time.
    #[error("{0}")]
    TimedOut(String),
    /// An endpoint, transformation or condition plugin failed.
    #[error("{0}")]
    Endpoint(String),
    /// A Kafka client error.
    #[error("{0}")]
    Kafka(String),
    /// A panic was caught at a boundary.
    #[error("{0}")]
    Panic(String),
    /// The call came too late: the process configuration is fixed once the first session
    /// has opened.
    #[error("{0}")]
    TooLate(String),
    /// The host has not allowed it: a native library outside `native-plugin-dirs`, a setting
    /// that loads code, a path outside `confine-paths`. The message names what and how to
    /// allow it.
    #[error("{0}")]
    NotAllowed(String),
}

impl Error {
    /// The message without the variant.
    pub fn message(&self) -> &str {
        match self {
            Error::NullArgument(m)
            | Error::InvalidArgument(m)
            | Error::UnknownField(m)
            | Error::UnknownCondition(m)
            | Error::TypeMismatch(m)
            | Error::NullValue(m)
            | Error::OutOfRange(m)
            | Error::BufferTooSmall(m)
            | Error::Manifest(m)
            | Error::Io(m)
            | Error::UnknownPlugin(m)
            | Error::Json(m)
            | Error::TimedOut(m)
            | Error::Endpoint(m)
            | Error::Kafka(m)
            | Error::Panic(m)
            | Error::TooLate(m)
            | Error::NotAllowed(m) => m,
        }
    }

    /// The same kind of error with `prefix: ` put before its message.
    pub fn context(self, prefix: impl std::fmt::Display) -> Error {
        let wrap = |m: String| format!("{prefix}: {m}");
        match self {
            Error::NullArgument(m) => Error::NullArgument(wrap(m)),
            Error::InvalidArgument(m) => Error::InvalidArgument(wrap(m)),
            Error::UnknownField(m) => Error::UnknownField(wrap(m)),
            Error::UnknownCondition(m) => Error::UnknownCondition(wrap(m)),
            Error::TypeMismatch(m) => Error::TypeMismatch(wrap(m)),
            Error::NullValue(m) => Error::NullValue(wrap(m)),
            Error::OutOfRange(m) => Error::OutOfRange(wrap(m)),
            Error::BufferTooSmall(m) => Error::BufferTooSmall(wrap(m)),
            Error::Manifest(m) => Error::Manifest(wrap(m)),
            Error::Io(m) => Error::Io(wrap(m)),
            Error::UnknownPlugin(m) => Error::UnknownPlugin(wrap(m)),
            Error::Json(m) => Error::Json(wrap(m)),
            Error::TimedOut(m) => Error::TimedOut(wrap(m)),
            Error::Endpoint(m) => Error::Endpoint(wrap(m)),
            Error::Kafka(m) => Error::Kafka(wrap(m)),
            Error::Panic(m) => Error::Panic(wrap(m)),
            Error::TooLate(m) => Error::TooLate(wrap(m)),
            Error::NotAllowed(m) => Error::NotAllowed(wrap(m)),
        }
    }

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
