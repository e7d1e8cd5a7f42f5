//! Dead letters and Kafka, against a real broker: a kafka-producer dead-letter connection
//! sends each rejected record's JSON with Kafka Connect style `__connect.errors.*` headers
//! (read back by kafka-python), and a consumer's payload that does not fit the schema becomes a
//! dead letter with its raw bytes and coordinates, its offset processed.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::broker::{python_consume, python_produce_lines, Broker};
use messageapi::registry::register_endpoint;
use messageapi::FnEndpoint;
use messageapi::{Session, Value};
use serde_json::{json, Value as Json};

fn header<'a>(m: &'a common::broker::Seen, name: &str) -> Option<&'a str> {
    m.headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| std::str::from_utf8(v).unwrap())
}

#[test]
fn rejections_go_to_a_dead_letter_topic_with_connect_style_headers() {
    let Some(broker) = Broker::memory() else {
        return;
    };
    broker.create_topic("dlq", 1);
    register_endpoint(
        "test-refuse-cold",
        Arc::new(FnEndpoint(|call: &mut messageapi::EndpointCall<'_>| {
            for r in call.records().to_vec() {
                if common::get_int(&r, "temp") < 0 {
                    call.reject(r, "below freezing: sensor fault");
                } else {
                    call.add_record(r);
                }
            }
            Ok(())
        })),
    )
    .unwrap();
    let session = Session::from_json(
        &json!({
            "fields": [{"id": "station", "type": "string", "required": true},
                       {"id": "temp", "type": "integer", "required": true}],
            "collections": [{"id": "obs", "fields": ["station", "temp"]}],
            "endpoints": [{"plugin": "test-refuse-cold", "connections": [{"id": "qc", "collections": ["obs"]}]}],
            "dead-letters": {"plugin": "kafka-producer", "constructor": {
                "topic": "dlq", "bootstrap.servers": broker.bootstrap,
                "statistics.interval.ms": 100}}
        })
        .to_string(),
        None,
    )
    .unwrap();
    let mut req = session.request();
    for (station, temp) in [("KORD", 5), ("KMDW", -3), ("KLOT", 12)] {
        let r = req.add_record();
        r.set("station", Value::string(station)).unwrap();
        r.set("temp", Value::Integer(temp)).unwrap();
    }
    req.add_record().set("temp", Value::Integer(1)).unwrap(); // no station
    let resp = req.submit_and_wait().unwrap();
    assert_eq!(resp.records().unwrap().len(), 2);
    assert_eq!(resp.rejections().len(), 2);
    for r in resp.rejections() {
        assert_eq!(r.reasons.len(), 1, "written: {:?}", r.reasons);
    }
    let seen = python_consume(&broker.bootstrap, "dlq", 2, 30);
    assert_eq!(seen.len(), 2);
    let required = &seen[0];
    assert_eq!(
        serde_json::from_slice::<Json>(&required.value).unwrap(),
        json!({"station": null, "temp": 1})
    );
    assert_eq!(header(required, "__connect.errors.stage"), Some("required"));
    assert_eq!(
        header(required, "__connect.errors.exception.message"),
        Some("Required field station was missing a value.")
    );
    assert_eq!(header(required, "__connect.errors.connector.name"), None);
    assert_eq!(header(required, "__connect.errors.topic"), None);
    let cold = &seen[1];
    assert_eq!(
        serde_json::from_slice::<Json>(&cold.value).unwrap(),
        json!({"station": "KMDW", "temp": -3})
    );
    assert_eq!(header(cold, "__connect.errors.stage"), Some("endpoint"));
    assert_eq!(header(cold, "__connect.errors.connector.name"), Some("qc"));
    assert_eq!(
        header(cold, "__connect.errors.exception.message"),
        Some("below freezing: sensor fault")
    );
    let t = header(cold, "__messageapi.errors.time").unwrap();
    assert!(t.starts_with("20"), "{t}");
    let s = session.stats();
    assert_eq!(s["records_dead_lettered"], 2);
    assert!(s["connections"][1]["bytes_sent"].as_u64().unwrap() > 0);
    // librdkafka's own statistics (statistics.interval.ms), as it sends them.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let s = session.stats();
        let l = &s["connections"][1]["librdkafka"];
        if l["type"] == "producer" {
            // (The latest it delivered: librdkafka hands statistics over when the client is
            // polled, which a producer is while it sends.)
            assert_eq!(l["topics"]["dlq"]["topic"], "dlq", "{l}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no librdkafka statistics: {s}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_payload_that_does_not_fit_becomes_a_dead_letter_with_raw_bytes_and_coordinates() {
    let Some(broker) = Broker::memory() else {
        return;
    };
    broker.create_topic("obs-in", 1);
    broker.create_topic("obs-dlq", 1);
    // Offsets 0..5: good, not JSON, good, not UTF-8, wrong type.
    python_produce_lines(
        &broker.bootstrap,
        "obs-in",
        &[
            json!({"value": r#"{"station": "KORD", "temp": 5}"#, "partition": 0}),
            json!({"value": "{not json", "partition": 0}),
            json!({"value": r#"{"station": "KLOT", "temp": 7}"#, "partition": 0}),
            json!({"value_b64": "/v8A", "partition": 0}),
            json!({"value": r#"{"station": "KMDW", "temp": "warm"}"#, "partition": 0}),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dead.jsonl");
    let manifest = |dead: Json| {
        json!({
            "fields": [{"id": "station", "type": "string", "required": true},
                       {"id": "temp", "type": "integer", "required": true}],
            "collections": [{"id": "obs", "fields": ["station", "temp"]}],
            "endpoints": [{"plugin": "kafka-consumer", "connections": [{"id": "in", "constructor": {
                "topics": "obs-in", "group.id": "dlq-test", "bootstrap.servers": broker.bootstrap,
                "timeout-ms": 3000, "max-records": 5}}]}],
            "dead-letters": dead
        })
        .to_string()
    };
    let session = Session::from_json(
        &manifest(
            json!({"plugin": "file-writer", "constructor": {"path": file.to_str().unwrap()}}),
        ),
        None,
    )
    .unwrap();
    let mut req = session.request();
    let resp = req.submit();
    let out = resp.wait(Some(Duration::from_secs(60))).unwrap();
    assert_eq!(out.records.len(), 2);
    assert_eq!(out.rejections.len(), 3, "still listed in the response");
    let dead: Vec<Json> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(dead.len(), 3);
    for (d, (offset, raw, encoding)) in dead.iter().zip([
        (1, "{not json", None),
        (3, "/v8A", Some("base64")),
        (4, r#"{"station": "KMDW", "temp": "warm"}"#, None),
    ]) {
        assert_eq!(d["record"], Json::Null, "{d}");
        assert_eq!(d["raw"], raw, "{d}");
        assert_eq!(d["raw-encoding"].as_str(), encoding, "{d}");
        assert_eq!(d["source-topic"], "obs-in");
        assert_eq!(d["source-partition"], 0);
        assert_eq!(d["source-offset"], offset);
        assert_eq!(d["stage"], "endpoint");
        assert_eq!(d["connection"], "in");
        assert!(d["reasons"][0].as_str().unwrap().contains(&format!(
            "message obs-in/0/{offset} is not valid JSON for the schema"
        )));
    }
    // Their offsets count as processed: a resubmit commits them, and a new member of the
    // group reads nothing again.
    let resp = req.submit();
    let out = resp.wait(Some(Duration::from_secs(60))).unwrap();
    assert!(out.records.is_empty() && out.rejections.is_empty());
    let lag = &session.stats()["connections"][0]["consumer_lag"];
    assert_eq!(lag, &json!([{"topic": "obs-in", "partition": 0, "lag": 0}]));
    drop(req);
    let again = Session::from_json(&manifest(Json::Null), None).unwrap();
    let mut req = again.request();
    let out = req.submit_and_wait().unwrap();
    assert!(out.records().unwrap().is_empty() && out.rejections().is_empty());
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 3);

    // The same payloads to a Kafka dead-letter topic: the raw bytes as the value, the source
    // coordinates as Connect's headers.
    let to_kafka = Session::from_json(
        &manifest(json!({"plugin": "kafka-producer", "constructor": {
            "topic": "obs-dlq", "bootstrap.servers": broker.bootstrap}}))
        .replace("dlq-test", "dlq-test-2"),
        None,
    )
    .unwrap();
    let mut req = to_kafka.request();
    let resp = req.submit();
    let out = resp.wait(Some(Duration::from_secs(60))).unwrap();
    assert_eq!(out.rejections.len(), 3);
    let seen = python_consume(&broker.bootstrap, "obs-dlq", 3, 30);
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].value, b"{not json");
    assert_eq!(header(&seen[0], "__connect.errors.topic"), Some("obs-in"));
    assert_eq!(header(&seen[0], "__connect.errors.partition"), Some("0"));
    assert_eq!(header(&seen[0], "__connect.errors.offset"), Some("1"));
    assert_eq!(
        header(&seen[0], "__connect.errors.connector.name"),
        Some("in")
    );
    assert_eq!(header(&seen[0], "__messageapi.errors.raw.encoding"), None);
    // Bytes that are not UTF-8 travel as base64, and say so.
    assert_eq!(seen[1].value, b"/v8A");
    assert_eq!(
        header(&seen[1], "__messageapi.errors.raw.encoding"),
        Some("base64")
    );
    assert_eq!(header(&seen[2], "__connect.errors.offset"), Some("4"));
}

/// A dead letter that cannot be written keeps its message uncommitted, and so every later one
/// of the request (a later commit would cover it): a new member of the group reads them again.
#[test]
fn a_dead_letter_not_written_commits_nothing() {
    let Some(broker) = Broker::memory_for_groups() else {
        return;
    };
    broker.create_topic("dl-fail", 1);
    register_endpoint(
        "test-broken-sink",
        Arc::new(FnEndpoint(|_call: &mut messageapi::EndpointCall<'_>| {
            Err(messageapi::Error::Io("the disk is full".into()))
        })),
    )
    .unwrap();
    python_produce_lines(
        &broker.bootstrap,
        "dl-fail",
        &[
            json!({"value": r#"{"station": "KORD", "temp": 5}"#, "partition": 0}),
            json!({"value": "{not json", "partition": 0}),
        ],
    );
    let manifest = |dead: Json| {
        json!({
            "fields": [{"id": "station", "type": "string", "required": true},
                       {"id": "temp", "type": "integer", "required": true}],
            "collections": [{"id": "obs", "fields": ["station", "temp"]}],
            "endpoints": [{"plugin": "kafka-consumer", "connections": [{"id": "in", "constructor": {
                "topics": "dl-fail", "group.id": "dl-fail", "bootstrap.servers": broker.bootstrap,
                "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000,
                "timeout-ms": 20000, "max-records": 10}}]}],
            "dead-letters": dead
        })
        .to_string()
    };
    let session =
        Session::from_json(&manifest(json!({"plugin": "test-broken-sink"})), None).unwrap();
    let mut req = session.request();
    {
        let resp = req.submit();
        let out = resp.wait(Some(Duration::from_secs(60))).unwrap();
        assert_eq!(out.records.len(), 1);
        assert_eq!(out.rejections.len(), 1);
        assert!(
            out.rejections[0]
                .reasons
                .iter()
                .any(|r| r.contains("dead letter not written") && r.contains("the disk is full")),
            "{:?}",
            out.rejections[0].reasons
        );
    }
    drop(req);
    drop(session);
    let again = Session::from_json(&manifest(Json::Null), None).unwrap();
    let mut req = again.request();
    let resp = req.submit();
    let out = resp.wait(Some(Duration::from_secs(60))).unwrap();
    assert_eq!(out.records.len(), 1, "the good message again");
    assert_eq!(out.rejections.len(), 1, "the bad one again");
}
