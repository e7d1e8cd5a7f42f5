//! The version and ABI macros of the C header. Written out here because cbindgen reads the
//! source; checked against Cargo.toml when the crate compiles (a version or `abi-version` bump
//! that forgets this file fails the build, naming it).

/// Major version of the library this header belongs to.
pub const MAPI_VERSION_MAJOR: i32 = 1;
/// Minor version.
pub const MAPI_VERSION_MINOR: i32 = 0;
/// Patch version.
pub const MAPI_VERSION_PATCH: i32 = 0;
/// ABI version: changes only when the ABI breaks; the shared library's SONAME carries it.
pub const MAPI_ABI_VERSION: i32 = 1;

/// "MAJOR.MINOR.PATCH" (NUL-terminated, for mapi_version): Cargo's version itself.
pub(crate) const VERSION_CSTR: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
) {
    Ok(c) => c,
    Err(_) => panic!("CARGO_PKG_VERSION holds a NUL"),
};

/// A decimal number of Cargo's, at compile time.
const fn number(text: &str) -> i32 {
    let b = text.as_bytes();
    let mut n = 0;
    let mut i = 0;
    while i < b.len() {
        n = n * 10 + (b[i] - b'0') as i32;
        i += 1;
    }
    n
}

const _: () = assert!(
    MAPI_VERSION_MAJOR == number(env!("CARGO_PKG_VERSION_MAJOR"))
        && MAPI_VERSION_MINOR == number(env!("CARGO_PKG_VERSION_MINOR"))
        && MAPI_VERSION_PATCH == number(env!("CARGO_PKG_VERSION_PATCH")),
    "src/ffi/version.rs: the version macros differ from Cargo.toml's version"
);
const _: () = assert!(
    MAPI_ABI_VERSION == number(env!("MAPI_CARGO_ABI_VERSION")),
    "src/ffi/version.rs: MAPI_ABI_VERSION differs from Cargo.toml's abi-version"
);
