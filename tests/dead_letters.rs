//! Dead letters (every rejected record, with reasons, stage and connection, handed to the
//! session's dead-letter connection before the response completes) and the statistics a
//! session reports, from Rust. The C, Fortran, Python and Kafka forms have their own tests.

mod common;

use std::sync::Arc;

use messageapi::registry::register_endpoint;
use messageapi::FnEndpoint;
use messageapi::Stage;
use messageapi::{Session, Value};
use serde_json::{json, Value as Json};

/// A plug-in that rejects records with an odd `n` and returns the others.
fn register_odd_rejecter() {
    register_endpoint(
        "test-odd-rejecter",
        Arc::new(FnEndpoint(|call: &mut messageapi::EndpointCall<'_>| {
            let records: Vec<_> = call.records().to_vec();
            for r in records {
                let n = match r.get("n") {
                    Ok(Value::Integer(n)) => *n,
                    _ => 0,
                };
                if n % 2 == 1 {
                    call.reject(r, format!("odd number {n}"))
                } else {
                    call.add_record(r)
                }
            }
            Ok(())
        })),
    )
    .unwrap();
}

/// Dead-letter sinks: one refuses letters whose record has n = 3, one fails outright.
fn register_sinks() {
    register_endpoint(
        "test-picky-sink",
        Arc::new(FnEndpoint(|call: &mut messageapi::EndpointCall<'_>| {
            let letters: Vec<_> = call.records().to_vec();
            for d in letters {
                let n = match d.get("record") {
                    Ok(Value::Json(j)) => j["n"].as_i64(),
                    _ => None,
                };
                if n == Some(3) {
                    call.reject(d, "disk quota exceeded");
                } else {
                    call.add_record(d);
                }
            }
            Ok(())
        })),
    )
    .unwrap();
    register_endpoint(
        "test-broken-sink",
        Arc::new(FnEndpoint(|_call: &mut messageapi::EndpointCall<'_>| {
            Err(messageapi::Error::Endpoint("the archive is offline".into()))
        })),
    )
    .unwrap();
}

fn manifest(dead_letters: Json) -> String {
    json!({
        "fields": [{"id": "n", "type": "integer", "required": true},
                   {"id": "name", "type": "string", "required": false}],
        "conditions": [{"id": "small", "type": "comparison", "operator": "<", "field": "n"}],
        "collections": [{"id": "c", "fields": ["n", "name"]}],
        "endpoints": [{"plugin": "test-odd-rejecter", "connections": [{"id": "checker", "collections": ["c"]}]}],
        "dead-letters": dead_letters
    })
    .to_string()
}

/// Submits n = 0..6 (1, 3 and 5 rejected by the plug-in), n = 500 (fails its condition n < 100),
/// and
/// a record without n (required).
fn submit(session: &Session) -> messageapi::Response {
    let mut req = session.request();
    for n in 0..6 {
        let r = req.add_record();
        r.set("n", Value::Integer(n)).unwrap();
        r.set("name", Value::string(&format!("r{n}"))).unwrap();
    }
    let big = req.add_record();
    big.set("n", Value::Integer(500)).unwrap();
    big.set_condition("small", Value::Integer(100)).unwrap();
    req.add_record()
        .set("name", Value::string("nameless"))
        .unwrap();
    req.submit_and_wait().unwrap()
}

