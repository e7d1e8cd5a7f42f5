//! The README and the guides cannot rot: every code block that is a complete program or
//! manifest is written ```` ```LANG PATH ````, and PATH is a file of the repository that the
//! suite builds and runs (C and Fortran examples by ctest, Python ones by pytest, Rust ones
//! here, manifests checked here). The block must be that file, byte for byte. A complete
//! program without a PATH fails; so does a built-in endpoint missing from the README's table.

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The README, SECURITY.md and every guide in docs/.
fn documents() -> Vec<PathBuf> {
    let mut out = vec![root().join("README.md"), root().join("SECURITY.md")];
    let mut guides: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    guides.sort();
    out.extend(guides);
    out
}

struct Block {
    /// "docs/c.md:12"
    at: String,
    lang: String,
    path: Option<String>,
    /// Marked ```` ```LANG fragment ````: part of a program, on purpose.
    fragment: bool,
    text: String,
}

fn blocks(doc: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(doc).unwrap();
    let name = doc.strip_prefix(root()).unwrap().display().to_string();
    let mut out = Vec::new();
    // A block inside a list item is indented: its lines lose the fence's indentation.
    let mut open: Option<(Block, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        // A fence is exactly three backticks (a line opening with inline code is not one).
        let fence = line
            .trim_start()
            .strip_prefix("```")
            .filter(|rest| !rest.starts_with('`'));
        match (&mut open, fence) {
            (None, Some(info)) => {
                let mut words = info.split_whitespace();
                let lang = words.next().unwrap_or("").to_string();
                // "```python fragment": says it is not a whole program.
                let second = words.next();
                let block = Block {
                    at: format!("{name}:{}", i + 1),
                    fragment: second == Some("fragment"),
                    path: second.filter(|w| *w != "fragment").map(str::to_string),
                    lang,
                    text: String::new(),
                };
                open = Some((block, indent));
            }
            (Some(_), Some(_)) => out.push(open.take().unwrap().0),
            (Some((b, indent)), None) => {
                b.text
                    .push_str(line.get(*indent..).unwrap_or(line.trim_start()));
                b.text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "{name}: a code block is not closed");
    out
}

fn all_blocks() -> Vec<Block> {
    documents().iter().flat_map(|d| blocks(d)).collect()
}

/// Whether a block is a whole program or manifest (rather than a fragment).
fn is_complete(b: &Block) -> bool {
    if b.fragment {
        return false;
    }
    match b.lang.as_str() {
        "python" => [
            "import messageapi",
            "from messageapi",
            "from thoth",
            "from mlops",
            "import mlops",
        ]
        .iter()
        .any(|i| b.text.contains(i)),
        "c" | "cpp" => b.text.contains("int main("),
        "fortran" => b
            .text
            .lines()
            .any(|l| l.trim_start().starts_with("program ")),
        "rust" => b.text.contains("fn main("),
        "json" => serde_json::from_str::<serde_json::Value>(&b.text).is_ok_and(|j| {
            j.get("endpoints").is_some()
                || (j.get("plugin").is_some() && j.get("constructor").is_some())
        }),
        _ => false,
    }
}

/// Where the suite runs files of each kind: a file must be named there.
fn runner_names(path: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    let dir = p.parent()?.to_str()?;
    Some(match (dir, p.extension()?.to_str()?) {
        ("c_examples", "c") => root().join("c_examples/CMakeLists.txt"),
        ("fortran/examples", "f90") => root().join("fortran/CMakeLists.txt"),
        ("bindings/python/examples", "py") => root().join("bindings/python/tests/test_examples.py"),
        ("examples", "rs") => root().join("tests/docs.rs"),
        (_, "json") => root().join("tests/docs.rs"),
        _ => return None,
    })
}

#[test]
fn every_block_naming_a_file_is_that_file_and_the_suite_runs_it() {
    let mut gaps = Vec::new();
    let mut seen = 0;
    for b in all_blocks() {
        let Some(path) = &b.path else { continue };
        seen += 1;
        match std::fs::read_to_string(root().join(path)) {
            Err(e) => gaps.push(format!("{}: {path}: {e}", b.at)),
            Ok(file) if file != b.text => {
                gaps.push(format!("{}: the block differs from {path}", b.at))
            }
            Ok(_) => {}
        }
        let stem = Path::new(path).file_stem().unwrap().to_str().unwrap();
        match runner_names(path) {
            None => gaps.push(format!("{}: nothing in the suite runs {path}", b.at)),
            Some(runner) => {
                let text = std::fs::read_to_string(&runner).unwrap_or_default();
                if !text.contains(stem) {
                    gaps.push(format!(
                        "{}: {} does not run {path}",
                        b.at,
                        runner.strip_prefix(root()).unwrap().display()
                    ));
                }
            }
        }
    }
    assert!(
        seen >= 5,
        "the README's examples name their files ({seen} found)"
    );
    assert!(gaps.is_empty(), "{}", gaps.join("\n"));
}

#[test]
fn every_complete_program_or_manifest_names_its_file() {
    let untagged: Vec<String> = all_blocks()
        .into_iter()
        .filter(|b| b.path.is_none() && is_complete(b))
        .map(|b| format!("{}: a complete {} block without a file", b.at, b.lang))
        .collect();
    assert!(untagged.is_empty(), "{}", untagged.join("\n"));
}

#[test]
fn the_manifests_the_docs_show_open() {
    let mut checked = 0;
    for b in all_blocks() {
        if let (Some(path), "json") = (&b.path, b.lang.as_str()) {
            messageapi::Session::check(root().join(path), None)
                .unwrap_or_else(|e| panic!("{}: {path}: {e}", b.at));
            checked += 1;
        }
    }
    assert!(checked >= 1);
}

/// The Rust example the docs show, compiled into this test and run as its `main` would.
#[allow(dead_code)]
#[path = "../examples/quickstart.rs"]
mod quickstart;

#[test]
fn the_rust_quickstart_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    quickstart::run(
        &root().join("c_examples/quickstart.json"),
        Some(dir.path()),
        &mut out,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out),
        "archived: 1\nrejected: Required field station was missing a value.\nrejected: The \
         record fields were invalidated against specified conditions.\n"
    );
    let written = std::fs::read_to_string(dir.path().join("obs.jsonl")).unwrap();
    assert_eq!(written, "{\"station\":\"KILX\",\"temp\":21.5}\n");
}

#[test]
fn every_built_in_endpoint_is_in_the_readme_table() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let header = std::fs::read_to_string(root().join("include/messageapi.h")).unwrap();
    let banner = &header[..header.find("*/").unwrap()];
    let names = messageapi::builtin_endpoints();
    assert!(names.contains(&"file-reader"), "{names:?}");
    for name in names {
        assert!(
            readme.contains(&format!("| `{name}` |")),
            "README.md's endpoint table lacks `{name}`"
        );
        assert!(
            banner.contains(name),
            "the header's banner does not name `{name}`"
        );
    }
    for transformation in ["`join`", "`reduce`", "`native`"] {
        assert!(
            readme.contains(transformation),
            "README.md does not name {transformation}"
        );
    }
}
