//! The header is the reference manual (include/messageapi.h, generated from the Rust doc
//! comments): sections in the order a user meets them, each handle type listing exactly the
//! functions that take it, every function documented in its own words (its pointer parameters
//! named, its statuses listed), and every export with a `# Safety` section in Rust.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn header() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/messageapi.h"))
        .unwrap()
}

/// An exported function of the header: name, return type, parameters, doc comment lines.
struct Function {
    name: String,
    returns: String,
    params: Vec<(String, String)>,
    doc: Vec<String>,
    line: usize,
}

fn functions(header: &str) -> Vec<Function> {
    let lines: Vec<&str> = header.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let is_decl = line.starts_with(|c: char| c.is_ascii_alphabetic())
            && !line.starts_with("typedef")
            && line.contains("mapi_")
            && line.contains('(');
        if !is_decl {
            i += 1;
            continue;
        }
        let mut decl = String::new();
        let mut j = i;
        loop {
            decl.push_str(lines[j].trim());
            decl.push(' ');
            if lines[j].contains(");") {
                break;
            }
            j += 1;
        }
        let paren = decl.find('(').unwrap();
        let open = decl[..paren].rfind("mapi_").unwrap();
        let name = decl[open..paren].to_string();
        let returns = decl[..open].trim().to_string();
        let inner = &decl[paren + 1..decl.rfind(')').unwrap()];
        let params = if inner.trim() == "void" {
            Vec::new()
        } else {
            inner
                .split(',')
                .map(|p| {
                    let p = p.trim();
                    let cut = p
                        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .unwrap();
                    (p[..=cut].trim().to_string(), p[cut + 1..].to_string())
                })
                .collect()
        };
        let mut doc = Vec::new();
        let mut k = i;
        while k > 0 && lines[k - 1].starts_with("//") {
            k -= 1;
            doc.insert(0, lines[k].trim_start_matches('/').trim().to_string());
        }
        out.push(Function {
            name,
            returns,
            params,
            doc,
            line: i,
        });
        i = j + 1;
    }
    out
}

/// The doc lines of a function that describe it: not its section's introduction (before a
/// `---` line), not its `# Safety` paragraph, not blank.
fn own_lines(f: &Function) -> Vec<&str> {
    let start = f.doc.iter().position(|l| l == "---").map_or(0, |p| p + 1);
    let mut out = Vec::new();
    for l in &f.doc[start..] {
        if l == "# Safety" {
            break;
        }
        if !l.is_empty() {
            out.push(l.as_str());
        }
    }
    out
}

#[test]
fn sections_come_in_the_order_a_user_meets_them() {
    let header = header();
    let fns = functions(&header);
    assert!(fns.len() >= 83, "only {} functions found", fns.len());
    let sections = [
        ("## Version and errors", "mapi_abi_version"),
        ("## Sessions", "mapi_session_open"),
        ("## Requests", "mapi_request_new"),
        ("## Records", "mapi_record_set_string"),
        ("## Responses", "mapi_response_is_complete"),
        ("## Plug-ins", "mapi_register_endpoint"),
        ("## Logging", "mapi_set_log_callback"),
    ];
    let section_of = |name: &str| -> usize {
        if name.starts_with("mapi_session_") {
            1
        } else if name.starts_with("mapi_request_") {
            2
        } else if name.starts_with("mapi_record_") {
            3
        } else if name.starts_with("mapi_response_") {
            4
        } else if name.starts_with("mapi_register_")
            || name.starts_with("mapi_call_")
            || name.starts_with("mapi_transform_")
        {
            5
        } else if name == "mapi_set_log_callback" {
            6
        } else {
            0
        }
    };
    let lines: Vec<&str> = header.lines().collect();
    let mut at = Vec::new();
    for (heading, first) in sections {
        // The heading, its introduction up to `---`, the section's constants and types, then
        // its first function.
        let h = lines
            .iter()
            .position(|l| *l == format!("// {heading}"))
            .unwrap_or_else(|| panic!("no section {heading}"));
        let f = fns.iter().find(|f| f.line > h).unwrap();
        assert_eq!(f.name, first, "{heading} opens with {first}");
        assert!(
            lines[h..f.line].contains(&"// ---"),
            "{heading}: the introduction ends with ---"
        );
        assert_eq!(header.matches(heading).count(), 1, "{heading} once");
        at.push(h);
    }
    assert!(at.windows(2).all(|w| w[0] < w[1]), "sections out of order");
    let mut last = 0;
    for f in &fns {
        let s = section_of(&f.name);
        assert!(
            s >= last,
            "{} (section {s}) comes after section {last}",
            f.name
        );
        assert!(f.line >= at[s], "{} comes before its section", f.name);
        last = s;
    }
}

#[test]
fn every_handle_type_lists_exactly_the_functions_that_take_it() {
    let header = header();
    let fns = functions(&header);
    let lines: Vec<&str> = header.lines().collect();
    let handles = [
        "mapi_session",
        "mapi_request",
        "mapi_record",
        "mapi_record_list",
        "mapi_response",
        "mapi_endpoint_call",
        "mapi_transform_call",
    ];
    for handle in handles {
        let decl = format!("typedef struct {handle} {handle};");
        let at = lines
            .iter()
            .position(|l| *l == decl)
            .unwrap_or_else(|| panic!("{decl} not in the header"));
        let mut comment = String::new();
        let mut k = at;
        while k > 0 && lines[k - 1].starts_with("//") {
            k -= 1;
            comment.insert_str(0, &format!("{} ", lines[k].trim_start_matches('/').trim()));
        }
        let listed: BTreeSet<String> = comment
            .split_once("Functions:")
            .unwrap_or_else(|| panic!("{handle}: no \"Functions:\" list"))
            .1
            .split(|c: char| c == ',' || c == '.' || c.is_whitespace())
            .filter(|w| w.starts_with("mapi_"))
            .map(str::to_string)
            .collect();
        let taking: BTreeSet<String> = fns
            .iter()
            .filter(|f| {
                f.params.iter().any(|(ty, _)| {
                    ty.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .any(|w| w == handle)
                })
            })
            .map(|f| f.name.clone())
            .collect();
        assert_eq!(
            listed, taking,
            "{handle}: Functions: list vs. the functions that take it"
        );
        assert!(
            ["thread", "Valid only"].iter().any(|w| comment.contains(w)),
            "{handle}: its comment does not say from which threads it may be used"
        );
    }
}

