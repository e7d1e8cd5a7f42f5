//! Shared by the security tests of the library (tests/security.rs) and of the `mapi` command
//! (cli/tests/security.rs): the marker library, manifests, passwords.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

/// Compiles the marker library (tests/c/marker_plugin.c) to `dir/name`: its initialiser
/// writes the file `marker` when the library is loaded.
pub fn marker_library(dir: &Path, name: &str, marker: &Path) -> PathBuf {
    let out = dir.join(name);
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The repository: this package's directory, or its parent for cli/.
    let root = if here.join("include").is_dir() {
        here
    } else {
        here.parent().unwrap()
    };
    let root = root.display();
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&out)
        .arg(format!("-I{root}/include"))
        .arg(format!("-DMARKER_PATH=\"{}\"", marker.display()))
        .arg(format!("{root}/tests/c/marker_plugin.c"))
        .status()
        .expect("cc");
    assert!(status.success());
    out
}

pub fn manifest(plugin: &str, constructor: serde_json::Value) -> String {
    json!({
        "fields": [{"id": "path", "type": "string", "required": false}],
        "collections": [{"id": "c", "fields": ["path"]}],
        "endpoints": [{"plugin": plugin, "connections": [
            {"id": "conn", "collections": ["c"], "constructor": constructor}]}]
    })
    .to_string()
}

pub fn native(library: &str) -> String {
    manifest(
        "native",
        json!({"native-library": library, "symbol": "marker_endpoint"}),
    )
}

/// Passwords holding every character a mask could trip on.
pub const PASSWORDS: [&str; 3] = ["pa/ss@w0rd:x", "s3cr%2Ft?q#@@", "nested/:@pw-value"];
