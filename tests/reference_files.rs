//! The repository's own copy of the original project's reference files is complete and
//! unchanged (tests/reference/PROVENANCE.md): every file listed in SHA256SUMS has that checksum,
//! and every file there is listed.

use std::path::Path;
use std::process::Command;

#[test]
fn reference_copy_matches_its_checksums() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference");
    let out = Command::new("sha256sum")
        .args(["--check", "--strict", "../SHA256SUMS"])
        .current_dir(dir.join("messageapi"))
        .output()
        .expect("sha256sum (coreutils) runs");
    assert!(
        out.status.success(),
        "reference files differ from SHA256SUMS:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    let listed: std::collections::BTreeSet<&str> = listed
        .lines()
        .filter_map(|l| l.split_once("  ").map(|(_, p)| p))
        .collect();
    let mut present = std::collections::BTreeSet::new();
    let mut stack = vec![dir.join("messageapi")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir.join("messageapi")).unwrap();
                present.insert(rel.to_string_lossy().into_owned());
            }
        }
    }
    let present: std::collections::BTreeSet<&str> = present.iter().map(String::as_str).collect();
    assert_eq!(present, listed, "files present vs. listed in SHA256SUMS");
    assert_eq!(listed.len(), 64);
    assert!(listed.contains("LICENSE"));
}