fn lines(path: &std::path::Path) -> Vec<Json> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn every_rejection_is_a_dead_letter_line_with_its_stage_reasons_and_connection() {
    register_odd_rejecter();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dead.jsonl");
    let session = Session::from_json(
        &manifest(
            json!({"plugin": "file-writer", "constructor": {"path": path.to_str().unwrap()}}),
        ),
        None,
    )
    .unwrap();
    let resp = submit(&session);
    let out = resp.wait(None).unwrap();
    assert_eq!(out.records.len(), 3);
    // The response still lists every rejection, with its stage and connection.
    let stages: Vec<(Stage, Option<&str>)> = out
        .rejections
        .iter()
        .map(|r| (r.stage, r.connection.as_deref()))
        .collect();
    assert_eq!(
        stages,
        [
            (Stage::Required, None),
            (Stage::Condition, None),
            (Stage::Endpoint, Some("checker")),
            (Stage::Endpoint, Some("checker")),
            (Stage::Endpoint, Some("checker")),
        ]
    );
    let dead = lines(&path);
    assert_eq!(dead.len(), 5, "{dead:?}");
    assert_eq!(dead[0]["record"], json!({"n": null, "name": "nameless"}));
    assert_eq!(
        dead[0]["reasons"],
        json!(["Required field n was missing a value."])
    );
    assert_eq!(dead[0]["stage"], "required");
    assert_eq!(dead[0]["connection"], Json::Null);
    assert_eq!(dead[1]["record"]["n"], 500);
    assert_eq!(dead[1]["stage"], "condition");
    assert_eq!(
        dead[1]["reasons"],
        json!(["The record fields were invalidated against specified conditions."])
    );
    for (d, n) in dead[2..].iter().zip([1, 3, 5]) {
        assert_eq!(d["record"], json!({"n": n, "name": format!("r{n}")}));
        assert_eq!(d["reasons"], json!([format!("odd number {n}")]));
        assert_eq!(d["stage"], "endpoint");
        assert_eq!(d["connection"], "checker");
    }
    // The time is when it was dead-lettered, in UTC.
    let t = dead[0]["time"].as_str().unwrap();
    assert!(
        t.starts_with("20") && (t.ends_with('Z') || t.ends_with("+00:00")),
        "{t}"
    );
    let keys: Vec<&String> = dead[2].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["record", "reasons", "stage", "connection", "time"]);

    // A resubmit appends (stream mode keeps the writer).
    drop(resp);
    submit(&session);
    assert_eq!(lines(&path).len(), 10);

    // Statistics: two submits of 8 records.
    let s = session.stats();
    assert_eq!(s["submits"], 2);
    assert_eq!(s["records_submitted"], 16);
    assert_eq!(s["records_accepted"], 12);
    assert_eq!(
        s["records_rejected"],
        json!({"required": 2, "condition": 2, "endpoint": 6, "internal": 0})
    );
    assert_eq!(s["records_returned"], 6);
    assert_eq!(s["records_dead_lettered"], 10);
    assert_eq!(s["dead_letter_failures"], 0);
    assert_eq!(s["submit_latency_seconds"]["count"], 2);
    let max = s["submit_latency_seconds"]["max"].as_f64().unwrap();
    let p50 = s["submit_latency_seconds"]["p50"].as_f64().unwrap();
    assert!(max > 0.0 && p50 > 0.0 && p50 <= max, "{s}");
    let conns = s["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 2);
    assert_eq!(conns[0]["id"], "checker");
    assert_eq!(conns[0]["records_routed"], 12);
    assert_eq!(conns[0]["records_returned"], 6);
    assert_eq!(conns[0]["records_rejected"], 6);
    assert_eq!(conns[0]["errors"], 0);
    assert_eq!(conns[1]["id"], "dead-letters");
    assert_eq!(conns[1]["dead_letter"], true);
    assert_eq!(conns[1]["records_routed"], 10);
    assert_eq!(
        conns[1]["bytes_sent"].as_u64().unwrap(),
        std::fs::metadata(&path).unwrap().len()
    );
    let prom = session.stats_prometheus();
    for line in [
        "messageapi_records_submitted_total 16",
        "messageapi_records_rejected_total{stage=\"condition\"} 2",
        "messageapi_records_dead_lettered_total 10",
        "messageapi_connection_records_rejected_total{connection=\"checker\",endpoint=\"test-odd-rejecter\"} 6",
        "messageapi_connection_records_routed_total{connection=\"dead-letters\",endpoint=\"file-writer\",dead_letter=\"true\"} 10",
        "# TYPE messageapi_submit_latency_seconds summary",
        "messageapi_submit_latency_seconds_count 2",
    ] {
        assert!(prom.lines().any(|l| l == line), "no {line:?} in\n{prom}");
    }
}

#[test]
fn without_dead_letters_rejections_stay_in_the_response_only() {
    register_odd_rejecter();
    let session = Session::from_json(&manifest(Json::Null), None).unwrap();
    let resp = submit(&session);
    assert_eq!(resp.rejections().len(), 5);
    assert!(!session.connections().iter().any(|c| c.dead_letters));
    let s = session.stats();
    assert_eq!(s["records_dead_lettered"], 0);
    assert_eq!(s["connections"].as_array().unwrap().len(), 1);
}

