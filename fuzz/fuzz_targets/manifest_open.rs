//! Manifest text → session open. Any text either opens or fails with an error; nothing panics,
//! hangs or reads out of bounds. Seed corpus: every reference manifest (scripts/fuzz.sh).
//! Relative paths resolve in the reference directory, so the seeds' files are found.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use messageapi::{OpenOptions, Session};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let reference = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/reference/messageapi"
    ));
    let options = OpenOptions {
        root: Some(reference.to_path_buf()),
        standard: None,
        dead_letters: None,
        check_only: false,
    };
    match Session::from_json_with(text, Some(reference), &options) {
        Ok(session) => {
            // An opened session describes itself and validates a blank record.
            let blank = session.new_record();
            for reason in session.validate(&blank) {
                assert!(!reason.is_empty(), "an empty rejection reason");
            }
        }
        Err(e) => assert!(!e.message().is_empty(), "an error without a message"),
    }
});
