//! Bad input never panics: every node of a manifest replaced by values of every other shape,
//! reference manifests truncated anywhere, junk JSON input. Each gives a session or an error.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use messageapi::Session;
use serde_json::{json, Value};

fn base() -> Value {
    json!({
        "fields": [
            {"id": "a", "type": "string", "required": true, "value": "x"},
            {"id": "n", "type": "integer", "required": false},
            {"id": "l", "type": "list(int)", "required": false},
            {"id": "t", "type": "datetime", "required": false}
        ],
        "conditions": [
            {"id": "c1", "type": "comparison", "operator": "=", "field": "a", "value": "x"},
            {"id": "c2", "type": "comparison", "operator": "in", "field": "n", "value": [1, 2]},
            {"id": "c3", "type": "composite", "operator": "or", "conditions": ["c1", "c2"]}
        ],
        "collections": [
            {"id": "x", "fields": ["a", "n"], "classifiers": {"k": ["v"]}, "conditions": ["c1"]},
            {"id": "y", "fields": ["l", "t"]}
        ],
        "transformations": [
            {"id": "j", "operator": "join", "constructor": {"join-field": "a", "collection-field": "kids"},
             "records": {"parent": {"COLLECTION": "x"}, "child": {"CLASSIFIER": ["k", "v"]}}},
            {"id": "r", "operator": "reduce", "records": {"reduce-list": {"TRANSFORMATION": "j"}, "u": "UUID"}}
        ],
        "endpoints": [
            {"plugin": "evaluation", "connections": [
                {"id": "e", "collections": ["x"], "classifiers": {"k": "*"}, "transformations": ["r"], "fields": ["a"]}]},
            {"plugin": "file-reader", "connections": [{"id": "f", "collections": "*", "constructor": {"file-fields": "a"}}]}
        ]
    })
}

fn paths(v: &Value, here: Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let mut p = here.clone();
                p.push(PathStep::Key(k.clone()));
                paths(x, p, out);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                let mut p = here.clone();
                p.push(PathStep::Index(i));
                paths(x, p, out);
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn at<'a>(v: &'a mut Value, path: &[PathStep]) -> &'a mut Value {
    path.iter().fold(v, |v, step| match step {
        PathStep::Key(k) => &mut v[k.as_str()],
        PathStep::Index(i) => &mut v[*i],
    })
}

/// Opens, submits a record, waits: must not panic, must not hang.
fn exercise(manifest: &str) {
    let result = catch_unwind(AssertUnwindSafe(|| {
        if let Ok(session) = Session::from_json(manifest, None) {
            let mut req = session.request();
            let r = req.add_record();
            let _ = r.set("a", messageapi::Value::string("/nonexistent"));
            let _ = r.set_condition("c1", messageapi::Value::string("/nonexistent"));
            let resp = req.submit();
            resp.wait(Some(std::time::Duration::from_secs(10)))
                .expect("the response completes");
        }
    }));
    assert!(result.is_ok(), "panic for manifest {manifest}");
}

#[test]
fn every_node_replaced_by_every_shape() {
    let shapes = [
        json!(null),
        json!(0),
        json!(-1.5),
        json!(""),
        json!("*"),
        json!("UUID"),
        json!([]),
        json!({}),
        json!(true),
        json!([null]),
        json!({"id": null}),
        json!(["*"]),
        json!(18446744073709551615u64),
    ];
    let base = base();
    let mut all = Vec::new();
    paths(&base, Vec::new(), &mut all);
    let mut cases = 0;
    for path in &all {
        for shape in &shapes {
            let mut m = base.clone();
            *at(&mut m, path) = shape.clone();
            exercise(&m.to_string());
            cases += 1;
        }
        // and the node removed
        if let Some((last, parent)) = path.split_last() {
            let mut m = base.clone();
            match (at(&mut m, parent), last) {
                (Value::Object(o), PathStep::Key(k)) => {
                    o.remove(k);
                }
                (Value::Array(a), PathStep::Index(i)) => {
                    a.remove(*i);
                }
                _ => {}
            }
            exercise(&m.to_string());
            cases += 1;
        }
    }
    assert!(cases > 1000, "{cases} cases");
}

#[test]
fn truncated_reference_manifests_fail_cleanly() {
    common::register_stand_ins();
    let dir = common::reference_dir();
    for rel in [
        "sessions/email-smtp-test.json",
        "file-reader/manifest.json",
        "ams/parameters.json",
        "basic-native/parameters.json",
    ] {
        let text = std::fs::read_to_string(dir.join(rel)).unwrap();
        for cut in (0..text.len()).step_by(7) {
            let r = catch_unwind(AssertUnwindSafe(|| {
                Session::from_json(&text[..cut], Some(&common::reference_root()))
            }));
            assert!(r.is_ok(), "panic for {rel} cut at {cut}");
        }
    }
}

#[test]
fn junk_json_input_is_refused_without_panic() {
    let session = Session::from_json(&base().to_string(), None).unwrap();
    let junk = [
        "",
        "\n\n",
        "{",
        "}",
        "[",
        "[{]",
        "{\"a\": }",
        "{\"a\": \"\\ud800\"}",
        "{\"a\": 1e999}",
        "\u{feff}{}",
        "{\"n\": 1.5}",
        "{\"l\": [1, \"x\"]}",
        "{\"l\": [[1]]}",
        "{\"t\": \"2019-13-45\"}",
        "[1, 2]",
        "[{}, 3]",
        "null",
        "\"text\"",
        "{\"a\": \"x\"} {\"a\": \"y\"}",
        "{\"a\": \"x\"}\n{\"zzz\": 1}",
        "{\"n\": -9223372036854775809}",
    ];
    for text in junk {
        let mut req = session.request();
        let r = catch_unwind(AssertUnwindSafe(|| req.add_json(text)));
        assert!(r.is_ok(), "panic for {text:?}");
    }
}

/// Numbers read from JSON are the doubles their text denotes, correctly rounded, and write
/// back as text that reads to the same double (found by the json_lines fuzz target: without
/// serde_json's `float_roundtrip`, "1.13e+304" read as 1.1300000000000002e+304).
#[test]
fn json_numbers_read_exactly_and_round_trip() {
    let session = Session::from_json(
        r#"{"fields": [{"id": "d", "type": "double", "required": false},
                       {"id": "j", "type": "json", "required": false}],
            "collections": [{"id": "c", "fields": ["d", "j"]}], "endpoints": []}"#,
        None,
    )
    .unwrap();
    let cases = [
        ("1.13e+304", 1.13e304_f64),
        ("11300e300", 1.13e304),
        ("0.1", 0.1),
        ("2.2250738585072014e-308", 2.2250738585072014e-308),
        ("9007199254740993", 9007199254740992.0),
        ("1.7976931348623157e308", f64::MAX),
        ("5e-324", 5e-324),
    ];
    for (text, want) in cases {
        let records = session
            .read_json(&format!(r#"{{"d": {text}, "j": {text}}}"#))
            .unwrap();
        let r = &records[0];
        assert_eq!(
            r.get_double("d").unwrap().to_bits(),
            want.to_bits(),
            "{text}"
        );
        let mut out = Vec::new();
        messageapi::write_record(r, &mut out);
        let again = session
            .read_json(std::str::from_utf8(&out).unwrap())
            .unwrap();
        assert_eq!(
            again[0].get_double("d").unwrap().to_bits(),
            want.to_bits(),
            "{text}"
        );
        assert_eq!(again[0].to_json(), r.to_json(), "{text}");
    }
}
