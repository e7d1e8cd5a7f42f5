//! JSON Lines (or one object, or an array) → records of a schema with every field type.
//! Whatever reads must write back as JSON that reads again to the same records (the writer and
//! the reader agree), and the library's own JSON writer must agree with serde_json's.
#![no_main]

mod common;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use messageapi::Session;

fn session() -> &'static Session {
    static S: OnceLock<Session> = OnceLock::new();
    S.get_or_init(|| {
        Session::from_json(common::EVERY_TYPE_MANIFEST, None).expect("the fuzz manifest opens")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let session = session();
    let Ok(records) = session.read_json(text) else {
        return;
    };
    let mut lines = String::new();
    for record in &records {
        let mut ours = Vec::new();
        messageapi::write_record(record, &mut ours);
        let ours = String::from_utf8(ours).expect("the writer writes UTF-8");
        let parsed: serde_json::Value = serde_json::from_str(&ours)
            .unwrap_or_else(|e| panic!("unreadable output {ours:?}: {e}"));
        assert_eq!(
            parsed,
            record.to_json(),
            "the writer and to_json disagree on {ours}"
        );
        lines.push_str(&ours);
        lines.push('\n');
    }
    let again = session
        .read_json(&lines)
        .unwrap_or_else(|e| panic!("what was written does not read back: {e}\n{lines}"));
    assert_eq!(again.len(), records.len());
    for (a, b) in records.iter().zip(&again) {
        assert_eq!(
            a.to_json(),
            b.to_json(),
            "a record changed on the round trip"
        );
        // Validation is total: a reason for each missing required field at most.
        let reasons = session.validate(b);
        assert!(reasons.len() <= 1, "{reasons:?}");
    }
});
