//! Path expansion: `{}` is the session root; other relative paths resolve against the directory
//! of the file that names them.

use std::path::{Path, PathBuf};

/// Expands `{}` to `root`, then resolves a relative result against `base_dir`.
pub fn resolve(path: &str, root: &Path, base_dir: &Path) -> PathBuf {
    let expanded = if path.contains("{}") {
        path.replace("{}", &root.to_string_lossy())
    } else {
        path.to_string()
    };
    let p = PathBuf::from(expanded);
    if p.is_absolute() {
        p
    } else {
        base_dir.join(p)
    }
}

/// The root for `{}`: the open call's argument, else `MESSAGEAPI_ROOT`, else the manifest's
/// directory; made absolute (against the current directory), so that an expanded path is never
/// resolved a second time against the directory of the file that names it.
pub fn choose_root(explicit: Option<&Path>, manifest_dir: &Path) -> PathBuf {
    let root = match (explicit, std::env::var_os("MESSAGEAPI_ROOT")) {
        (Some(r), _) => r.to_path_buf(),
        (None, Some(r)) if !r.is_empty() => PathBuf::from(r),
        _ => manifest_dir.to_path_buf(),
    };
    if root.is_absolute() {
        root
    } else {
        std::env::current_dir()
            .map(|d| d.join(&root))
            .unwrap_or(root)
    }
}
