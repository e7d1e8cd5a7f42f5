//! File endpoints and JSON input: what ends up on disk, what comes back, what is rejected.

mod common;

use std::sync::Arc;

use common::*;
use messageapi::{Error, Record, Session, Value};
use serde_json::json;

fn writer_session(path: &std::path::Path, mode: &str, fsync: bool) -> Session {
    let m = json!({
        "fields": [
            {"id": "station", "type": "string", "required": true},
            {"id": "n", "type": "integer", "required": false},
            {"id": "temp", "type": "double", "required": false},
            {"id": "ok", "type": "boolean", "required": false},
            {"id": "at", "type": "datetime", "required": false},
            {"id": "ints", "type": "list(int)", "required": false},
            {"id": "reals", "type": "list(double)", "required": false},
            {"id": "names", "type": "list(string)", "required": false},
            {"id": "extra", "type": "json", "required": false}
        ],
        "collections": [{"id": "obs", "fields": ["station", "n", "temp", "ok", "at", "ints", "reals", "names", "extra"]}],
        "endpoints": [{"plugin": "file-writer", "connections": [
            {"id": "out", "collections": ["obs"], "constructor": {"path": path.to_str().unwrap(), "mode": mode, "fsync": fsync}}]}]
    });
    Session::from_json(&m.to_string(), None).unwrap()
}

fn fill(r: &mut Record, i: i64) {
    r.set("station", s(&format!("K{i:03} \"quoted\" \u{e9}")))
        .unwrap();
    r.set("n", Value::Integer(i64::MAX - i)).unwrap();
    r.set("temp", Value::Double(-3.25 + i as f64)).unwrap();
    r.set("ok", Value::Boolean(i % 2 == 0)).unwrap();
    r.set(
        "at",
        Value::parse_datetime("2019-05-06T12:30:45.5+02:00").unwrap(),
    )
    .unwrap();
    r.set("ints", Value::IntList(vec![i, -i, 0].into()))
        .unwrap();
    r.set("reals", Value::DoubleList(vec![0.1, 1e300].into()))
        .unwrap();
    r.set(
        "names",
        Value::StringList(vec!["a".into(), "b\nc".into()].into()),
    )
    .unwrap();
    r.set(
        "extra",
        Value::Json(Arc::new(json!({"nested": [1, {"x": null}]}))),
    )
    .unwrap();
}

#[test]
fn file_writer_round_trip_keeps_every_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let session = writer_session(&path, "truncate", true);
    let mut req = session.request();
    for i in 0..3 {
        fill(req.add_record(), i);
    }
    req.add_record().set("station", s("nulls")).unwrap();
    let resp = req.submit();
    let out = resp.wait(None).unwrap();
    assert_eq!(out.rejections.len(), 0);
    assert_eq!(
        out.records.len(),
        4,
        "output records are the records written"
    );

    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(text.ends_with('\n'));
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(
        first,
        json!({"station": "K000 \"quoted\" \u{e9}", "n": i64::MAX, "temp": -3.25, "ok": true,
               "at": "2019-05-06T12:30:45.500+02:00", "ints": [0, 0, 0], "reals": [0.1, 1e300],
               "names": ["a", "b\nc"], "extra": {"nested": [1, {"x": null}]}})
    );
    // Field order on disk is schema order.
    assert!(lines[0].starts_with("{\"station\":"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(lines[3]).unwrap(),
        json!({"station": "nulls", "n": null, "temp": null, "ok": null, "at": null, "ints": null, "reals": null, "names": null, "extra": null})
    );

    // Read back through JSON Lines input: every value survives, datetimes compare equal.
    let mut back = session.request();
    assert_eq!(back.add_json(&text).unwrap(), 4);
    for i in 0..4 {
        let a = req.record(i).unwrap();
        let b = back.record(i).unwrap();
        assert_eq!(a.values(), b.values(), "record {i}");
    }

    // Truncate mode: a new request starts the file again; a resubmit appends to it.
    let mut again = session.request();
    fill(again.add_record(), 9);
    again.submit().wait(None).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
    again.submit().wait(None).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
}

#[test]
fn file_writer_appends_by_default_and_rejects_on_write_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl");
    std::fs::write(&path, "{\"existing\":true}\n").unwrap();
    let session = writer_session(&path, "append", false);
    for _ in 0..2 {
        let mut req = session.request();
        req.add_record().set("station", s("A")).unwrap();
        assert_eq!(req.submit().wait(None).unwrap().records.len(), 1);
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);

    let bad = dir.path().join("no/such/dir/out.jsonl");
    let session = writer_session(&bad, "append", false);
    let mut req = session.request();
    req.add_record().set("station", s("A")).unwrap();
    req.add_record().set("station", s("B")).unwrap();
    let resp = req.submit();
    let out = resp.wait(None).unwrap();
    assert_eq!(out.records.len(), 0);
    assert_eq!(out.rejections.len(), 2);
    let reason = &out.rejections[1].reasons[0];
    assert!(
        reason.starts_with(&format!("connection out: cannot write {}: ", bad.display())),
        "{reason}"
    );
    assert!(reason.contains("No such file or directory"), "{reason}");
    assert_eq!(get_str(&out.rejections[1].record, "station"), "B");
}

