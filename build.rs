//! Gives the shared library a SONAME that carries the ABI version (Cargo.toml's
//! `[package.metadata.messageapi] abi-version`), and hands that version to the crate, whose
//! `src/ffi/version.rs` checks its macros against it; links the shared library `-z nodelete`.
//! Writes nothing.

use std::path::Path;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let manifest = std::fs::read_to_string(Path::new(&dir).join("Cargo.toml")).expect("Cargo.toml");
    let abi = manifest
        .lines()
        .skip_while(|l| l.trim() != "[package.metadata.messageapi]")
        .find_map(|l| {
            l.trim()
                .strip_prefix("abi-version")
                .map(|v| v.trim_start_matches([' ', '=']).trim().to_string())
        })
        .expect("Cargo.toml: [package.metadata.messageapi] abi-version");
    // src/ffi/version.rs checks its ABI macro against this.
    println!("cargo:rustc-env=MAPI_CARGO_ABI_VERSION={abi}");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmessageapi.so.{abi}");
    // Never unloaded: a host's dlclose() cannot unmap code the library's threads still run.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-changed=build.rs");
}
