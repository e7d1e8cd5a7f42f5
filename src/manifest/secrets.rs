//! Secrets in constructors: a value written `"${env:NAME}"` is the environment variable NAME,
//! `"${file:PATH}"` the contents of the file PATH (relative to the manifest's directory; one
//! trailing newline trimmed). Resolved when the session opens (and when a runtime parameter is
//! set); an unset variable or unreadable file fails with a message naming the variable or the
//! path, never a value. Resolved values, and every value of a key that names secret material
//! (`crate::log::is_secret_key`), are remembered so that nothing the library says shows them.

use std::path::Path;

use serde_json::{Map, Value as Json};

use crate::error::{Error, Result};

/// What a reference names.
enum Reference<'a> {
    Env(&'a str),
    File(&'a str),
}

fn reference(text: &str) -> Option<Reference<'_>> {
    let inner = text.strip_prefix("${")?.strip_suffix('}')?;
    if let Some(name) = inner.strip_prefix("env:") {
        return Some(Reference::Env(name));
    }
    inner.strip_prefix("file:").map(Reference::File)
}

/// The value of one constructor entry, references resolved.
pub fn resolve_value(key: &str, value: &Json, base_dir: &Path) -> Result<Json> {
    let Json::String(text) = value else {
        return Ok(value.clone());
    };
    let resolved = match reference(text) {
        None => {
            if crate::log::is_secret_key(key) {
                crate::log::add_secret(text);
            }
            return Ok(value.clone());
        }
        Some(Reference::Env(name)) => std::env::var(name).map_err(|_| {
            Error::Manifest(format!(
                "constructor.{key}: the environment variable {name} is not set"
            ))
        })?,
        Some(Reference::File(path)) => {
            let full = base_dir.join(path);
            let mut text = std::fs::read_to_string(&full).map_err(|e| {
                Error::Manifest(format!(
                    "constructor.{key}: cannot read {}: {e}",
                    full.display()
                ))
            })?;
            if text.ends_with('\n') {
                text.pop();
                if text.ends_with('\r') {
                    text.pop();
                }
            }
            text
        }
    };
    crate::log::add_secret(&resolved);
    Ok(Json::String(resolved))
}

/// Resolves every top-level value of a constructor.
pub fn resolve(constructor: &mut Map<String, Json>, base_dir: &Path) -> Result<()> {
    for (key, value) in constructor.iter_mut() {
        *value = resolve_value(key, value, base_dir)?;
    }
    Ok(())
}