/// Environment variables the library reads, which the docs name (no macro has their names).
const ENVIRONMENT: &[&str] = &[
    "MAPI_LOG",
    "MAPI_WORKERS",
    "MAPI_MAX_WORKERS",
    "MAPI_STACK_BYTES",
    "MAPI_NATIVE_PLUGIN_PATH",
    "MAPI_CONFINE_PATHS",
];

#[test]
fn every_function_is_documented_in_its_own_words() {
    let header = header();
    let fns = functions(&header);
    let defined: BTreeSet<&str> = header
        .lines()
        .filter_map(|l| l.strip_prefix("#define "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let mut gaps = Vec::new();
    let mut seen: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in &fns {
        let own = own_lines(f);
        if own.is_empty() {
            gaps.push(format!("{}: no description", f.name));
        }
        for l in &own {
            seen.entry(l).or_default().push(&f.name);
        }
        let text = f.doc.join(" ");
        // Each pointer parameter is named where its ownership is said.
        for (ty, name) in &f.params {
            if ty.contains('*') && !text.contains(&format!("`{name}`")) {
                gaps.push(format!(
                    "{}: pointer parameter `{name}` is not described",
                    f.name
                ));
            }
        }
        if !f.doc.iter().any(|l| l == "# Safety") {
            gaps.push(format!("{}: no Safety paragraph", f.name));
        }
        let own_text = own.join(" ");
        let returns_status = f.returns == "mapi_status";
        if returns_status && !own_text.contains("Returns MAPI_OK") {
            gaps.push(format!(
                "{}: returns mapi_status but does not say when MAPI_OK",
                f.name
            ));
        }
        if !returns_status && own_text.contains("MAPI_OK") {
            gaps.push(format!("{}: returns no status but lists MAPI_OK", f.name));
        }
        for word in own_text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            // "MAPI_TYPE_*" names a family; "MAPI_ERR_UNKNOWN" is mapi_status_name's text.
            let family = word.ends_with('_');
            if word.starts_with("MAPI_")
                && !family
                && word != "MAPI_ERR_UNKNOWN"
                && !ENVIRONMENT.contains(&word)
                && !defined.contains(word)
            {
                gaps.push(format!(
                    "{}: names {word}, which the header does not define",
                    f.name
                ));
            }
        }
    }
    // A line repeated across many functions is a template, and wrong somewhere.
    for (line, names) in &seen {
        if names.len() > 3 {
            gaps.push(format!(
                "\"{line}\" is repeated in {} functions: {names:?}",
                names.len()
            ));
        }
    }
    assert!(gaps.is_empty(), "{} gaps:\n{}", gaps.len(), gaps.join("\n"));
}

/// Every `extern "C" fn` of the crate has a `# Safety` section in its Rust doc comment (clippy's
/// missing_safety_doc checks the unsafe ones too: it is not allowed away).
#[test]
fn every_export_has_a_safety_section() {
    fn visit(dir: &Path, out: &mut Vec<String>, count: &mut usize) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                visit(&p, out, count);
                continue;
            }
            if p.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            assert!(
                !text.contains("allow(clippy::missing_safety_doc)"),
                "{} allows missing Safety sections",
                p.display()
            );
            let lines: Vec<&str> = text.lines().collect();
            for (i, l) in lines.iter().enumerate() {
                if !(l.starts_with("pub unsafe extern \"C\" fn ")
                    || l.starts_with("pub extern \"C\" fn "))
                {
                    continue;
                }
                *count += 1;
                let mut k = i;
                let mut has = false;
                while k > 0 && (lines[k - 1].starts_with("///") || lines[k - 1].starts_with("#[")) {
                    k -= 1;
                    has |= lines[k].trim() == "/// # Safety";
                }
                if !has {
                    out.push(format!("{}:{}: {l}", p.display(), i + 1));
                }
            }
        }
    }
    let mut missing = Vec::new();
    let mut count = 0;
    visit(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut missing,
        &mut count,
    );
    assert!(count >= 83, "only {count} exports found");
    assert!(
        missing.is_empty(),
        "exports without # Safety:\n{}",
        missing.join("\n")
    );
}

/// Every status the header defines has an error kind of its own (the table in src/error.rs):
/// mapi_status_name gives each its own name back.
#[test]
fn every_status_constant_is_an_error_kind() {
    let header =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/messageapi.h"))
            .unwrap();
    let mut seen = 0;
    for line in header.lines() {
        if !(line.starts_with("#define MAPI_ERR_") || line.starts_with("#define MAPI_OK ")) {
            continue;
        }
        let mut words = line["#define ".len()..].split_whitespace();
        let (name, value) = (words.next().unwrap(), words.next().unwrap());
        let code: i32 = value.parse().unwrap();
        let got = messageapi::ffi::library::mapi_status_name(code);
        let got = unsafe { std::ffi::CStr::from_ptr(got) }.to_str().unwrap();
        assert_eq!(got, name, "status {code}");
        seen += 1;
    }
    assert!(seen >= 19, "{seen} statuses");
}
