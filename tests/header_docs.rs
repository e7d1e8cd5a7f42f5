//! The header is the reference manual: every exported function's comment says who owns what,
//! which statuses (or return values) it gives, and its thread-safety.

use std::path::Path;

#[test]
fn every_export_documents_ownership_status_and_threads() {
    let header =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/messageapi.h"))
            .unwrap();
    let lines: Vec<&str> = header.lines().collect();
    let mut missing = Vec::new();
    let mut count = 0;
    for (i, line) in lines.iter().enumerate() {
        // A declaration starts at column 0 with its return type and names `mapi_...(`.
        if !line.starts_with(|c: char| c.is_ascii_alphabetic()) || line.starts_with("typedef") {
            continue;
        }
        let Some(paren) = line.find('(') else {
            continue;
        };
        let Some(open) = line[..paren].rfind("mapi_") else {
            continue;
        };
        let name = &line[open..paren];
        count += 1;
        let mut doc = String::new();
        let mut j = i;
        while j > 0 && lines[j - 1].starts_with("//") {
            j -= 1;
            doc.insert_str(0, lines[j]);
        }
        for word in ["Ownership", "Status", "Thread-safety"] {
            if !doc.contains(word) {
                missing.push(format!("{name}: no \"{word}\""));
            }
        }
        // A function that returns a status lists them; "Status: none" is for the others.
        let returns_status = line.starts_with("mapi_status ");
        if returns_status && (doc.contains("Status: none") || !doc.contains("MAPI_OK")) {
            missing.push(format!(
                "{name}: returns mapi_status but does not list MAPI_OK"
            ));
        }
        if !returns_status && doc.contains("MAPI_OK") && !doc.contains("Status: none") {
            missing.push(format!(
                "{name}: does not return mapi_status but lists statuses"
            ));
        }
    }
    assert!(count >= 76, "only {count} functions found in the header");
    assert!(
        missing.is_empty(),
        "{} gaps:\n{}",
        missing.len(),
        missing.join("\n")
    );
}
