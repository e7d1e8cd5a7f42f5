//! The layers of docs/architecture.md: every module imports only its own layer and those below
//! it. Reads every `crate::` path in `src/` (in `use` lines and inline, outside comments) and
//! fails on one that points up, naming the file, the line and the two layers.

use std::path::{Path, PathBuf};

/// Bottom to top; a module may name modules of its own layer and of those before it.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "base",
        &["error", "log", "paths", "runtime", "status", "value"],
    ),
    (
        "records and JSON",
        &["record", "json", "dead_letter", "stats"],
    ),
    ("schema", &["schema"]),
    ("container", &["container"]),
    ("protocol", &["protocol"]),
    ("registry", &["registry"]),
    ("built-in plug-ins", &["plugins"]),
    ("session core", &["session_core"]),
    ("manifest loader", &["manifest"]),
    (
        "sessions",
        &["session", "describe", "pipeline", "request", "response"],
    ),
    ("C ABI", &["ffi"]),
];

/// Items of `lib.rs` itself that any layer may call (the allocator's one-time tuning).
const ROOT_ITEMS: &[&str] = &["tune_allocator"];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, ms)| ms.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module names a line refers to as `crate::name` (also `crate::{a, b::c}`).
fn crate_paths(line: &str) -> Vec<String> {
    let code = match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    };
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

#[test]
fn imports_point_down_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut checked = 0;
    let mut violations = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = top.trim_end_matches(".rs");
        if module == "lib" {
            continue; // the crate root declares the layers
        }
        let own = layer_of(module).unwrap_or_else(|| {
            panic!(
                "src/{} is in no layer: add `{module}` to LAYERS and to docs/architecture.md",
                rel.display()
            )
        });
        checked += 1;
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for name in crate_paths(line) {
                if ROOT_ITEMS.contains(&name.as_str()) || name.is_empty() {
                    continue;
                }
                let Some(theirs) = layer_of(&name) else {
                    violations.push(format!(
                        "src/{}:{}: crate::{name} is in no layer",
                        rel.display(),
                        n + 1
                    ));
                    continue;
                };
                if theirs > own {
                    violations.push(format!(
                        "src/{}:{}: crate::{name} ({}) points up from {} ({})",
                        rel.display(),
                        n + 1,
                        LAYERS[theirs].0,
                        module,
                        LAYERS[own].0
                    ));
                }
            }
        }
    }
    assert!(checked > 40, "only {checked} files were checked");
    assert!(
        violations.is_empty(),
        "imports that point up:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_checker_sees_grouped_and_inline_paths() {
    assert_eq!(
        crate_paths("use crate::{record::Record, session};"),
        ["record", "session"]
    );
    assert_eq!(
        crate_paths("let x = crate::ffi::last_error(); // crate::manifest"),
        ["ffi"]
    );
    assert_eq!(layer_of("ffi"), Some(LAYERS.len() - 1));
    assert!(layer_of("record") < layer_of("schema"));
}

/// The full `crate::a::b::c` paths of a line (groups `crate::a::{b, c}` expanded one level).
fn full_crate_paths(line: &str) -> Vec<Vec<String>> {
    let code = match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    };
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let mut path = Vec::new();
        let mut r = rest;
        loop {
            if let Some(group) = r.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for part in group[..end].split(',') {
                    let mut p = path.clone();
                    p.extend(part.trim().split("::").map(ident).filter(|s| !s.is_empty()));
                    out.push(p);
                }
                path.clear();
                break;
            }
            let name = ident(r);
            if name.is_empty() {
                break;
            }
            r = &r[name.len()..];
            path.push(name);
            match r.strip_prefix("::") {
                Some(next) => r = next,
                None => break,
            }
        }
        if !path.is_empty() {
            out.push(path);
        }
    }
    out
}

/// The file a `crate::` path lives in: the deepest `src/a/b.rs` or `src/a/b/mod.rs` it names.
fn file_of(src: &Path, path: &[String]) -> Option<PathBuf> {
    for n in (1..=path.len()).rev() {
        let dir: PathBuf = path[..n].iter().collect();
        for candidate in [
            src.join(&dir).with_extension("rs"),
            src.join(&dir).join("mod.rs"),
        ] {
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// No two files import each other, directly or through others (by their `crate::` paths): a
/// circle makes neither changeable alone. A module's own files (`mod.rs` and its children,
/// reaching each other by `super::` and child paths) are one unit and may; between modules,
/// every import is a `crate::` path.
#[test]
fn no_import_circles_between_files() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let index = |f: &Path| files.iter().position(|g| g == f);
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); files.len()];
    for (i, file) in files.iter().enumerate() {
        let text = std::fs::read_to_string(file).unwrap();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for path in full_crate_paths(line) {
                if let Some(j) = file_of(&src, &path).and_then(|f| index(&f)) {
                    if j != i && !edges[i].contains(&j) {
                        edges[i].push(j);
                    }
                }
            }
        }
    }
    // Depth-first search for a back edge; report the circle it closes.
    fn visit(
        n: usize,
        edges: &[Vec<usize>],
        state: &mut [u8],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        state[n] = 1;
        stack.push(n);
        for &m in &edges[n] {
            if state[m] == 1 {
                let from = stack.iter().position(|&s| s == m).unwrap();
                return Some(stack[from..].to_vec());
            }
            if state[m] == 0 {
                if let Some(c) = visit(m, edges, state, stack) {
                    return Some(c);
                }
            }
        }
        stack.pop();
        state[n] = 2;
        None
    }
    let mut state = vec![0u8; files.len()];
    for n in 0..files.len() {
        if state[n] == 0 {
            if let Some(circle) = visit(n, &edges, &mut state, &mut Vec::new()) {
                let names: Vec<String> = circle
                    .iter()
                    .map(|&i| files[i].strip_prefix(&src).unwrap().display().to_string())
                    .collect();
                panic!("an import circle: {} -> (back)", names.join(" -> "));
            }
        }
    }
    assert!(
        edges.iter().map(Vec::len).sum::<usize>() > 100,
        "the test sees the imports"
    );
}

/// No source file of the library or the command line is over 600 lines.
#[test]
fn no_source_file_is_over_600_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("cli/src"), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > 600).then(|| format!("{} has {n} lines", f.strip_prefix(root).unwrap().display()))
        })
        .collect();
    assert!(long.is_empty(), "{}", long.join("\n"));
}
