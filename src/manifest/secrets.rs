//! Secrets in constructors: a value written `"${env:NAME}"` is the environment variable NAME,
//! `"${file:PATH}"` the contents of the file PATH (relative to the manifest's directory; one
//! trailing newline trimmed; inside the host's `confine-paths` when it set them), at any depth
//! of the constructor. Resolved when the session opens (and when a runtime parameter is
//! set); an unset variable or unreadable file fails with a message naming the variable or the
//! path, never a value. Resolved values, and every value of a key that names secret material
//! (`crate::log::is_secret_key`), nested values under such a key included, are remembered so that nothing the library says shows them.

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

/// The value of one constructor entry, references resolved (at any depth; only checked when
/// `checking`).
pub fn resolve_value(key: &str, value: &Json, base_dir: &Path, checking: bool) -> Result<Json> {
    resolve_in(key, key, value, base_dir, false, checking)
}

/// `value` at `at` (the dotted path shown in messages) whose own key is `key`, references
/// resolved; every text under a key that names secret material is remembered as a secret.
/// Only checking: references are left as written (nothing is read; a `${file:}` path is
/// still checked against the host's confined paths).
fn resolve_in(
    at: &str,
    key: &str,
    value: &Json,
    base_dir: &Path,
    under_secret: bool,
    checking: bool,
) -> Result<Json> {
    let secret = under_secret || crate::log::is_secret_key(key);
    let text = match value {
        Json::String(text) => text,
        Json::Object(m) => {
            let mut out = Map::with_capacity(m.len());
            for (k, v) in m {
                let at = format!("{at}.{k}");
                out.insert(
                    k.clone(),
                    resolve_in(&at, k, v, base_dir, secret, checking)?,
                );
            }
            return Ok(Json::Object(out));
        }
        Json::Array(items) => {
            let out = items
                .iter()
                .map(|v| resolve_in(at, key, v, base_dir, secret, checking))
                .collect::<Result<Vec<Json>>>()?;
            return Ok(Json::Array(out));
        }
        Json::Number(n) => {
            if secret {
                crate::log::add_secret(&n.to_string());
            }
            return Ok(value.clone());
        }
        _ => return Ok(value.clone()),
    };
    let resolved = match reference(text) {
        None => {
            if secret {
                crate::log::add_secret(text);
            } else if text.contains("://") {
                // A URL's password (amqp://user:password@host, https://user:password@...).
                crate::log::masked_url(text);
            }
            return Ok(value.clone());
        }
        Some(Reference::Env(_)) if checking => return Ok(value.clone()),
        Some(Reference::Env(name)) => std::env::var(name).map_err(|_| {
            Error::Manifest(format!(
                "constructor.{at}: the environment variable {name} is not set"
            ))
        })?,
        Some(Reference::File(path)) => {
            let what = format!("constructor.{at}: the secret file");
            let full = crate::paths::confine(&base_dir.join(path), &what)?;
            if checking {
                return Ok(value.clone());
            }
            let cannot = |e: std::io::Error| {
                Error::Manifest(format!(
                    "constructor.{at}: cannot read {}: {e}",
                    full.display()
                ))
            };
            // Opened as checked (no link swapped in since), then read from that handle.
            let mut text = String::new();
            std::io::Read::read_to_string(
                &mut crate::paths::open_confined(&full, libc::O_RDONLY, &what).map_err(cannot)?,
                &mut text,
            )
            .map_err(cannot)?;
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

/// Whether any value of `constructor`, at any depth, is a `${env:}` or `${file:}` reference.
pub fn has_reference(constructor: &Map<String, Json>) -> bool {
    fn any(v: &Json) -> bool {
        match v {
            Json::String(s) => reference(s).is_some(),
            Json::Array(a) => a.iter().any(any),
            Json::Object(m) => m.values().any(any),
            _ => false,
        }
    }
    constructor.values().any(any)
}

/// Resolves every value of a constructor (only checks them when `checking`).
pub fn resolve(constructor: &mut Map<String, Json>, base_dir: &Path, checking: bool) -> Result<()> {
    for (key, value) in constructor.iter_mut() {
        *value = resolve_in(key, key, value, base_dir, false, checking)?;
    }
    Ok(())
}
