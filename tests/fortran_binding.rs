//! The Fortran binding follows the header, never a retyped copy of it: module messageapi_c
//! (fortran/messageapi_c.F90) binds every C function, each raw interface carries the header's
//! prototype above it, its constants have the header's values, and module messageapi
//! re-exports every constant.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

fn squash(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( ", "(")
}

/// The header's function prototypes by name, whitespace squashed (`ret name(params);`).
fn prototypes(header: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut decl = String::new();
    for line in header.lines() {
        let starts = line.starts_with(|c: char| c.is_ascii_alphabetic())
            && !line.starts_with("typedef")
            && line.contains("mapi_")
            && line.contains('(');
        if starts || !decl.is_empty() {
            decl.push_str(line);
            decl.push(' ');
            if line.contains(");") {
                let d = squash(&decl);
                let name = d[..d.find('(').unwrap()]
                    .rsplit([' ', '*'])
                    .next()
                    .unwrap()
                    .to_string();
                out.insert(name, d);
                decl.clear();
            }
        }
    }
    out
}

/// The header's integer constants.
fn defines(header: &str) -> BTreeMap<String, i64> {
    header
        .lines()
        .filter_map(|l| l.strip_prefix("#define MAPI_"))
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let name = format!("MAPI_{}", it.next()?);
            Some((name, it.next()?.parse().ok()?))
        })
        .collect()
}

/// `NAME = value` pairs of the Fortran `parameter` declarations (continuation lines joined).
fn fortran_parameters(source: &str) -> BTreeMap<String, i64> {
    let mut joined = String::new();
    for line in source.lines() {
        let code = line.split('!').next().unwrap_or("");
        joined.push_str(code.trim_end().trim_end_matches('&'));
        if !code.trim_end().ends_with('&') {
            joined.push('\n');
        }
    }
    let mut out = BTreeMap::new();
    for line in joined
        .lines()
        .filter(|l| l.contains("parameter") && l.contains("::"))
    {
        let decls = line.split("::").nth(1).unwrap();
        for part in decls.split(',') {
            if let Some((name, value)) = part.split_once('=') {
                if let Ok(v) = value.trim().parse() {
                    out.insert(name.trim().to_string(), v);
                }
            }
        }
    }
    out
}

#[test]
fn every_c_function_is_bound_with_its_prototype_above() {
    let header = read("include/messageapi.h");
    let raw = read("fortran/messageapi_c.F90");
    let protos = prototypes(&header);
    assert!(
        protos.len() >= 83,
        "{} prototypes in the header",
        protos.len()
    );
    let lines: Vec<&str> = raw.lines().collect();
    let mut bound = BTreeSet::new();
    let mut gaps = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(at) = line.find("bind(c, name='") else {
            continue;
        };
        let name = line[at + 14..].split('\'').next().unwrap();
        if !name.starts_with("mapi_") {
            continue;
        }
        bound.insert(name.to_string());
        let mut comment = Vec::new();
        let mut k = i;
        while k > 0 && lines[k - 1].trim_start().starts_with('!') {
            k -= 1;
            comment.insert(0, lines[k].trim_start().trim_start_matches('!').trim());
        }
        let above = squash(&comment.join(" "));
        match protos.get(name) {
            None => gaps.push(format!("{name}: bound but not in the header")),
            Some(p) if !above.ends_with(p.as_str()) => gaps.push(format!(
                "{name}: the comment above is not the prototype\n  want: {p}\n  have: {above}"
            )),
            Some(_) => {}
        }
    }
    for name in protos.keys() {
        if !bound.contains(name) {
            gaps.push(format!("{name}: not bound in fortran/messageapi_c.F90"));
        }
    }
    assert!(gaps.is_empty(), "{}", gaps.join("\n"));
}

#[test]
fn constants_are_the_headers_and_re_exported() {
    let header = defines(&read("include/messageapi.h"));
    let raw = fortran_parameters(&read("fortran/messageapi_c.F90"));
    assert!(
        header.len() >= 35,
        "{} constants in the header",
        header.len()
    );
    assert_eq!(raw, header, "messageapi_c's constants vs. the header's");
    let module = read("fortran/messageapi.F90");
    let public: BTreeSet<String> = module
        .replace("&\n", " ")
        .lines()
        .filter(|l| l.trim_start().starts_with("public ::"))
        .flat_map(|l| {
            l.split("::")
                .nth(1)
                .unwrap()
                .split(',')
                .map(|s| s.trim().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    for name in header.keys() {
        assert!(
            public.contains(name),
            "module messageapi does not re-export {name}"
        );
    }
}