fn reader_session() -> Session {
    let m = json!({
        "fields": [{"id": "path", "type": "string", "required": true}, {"id": "alt", "type": "string", "required": false}],
        "collections": [{"id": "files", "fields": ["path", "alt"], "classifiers": {"kind": "text"}}],
        "endpoints": [{"plugin": "file-reader", "connections": [
            {"id": "read", "collections": ["files"], "constructor": {"file-fields": ["path", "alt"]}},
            {"id": "by-label", "classifiers": {"kind": "text"}, "constructor": {"file-fields": "path"}, "fields": ["container-id", "value"]}
        ]}]
    });
    Session::from_json(&m.to_string(), None).unwrap()
}

#[test]
fn file_reader_emits_all_default_fields_and_rejects_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.txt");
    std::fs::write(&a, "first\r\nsecond\rthird\n\nünï").unwrap();
    let missing = dir.path().join("missing.txt");
    let session = reader_session();
    let mut req = session.request();
    let r = req.add_record();
    r.set("path", s(a.to_str().unwrap())).unwrap();
    r.set("alt", s(missing.to_str().unwrap())).unwrap();
    let resp = req.submit();
    let out = resp.wait(None).unwrap();
    // connection read: 5 lines; by-label: 5 lines
    assert_eq!(out.records.len(), 10);
    let r0 = &out.records[0];
    assert_eq!(
        field_names(r0),
        [
            "value",
            "length",
            "file",
            "container-type",
            "container-id",
            "number"
        ]
    );
    assert_eq!(get_str(r0, "file"), a.to_str().unwrap());
    assert_eq!(get_str(r0, "container-type"), "collection");
    assert_eq!(get_str(r0, "container-id"), "files");
    let values: Vec<String> = out.records[..5]
        .iter()
        .map(|r| get_str(r, "value"))
        .collect();
    assert_eq!(values, ["first", "second", "third", "", "ünï"]);
    assert_eq!(
        get_int(&out.records[4], "length"),
        3,
        "length counts characters"
    );
    assert_eq!(get_int(&out.records[4], "number"), 4);
    let labelled = &out.records[5];
    assert_eq!(field_names(labelled), ["value", "container-id"]);
    assert_eq!(get_str(labelled, "container-id"), "kind.text");
    assert_eq!(out.rejections.len(), 1);
    let reason = &out.rejections[0].reasons[0];
    assert!(
        reason.starts_with(&format!(
            "connection read: cannot read {}: ",
            missing.display()
        )) && reason.contains("No such file or directory"),
        "{reason}"
    );
    assert_eq!(
        get_str(&out.rejections[0].record, "alt"),
        missing.to_str().unwrap()
    );
}

#[test]
fn json_lines_input_is_all_or_nothing_and_names_the_line() {
    let session = reader_session();
    let mut req = session.request();
    assert_eq!(
        req.add_json("{\"path\": \"/a\"}\n\n{\"path\": \"/b\", \"alt\": null}\n")
            .unwrap(),
        2
    );
    assert_eq!(
        req.add_json("[{\"path\": \"/c\"}, {\"path\": \"/d\"}]")
            .unwrap(),
        2
    );
    assert_eq!(
        req.add_json("{\n  \"path\": \"/e\"\n}").unwrap(),
        1,
        "one object over several lines"
    );
    assert_eq!(req.len(), 5);

    let bad_syntax = "{\"path\": \"/x\"}\n{\"path\": \"/y\"\n{\"path\": \"/z\"}";
    let err = req.add_json(bad_syntax).unwrap_err();
    assert!(matches!(err, Error::Json(_)), "{err:?}");
    assert!(err.message().starts_with("line 2: "), "{err}");

    let unknown = "{\"path\": \"/x\"}\n{\"path\": \"/y\"}\n{\"paht\": \"/z\"}";
    let err = req.add_json(unknown).unwrap_err();
    assert!(matches!(err, Error::UnknownField(_)));
    assert_eq!(err.message(), "line 3: unknown field \"paht\"");

    let mismatch = "{\"path\": 5}";
    let err = req.add_json(mismatch).unwrap_err();
    assert!(matches!(err, Error::TypeMismatch(_)));
    assert_eq!(
        err.message(),
        "line 1: field \"path\" is string, cannot take JSON number"
    );

    let not_object = "{\"path\": \"/x\"}\n[1]";
    assert_eq!(
        req.add_json(not_object).unwrap_err().message(),
        "line 2: expected a JSON object, found a list"
    );
    assert_eq!(req.len(), 5, "nothing added by failed calls");
}
