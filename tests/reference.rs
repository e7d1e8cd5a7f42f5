//! The original project's manifests, parameter maps and behaviours.
#![allow(clippy::approx_constant)]

mod common;

use common::*;
use messageapi::{Error, OpenOptions, Session, Value};

fn open(rel: &str) -> Result<Session, Error> {
    register_stand_ins();
    Session::open(reference_dir().join(rel), Some(&reference_root()))
}

/// Every session manifest and parameter map: it loads, or fails with the right kind of error
/// and a message naming what is missing.
#[test]
fn every_reference_manifest_has_its_outcome() {
    enum Want {
        Loads,
        Fails(fn(&Error) -> bool, &'static str),
    }
    use Want::*;
    fn io(e: &Error) -> bool {
        matches!(e, Error::Io(_))
    }
    fn manifest(e: &Error) -> bool {
        matches!(e, Error::Manifest(_))
    }
    fn plugin(e: &Error) -> bool {
        matches!(e, Error::UnknownPlugin(_))
    }
    let cases: Vec<(&str, Want)> = vec![
        ("sessions/condition-test.json", Loads),
        ("sessions/email-smtp-test.json", Loads),
        ("sessions/sqlite-jdbc-clisam.json", Loads),
        ("sessions/sqlite-jdbc-clisam-parallel.json", Loads),
        ("file-reader/manifest.json", Loads),
        ("ftp-lister/manifest.json", Loads),
        // Names a native library at an absolute path of the original's build machine.
        (
            "basic-native/manifest.json",
            Fails(
                io_or_plugin,
                "/workspaces/messageapi/libs/test/c/endpoint/libEndpointDemo.so",
            ),
        ),
        (
            "file-reader-native/manifest.json",
            Fails(
                io,
                "/workspaces/messageapi/resources/test/file-reader-native/parameters.json",
            ),
        ),
        (
            "native-transformation/manifest.json",
            Fails(
                io_or_plugin,
                "/workspaces/messageapi/libs/test/c/transformation/libTransformationDemo.so",
            ),
        ),
        // ams names a field that its schema never had.
        (
            "ams/parameters.json",
            Fails(manifest, "conditions[0].field: unknown field \"file-path\""),
        ),
        (
            "basic-native/parameters.json",
            Fails(io_or_plugin, "libEndpointDemo.so"),
        ),
        // Component files, not parameter maps: no endpoints.
        (
            "file-reader-native/parameters.json",
            Fails(manifest, "missing required key \"endpoints\""),
        ),
        (
            "file-reader/parameters.json",
            Fails(manifest, "missing required key \"endpoints\""),
        ),
        (
            "file-reader/parameters_with_conds.json",
            Fails(manifest, "missing required key \"endpoints\""),
        ),
        (
            "ftp-lister/parameters.json",
            Fails(manifest, "missing required key \"endpoints\""),
        ),
        (
            "native-transformation/parameters.json",
            Fails(io_or_plugin, "libTransformationDemo.so"),
        ),
        ("ftp-lister/parameters_map_style.json", Loads),
        (
            "native-condition/parameters.json",
            Fails(
                io_or_plugin,
                "/workspaces/messageapi/libs/test/c/condition/libConditionDemo.so",
            ),
        ),
        ("file-reader/parameter_map_style.json", Loads),
        ("session_templates/parameters.json", Loads),
    ];
    fn io_or_plugin(e: &Error) -> bool {
        matches!(e, Error::Io(_) | Error::UnknownPlugin(_))
    }
    let _ = plugin;
    // Every file the issue names is covered.
    let dir = reference_dir();
    let mut listed: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(dir.join("sessions")).unwrap() {
        listed.push(format!(
            "sessions/{}",
            entry.unwrap().file_name().to_string_lossy()
        ));
    }
    for entry in std::fs::read_dir(&dir).unwrap() {
        let entry = entry.unwrap();
        if !entry.file_type().unwrap().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().to_string();
        for f in std::fs::read_dir(entry.path()).unwrap() {
            let f = f.unwrap().file_name().to_string_lossy().to_string();
            if f == "manifest.json" || (f.starts_with("parameters") && f.ends_with(".json")) {
                listed.push(format!("{name}/{f}"));
            }
        }
    }
    for l in &listed {
        assert!(
            cases.iter().any(|(c, _)| c == l),
            "reference file {l} has no expected outcome"
        );
    }
    for (rel, want) in cases {
        let got = open(rel);
        match (want, got) {
            (Loads, Ok(_)) => {}
            (Loads, Err(e)) => panic!("{rel} should load: {e}"),
            (Fails(_, _), Ok(_)) => panic!("{rel} should fail to open"),
            (Fails(kind, text), Err(e)) => {
                assert!(kind(&e), "{rel}: wrong kind of error: {e:?}");
                assert!(
                    e.message().contains(text),
                    "{rel}: message {:?} does not name {text:?}",
                    e.message()
                );
                assert!(
                    e.message().contains(rel.rsplit('/').next().unwrap())
                        || e.message().contains("/workspaces"),
                    "{rel}: message does not name a file: {e}"
                );
            }
        }
    }
}

fn cf6_request(session: &Session) -> messageapi::Response {
    let mut req = session.request();
    req.add_record()
        .set("file-path", s(&format!("{{}}/resources/test/{CF6}")))
        .unwrap();
    req.submit()
}

fn check_cf6(session: &Session) {
    let resp = cf6_request(session);
    let out = resp.wait(None).unwrap();
    assert_eq!(
        out.rejections.len(),
        0,
        "{:?}",
        out.rejections.first().map(|r| &r.reasons)
    );
    assert_eq!(out.records.len(), 79_794);
    for r in &out.records {
        assert_eq!(field_names(r), ["value", "length", "number"]);
    }
    let r100 = &out.records[100];
    assert_eq!(get_str(r100, "value"), "# LAST OF SEVERAL OCCURRENCES");
    assert_eq!(get_int(r100, "length"), 29);
    assert_eq!(get_int(r100, "number"), 100);
    let last = out.records.last().unwrap();
    assert_eq!(get_str(last, "value"), "[REMARKS]");
    assert_eq!(get_int(last, "number"), 79_793);
}

#[test]
fn cf6_through_the_original_manifest() {
    check_cf6(&open("file-reader/manifest.json").unwrap());
}

#[test]
fn cf6_through_the_parameter_map() {
    check_cf6(&open("file-reader/parameter_map_style.json").unwrap());
}

#[test]
fn simpletextfile_gives_seven_records() {
    let session = open("file-reader/manifest.json").unwrap();
    let mut req = session.request();
    req.add_record()
        .set(
            "file-path",
            s("{}/resources/test/inputs/file-reader/simpletextfile"),
        )
        .unwrap();
    let resp = req.submit();
    let out = resp.wait(None).unwrap();
    assert_eq!(out.rejections.len(), 0);
    let values: Vec<String> = out.records.iter().map(|r| get_str(r, "value")).collect();
    assert_eq!(values, ["Hi", "There", "User", "I", "Am", "A", "Test!"]);
}

#[test]
fn a_path_without_the_root_marker_drops_the_collection() {
    // The file-reader manifest's collection condition: file-path must contain "{}".
    let session = open("file-reader/manifest.json").unwrap();
    let mut req = session.request();
    let path = reference_dir().join("inputs/file-reader/simpletextfile");
    req.add_record()
        .set("file-path", s(path.to_str().unwrap()))
        .unwrap();
    let out = req.submit_and_wait().unwrap();
    let out = out.outcome().unwrap();
    assert_eq!(out.records.len(), 0);
    assert_eq!(out.rejections.len(), 0);
}

#[test]
fn email_session_rejects_required_first_then_conditions() {
    let session = open("sessions/email-smtp-test.json").unwrap();
    let mut req = session.request();
    type Row<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, Option<&'a str>);
    let rows: [Row; 5] = [
        (
            "sender1",
            "recipient1",
            "subject1",
            Some("body1"),
            Some("sender2"),
        ),
        ("sender2", "recipient2", "subject2", None, Some("sender5")),
        (
            "sender3",
            "recipient3",
            "subject3",
            Some("body3"),
            Some("sender3"),
        ),
        (
            "sender4",
            "recipient4",
            "subject4",
            Some("body4"),
            Some("sender4"),
        ),
        ("sender5", "recipient5", "subject5", Some("body5"), None),
    ];
    for (sender, recipient, subject, body, cond) in rows {
        let r = req.add_record();
        r.set("sender", s(sender)).unwrap();
        r.set("recipient", s(recipient)).unwrap();
        r.set("subject", s(subject)).unwrap();
        r.set("body", body.map_or(Value::Null, s)).unwrap();
        if let Some(c) = cond {
            r.set_condition("senderequals", s(c)).unwrap();
        }
    }
    let resp = req.submit();
    let out = resp.wait(None).unwrap();
    assert_eq!(out.rejections.len(), 2);
    assert_eq!(
        out.rejections[0].reasons,
        ["Required field body was missing a value."]
    );
    assert_eq!(get_str(&out.rejections[0].record, "sender"), "sender2");
    assert_eq!(
        out.rejections[1].reasons,
        ["The record fields were invalidated against specified conditions."]
    );
    assert_eq!(get_str(&out.rejections[1].record, "sender"), "sender1");
    // Records 3, 4 and 5 pass; each is factored into the two collections and routed to the one
    // connection ("*"), whose stand-in endpoint returns what it is routed.
    assert_eq!(out.records.len(), 6);
    let senders: Vec<String> = out.records.iter().map(|r| get_str(r, "sender")).collect();
    assert_eq!(
        senders,
        ["sender3", "sender3", "sender4", "sender4", "sender5", "sender5"]
    );
}

#[test]
fn condition_test_session_with_the_original_record() {
    let session = open("sessions/condition-test.json").unwrap();
    let mut req = session.request();
    let r = req.add_record();
    r.set("boolean-required", Value::Boolean(true)).unwrap();
    r.set("float-required", Value::Double(3.14159)).unwrap();
    r.set("double-required", Value::Double(5.234232342))
        .unwrap();
    r.set("integer-required", Value::Integer(42)).unwrap();
    r.set("string-required", s("test-string-value")).unwrap();
    r.set(
        "datetime-required",
        Value::parse_datetime("2019-05-06T12:00:00Z").unwrap(),
    )
    .unwrap();
    r.set_condition("string-required-equals-1", s("test-string-value1"))
        .unwrap();
    r.set_condition("string-required-equals-2", s("test-string-value"))
        .unwrap();
    r.set_condition("integer-required-less-than", Value::Integer(50))
        .unwrap();
    let resp = req.submit();
    let out = resp.wait(None).unwrap();
    assert_eq!(out.rejections.len(), 0);
    assert_eq!(out.records.len(), 6);
    // float keeps float precision
    assert_eq!(
        out.records[0].get("float-required").unwrap(),
        &Value::Double(3.14159f32 as f64)
    );
}

#[test]
fn condition_test_session_rejects_a_failing_nested_condition() {
    let session = open("sessions/condition-test.json").unwrap();
    let mut req = session.request();
    let r = req.add_record();
    r.set("boolean-required", Value::Boolean(true)).unwrap();
    r.set("float-required", Value::Double(1.0)).unwrap();
    r.set("double-required", Value::Double(2.0)).unwrap();
    r.set("integer-required", Value::Integer(42)).unwrap();
    r.set("string-required", s("x")).unwrap();
    r.set("datetime-required", s("2019-05-06T12:00:00Z"))
        .unwrap_err();
    r.set(
        "datetime-required",
        Value::parse_datetime("2019-05-06").unwrap(),
    )
    .unwrap();
    // or(equals-1, equals-2) fails; integer < 50 passes: AND of the top level fails.
    r.set_condition("string-required-equals-1", s("a")).unwrap();
    r.set_condition("string-required-equals-2", s("b")).unwrap();
    r.set_condition("integer-required-less-than", Value::Integer(50))
        .unwrap();
    let out = req.submit_and_wait().unwrap();
    let out = out.outcome().unwrap();
    assert_eq!(out.records.len(), 0);
    assert_eq!(out.rejections.len(), 1);
    assert_eq!(
        out.rejections[0].reasons,
        ["The record fields were invalidated against specified conditions."]
    );
}

#[test]
fn session_templates_expand_their_placeholders() {
    register_stand_ins();
    let dir = reference_dir().join("session_templates");
    for t in [
        "standard_session.json",
        "sequential_session.json",
        "parallel_session.json",
    ] {
        let err = Session::open(dir.join(t), Some(&reference_root())).unwrap_err();
        assert!(matches!(err, Error::Manifest(_)), "{err:?}");
        assert!(err.message().contains("{_standard_}"), "{err}");
        let opts = OpenOptions {
            root: Some(reference_root()),
            standard: Some(dir.join("parameters.json")),
            ..Default::default()
        };
        let session = Session::open_with(dir.join(t), &opts).unwrap();
        assert_eq!(session.fields()[0].id.as_str(), "file-path");
        let mut req = session.request();
        req.add_record()
            .set(
                "file-path",
                s("{}/resources/test/inputs/file-reader/simpletextfile"),
            )
            .unwrap();
        let out = req.submit_and_wait().unwrap();
        assert_eq!(out.records().unwrap().len(), 7);
    }
}

#[test]
fn clisam_sessions_load_with_their_dangling_transformation_input() {
    let session = open("sessions/sqlite-jdbc-clisam.json").unwrap();
    assert_eq!(session.collections().len(), 2);
    assert_eq!(session.conditions().len(), 6);
    assert!(session.root().exists());
}

#[test]
fn unknown_keys_are_ignored_and_reported() {
    // The original's file-reader manifest has a stray "conditionsblahblah" key.
    let session = open("file-reader/manifest.json").unwrap();
    let w = session.warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].ends_with("manifest.json: constructor.schema.constructor: unknown key \"conditionsblahblah\" (ignored)"), "{}", w[0]);
    assert!(open("sessions/email-smtp-test.json")
        .unwrap()
        .warnings()
        .is_empty());
}
