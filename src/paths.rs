//! Path expansion: `{}` is the session root; other relative paths resolve against the directory
//! of the file that names them.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

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

/// `path` made absolute against the current directory (nothing resolved).
fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir()
        .map(|d| d.join(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Where `path` leads, as opening it would: every symbolic link followed and `..` applied. A
/// file that does not exist yet (one a writer will create) resolves through its directory.
fn real(path: &Path) -> std::io::Result<PathBuf> {
    let path = absolute(path);
    match std::fs::canonicalize(&path) {
        Ok(p) => Ok(p),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A dangling symbolic link is not a file to create: it leads elsewhere.
            if std::fs::symlink_metadata(&path).is_ok() {
                return Err(e);
            }
            match (path.parent(), path.file_name()) {
                (Some(dir), Some(name)) => Ok(std::fs::canonicalize(dir)?.join(name)),
                _ => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

fn inside(path: &Path, dirs: &[PathBuf]) -> bool {
    dirs.iter().any(|d| path.starts_with(d))
}

fn listed(dirs: &[PathBuf]) -> String {
    if dirs.is_empty() {
        return "none".into();
    }
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `path`, and where it leads when that differs.
fn shown(path: &Path, real: &Path) -> String {
    if path == real {
        path.display().to_string()
    } else {
        format!("{} (which resolves to {})", path.display(), real.display())
    }
}

/// The native library `what` (for example "connection c: native-library") names, if the host
/// allows it: the resolved, absolute path to load, inside one of the host's
/// `native-plugin-dirs`. Else a refusal naming the path and how to allow it.
pub(crate) fn native_code(path: &Path, what: &str) -> Result<PathBuf> {
    let resolved = real(path)
        .and_then(|p| std::fs::metadata(&p).map(|_| p))
        .map_err(|e| {
            Error::Io(format!(
                "{what}: cannot load native library {}: {e}",
                path.display()
            ))
        })?;
    let dirs = &crate::runtime::policy().native_plugin_dirs;
    if inside(&resolved, dirs) {
        return Ok(resolved);
    }
    Err(Error::NotAllowed(format!(
        "{what}: {} is not in a directory the host allows native code from (allowed: {}); a \
         host that trusts it lists its directory in mapi_configure's \"native-plugin-dirs\" or \
         in the environment variable MAPI_NATIVE_PLUGIN_PATH",
        shown(path, &resolved),
        listed(dirs)
    )))
}

/// `path` checked against the host's `confine-paths`: unchanged when the host confines
/// nothing; else the resolved path (symbolic links followed, `..` applied), or a refusal
/// naming `what` and the path when it leads outside them.
pub(crate) fn confine(path: &Path, what: &str) -> Result<PathBuf> {
    let Some(dirs) = &crate::runtime::policy().confine_paths else {
        return Ok(path.to_path_buf());
    };
    let resolved = real(path).map_err(|e| {
        Error::NotAllowed(format!(
            "{what} {}: cannot resolve it to check that it is inside the confined paths ({}): \
             {e}",
            path.display(),
            listed(dirs)
        ))
    })?;
    if inside(&resolved, dirs) {
        return Ok(resolved);
    }
    Err(outside(what, &shown(path, &resolved), dirs))
}

fn outside(what: &str, path: &str, dirs: &[PathBuf]) -> Error {
    Error::NotAllowed(format!(
        "{what} {path} is outside the paths the host confines files to ({}; mapi_configure's \
         \"confine-paths\" or MAPI_CONFINE_PATHS)",
        listed(dirs)
    ))
}

/// After opening a confined path: where the open file really is. Linux's /proc/self/fd says;
/// without it, the open file must be the very file the checked path names (same device and
/// inode).
pub(crate) fn confine_opened(file: &std::fs::File, what: &str, path: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::io::AsRawFd;
    let Some(dirs) = &crate::runtime::policy().confine_paths else {
        return Ok(());
    };
    match std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
        Ok(opened) if inside(&opened, dirs) => Ok(()),
        Ok(opened) => Err(outside(what, &shown(path, &opened), dirs)),
        Err(_) => {
            let same = match (file.metadata(), real(path).and_then(std::fs::metadata)) {
                (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
                _ => false,
            };
            match real(path) {
                Ok(r) if same && inside(&r, dirs) => Ok(()),
                _ => Err(outside(what, &path.display().to_string(), dirs)),
            }
        }
    }
}

/// Opens `path` (one [`confine`] returned) with the `open(2)` `flags` (`O_CLOEXEC` added; mode
/// 0666 when creating), so that nothing swapped in since the check leads outside the confined
/// paths: with confinement on, the open follows no symbolic link at all (`openat2` with
/// `RESOLVE_NO_SYMLINKS`; where the kernel lacks it, `O_NOFOLLOW` and a check of the opened
/// file). Without confinement, a plain open.
pub(crate) fn open_confined(
    path: &Path,
    flags: libc::c_int,
    what: &str,
) -> std::io::Result<std::fs::File> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::io::FromRawFd;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let flags = flags | libc::O_CLOEXEC;
    let open = |flags: libc::c_int| -> std::io::Result<std::fs::File> {
        // SAFETY: `c` is a NUL-terminated path; the descriptor is owned by the File.
        let fd = unsafe { libc::open(c.as_ptr(), flags, 0o666 as libc::c_uint) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(unsafe { std::fs::File::from_raw_fd(fd) })
    };
    if crate::runtime::policy().confine_paths.is_none() {
        return open(flags);
    }
    let refused =
        |e: Error| std::io::Error::new(std::io::ErrorKind::PermissionDenied, e.to_string());
    // SAFETY: open_how is plain data; the kernel reads `size_of` bytes of it.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = flags as u64;
    how.mode = if flags & libc::O_CREAT != 0 { 0o666 } else { 0 };
    how.resolve = libc::RESOLVE_NO_SYMLINKS;
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            libc::AT_FDCWD,
            c.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    if fd >= 0 {
        return Ok(unsafe { std::fs::File::from_raw_fd(fd as libc::c_int) });
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::ELOOP) | Some(libc::EXDEV) => Err(refused(Error::NotAllowed(format!(
            "{what} {}: a symbolic link took the place of part of it after it was checked \
             against the confined paths",
            path.display()
        )))),
        // No openat2 (older kernels, some sandboxes): no link at the end, then a check.
        Some(libc::ENOSYS) | Some(libc::EPERM) => {
            let file = open(flags | libc::O_NOFOLLOW)?;
            confine_opened(&file, what, path).map_err(refused)?;
            Ok(file)
        }
        _ => Err(e),
    }
}