#[test]
fn a_dead_letter_the_sink_refuses_says_so_in_its_rejection() {
    register_odd_rejecter();
    register_sinks();
    let session = Session::from_json(
        &manifest(json!({"plugin": "test-picky-sink", "id": "archive"})),
        None,
    )
    .unwrap();
    let resp = submit(&session);
    let rejections = resp.rejections();
    assert_eq!(
        rejections.len(),
        5,
        "not one more: the sink's refusal is not a rejection of its own"
    );
    for r in rejections {
        let n = r.record.get("n").ok().and_then(|v| match v {
            Value::Integer(n) => Some(*n),
            _ => None,
        });
        if n == Some(3) {
            assert_eq!(
                r.reasons,
                [
                    "odd number 3".to_string(),
                    "dead letter not written: disk quota exceeded".to_string()
                ]
            );
        } else {
            assert_eq!(r.reasons.len(), 1, "{:?}", r.reasons);
        }
    }
    let s = session.stats();
    assert_eq!(s["records_dead_lettered"], 4);
    assert_eq!(s["dead_letter_failures"], 1);
}

#[test]
fn a_failing_dead_letter_sink_is_reported_on_every_rejection_and_never_loops() {
    register_odd_rejecter();
    register_sinks();
    let session =
        Session::from_json(&manifest(json!({"plugin": "test-broken-sink"})), None).unwrap();
    let resp = submit(&session);
    let rejections = resp.rejections();
    assert_eq!(rejections.len(), 5);
    for r in rejections {
        assert_eq!(
            r.reasons.last().unwrap(),
            "dead letter not written: connection dead-letters: the archive is offline",
            "{:?}",
            r.reasons
        );
        assert_eq!(r.reasons.len(), 2);
    }
    // (The broken sink's failure was not dead-lettered again: five rejections, two reasons.)
    let s = session.stats();
    assert_eq!(s["records_dead_lettered"], 0);
    assert_eq!(s["dead_letter_failures"], 5);
    assert_eq!(s["connections"][1]["errors"], 1);
}

#[test]
fn a_file_writer_that_cannot_write_reports_each_dead_letter() {
    register_odd_rejecter();
    let session = Session::from_json(
        &manifest(json!({"plugin": "file-writer",
                         "constructor": {"path": "/nonexistent-dir/dead.jsonl"}})),
        None,
    )
    .unwrap();
    let resp = submit(&session);
    for r in resp.rejections() {
        let last = r.reasons.last().unwrap();
        assert!(
            last.starts_with("dead letter not written: connection dead-letters: cannot write /nonexistent-dir/dead.jsonl"),
            "{last}"
        );
    }
}

#[test]
fn dead_letters_are_checked_at_open() {
    for (dl, want) in [
        (
            json!({"plugin": "kafka-consumer", "constructor": {"topics": "t"}}),
            "cannot take dead letters",
        ),
        (
            json!({"plugin": "no-such-sink"}),
            "unknown endpoint plugin \"no-such-sink\"",
        ),
        (
            json!({"plugin": "file-writer"}),
            "constructor.path: required",
        ),
        (
            json!({"plugin": "file-writer", "id": "checker", "constructor": {"path": "x"}}),
            "duplicate connection id \"checker\"",
        ),
        // A string is a path to the entry's JSON, as for every part of a manifest.
        (json!("no-such-file.json"), "dead-letters: cannot read"),
        (
            json!(["file-writer"]),
            "dead-letters: missing required key \"plugin\"",
        ),
    ] {
        register_odd_rejecter();
        let err = Session::from_json(&manifest(dl.clone()), None).unwrap_err();
        assert!(err.to_string().contains(want), "{dl}: {err}");
    }
}

#[test]
fn an_empty_submit_and_a_clean_one_write_no_dead_letters() {
    register_odd_rejecter();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dead.jsonl");
    let session = Session::from_json(
        &manifest(
            json!({"plugin": "file-writer", "constructor": {"path": path.to_str().unwrap()}}),
        ),
        None,
    )
    .unwrap();
    let mut req = session.request();
    req.submit_and_wait().unwrap();
    req.add_record().set("n", Value::Integer(2)).unwrap();
    let out = req.submit_and_wait().unwrap();
    assert!(out.rejections().is_empty());
    assert!(!path.exists(), "no rejection, no file");
    assert_eq!(session.stats()["records_dead_lettered"], 0);
}
