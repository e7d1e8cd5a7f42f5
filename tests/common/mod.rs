//! Shared test helpers: the reference files of the original project, and stand-ins for the
//! original's Java *test* classes, registered through the plugin registry as a host would.
#![allow(dead_code)]

pub mod broker;
pub mod delivery;
pub mod rabbit;
pub mod tls;

use std::path::{Path, PathBuf};
use std::sync::Once;

use messageapi::registry::{register_endpoint, register_transformation};
use messageapi::{FnEndpoint, FnTransformation, Value};

/// The repository: the package's directory, or its parent for the `cli/` crate's tests.
pub fn repo_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    if here.join("include").is_dir() {
        here.to_path_buf()
    } else {
        here.parent().unwrap().to_path_buf()
    }
}

/// `MAPI_REFERENCE_DIR` (scripts/test.sh sets it from `scripts/lib/reference-dir.sh`), else the
/// repository's own copy, `tests/reference/messageapi`.
/// Panics with what to set when the files are not there: every caller needs them.
pub fn reference_dir() -> PathBuf {
    let dir = match std::env::var_os("MAPI_REFERENCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => repo_root().join("tests/reference/messageapi"),
    };
    assert!(
        dir.join("sessions").is_dir(),
        "the reference files are not in {}: set MAPI_REFERENCE_DIR (scripts/lib/reference-dir.sh finds them)",
        dir.display()
    );
    dir
}

/// A root for `{}` under which `resources/test` is the reference directory, as the original's
/// manifests expect (`{}/resources/test/...`).
pub fn reference_root() -> PathBuf {
    static ONCE: Once = Once::new();
    let root = std::env::temp_dir().join(format!("messageapi-test-root-{}", std::process::id()));
    ONCE.call_once(|| {
        let res = root.join("resources");
        std::fs::create_dir_all(&res).unwrap();
        let link = res.join("test");
        if !link.exists() {
            std::os::unix::fs::symlink(reference_dir().canonicalize().unwrap(), &link).unwrap();
        }
    });
    root
}

pub const EMAIL_ENDPOINT: &str = "gov.noaa.messageapi.test.endpoints.EmailEndpointTest";
pub const FTP_LISTER: &str = "gov.noaa.messageapi.test.endpoints.FtpLister";
pub const FIX_RELATIVE_PATHS: &str =
    "gov.noaa.messageapi.test.transformations.FixRelativePathsTransformation";

/// Registers the stand-ins (idempotent).
pub fn register_stand_ins() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // EmailEndpointTest stand-in: returns every record routed to it.
        register_endpoint(
            EMAIL_ENDPOINT,
            std::sync::Arc::new(FnEndpoint(|call: &mut messageapi::EndpointCall<'_>| {
                let routed: Vec<_> = call.records().to_vec();
                call.extend(routed);
                Ok(())
            })),
        )
        .unwrap();
        // FtpLister needs a network; its stand-in lists nothing.
        register_endpoint(
            FTP_LISTER,
            std::sync::Arc::new(FnEndpoint(|_: &mut messageapi::EndpointCall<'_>| Ok(()))),
        )
        .unwrap();
        // FixRelativePathsTransformation: replaces `{}` with the session root in the `fields`
        // of every record of its `transform-key` input.
        register_transformation(
            FIX_RELATIVE_PATHS,
            std::sync::Arc::new(FnTransformation(
                |call: &mut messageapi::TransformCall<'_>| {
                    let key = call
                        .parameter("transform-key")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string();
                    let fields: Vec<String> = call
                        .parameter("fields")
                        .and_then(|v| v.as_array())
                        .map(|a| {
                            a.iter()
                                .filter_map(|s| s.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    let root = call.root().to_string_lossy().to_string();
                    let mut records = call.take_input(&key);
                    for r in &mut records {
                        for f in &fields {
                            if let Ok(Value::String(s)) = r.get(f) {
                                let fixed = s.replace("{}", &root);
                                r.set(f, Value::String(fixed.into()))?;
                            }
                        }
                    }
                    call.extend(records);
                    Ok(())
                },
            )),
        )
        .unwrap();
    });
}

pub fn s(v: &str) -> Value {
    Value::String(v.into())
}

/// The text of a string (or datetime) field.
pub fn get_str(r: &messageapi::Record, field: &str) -> String {
    r.get_text(field)
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string()
}

pub fn get_int(r: &messageapi::Record, field: &str) -> i64 {
    r.get_int(field).unwrap_or_else(|e| panic!("{e}"))
}

pub fn field_names(r: &messageapi::Record) -> Vec<String> {
    r.layout()
        .fields()
        .iter()
        .map(|f| f.id.to_string())
        .collect()
}

pub const CF6: &str = "inputs/file-reader/proc_sm_gtsnp_data_ftp_CF6_cf6_20190506.txt";
