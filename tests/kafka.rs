//! Kafka endpoints against a real broker (tansu on 127.0.0.1), cross-checked with an
//! independent client (kafka-python).

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::broker::{free_port, python_consume, python_produce, Broker};
use messageapi::{Session, Value};
use serde_json::json;

fn session(m: serde_json::Value) -> Session {
    Session::from_json(&m.to_string(), None).unwrap_or_else(|e| panic!("{e}"))
}

fn obs_manifest(endpoints: serde_json::Value) -> serde_json::Value {
    json!({
        "plugin": "sequential",
        "constructor": {
            "schema": {"plugin": "default", "constructor": {
                "metadata": {"id": "observations", "version": 2},
                "fields": [
                    {"id": "station", "type": "string", "required": true},
                    {"id": "seq", "type": "integer", "required": true},
                    {"id": "temp", "type": "double", "required": false},
                    {"id": "topic", "type": "string", "required": false}],
                "conditions": [{"id": "warm", "type": "comparison", "operator": ">", "field": "temp", "value": 20.0}]}},
            "container": {"plugin": "default", "constructor": {"collections": [
                {"id": "obs", "fields": ["station", "seq", "temp", "topic"]}]}},
            "protocol": {"plugin": "default", "constructor": {"endpoints": endpoints}}
        }
    })
}

/// Log lines that mention `needle`, collected while the test runs.
fn capture_log(needle: &'static str) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    messageapi::log::set_sink(Some(Arc::new(move |level, msg: &str| {
        if msg.contains(needle) && level <= messageapi::log::Level::Warn {
            sink.lock().unwrap().push(msg.to_string());
        }
    })));
    lines
}

#[test]
fn produce_10000_and_read_them_back_byte_identical_with_kafka_python() {
    let Some(broker) = Broker::memory() else {
        return;
    };
    let m = obs_manifest(
        json!([{"plugin": "kafka-producer", "connections": [{"id": "to-kafka", "collections": ["obs"],
        "fields": ["station", "seq", "temp"],
        "constructor": {"topic": "observations", "create-topic": true, "bootstrap.servers": broker.bootstrap, "key-field": "station"}}]}]),
    );
    let session = session(m);
    let mut req = session.request();
    for i in 0..10_000 {
        let r = req.add_record();
        r.set("station", Value::string(&format!("K{:03}", i % 7)))
            .unwrap();
        r.set("seq", Value::Integer(i)).unwrap();
        r.set("temp", Value::Double(i as f64 / 8.0)).unwrap();
    }
    let resp = req.submit();
    let out = resp.wait(Some(Duration::from_secs(120))).unwrap();
    assert_eq!(
        out.rejections.len(),
        0,
        "{:?}",
        out.rejections.first().map(|r| &r.reasons)
    );
    assert_eq!(out.records.len(), 10_000);
    let first = &out.records[0];
    let names: Vec<&str> = first
        .layout()
        .fields()
        .iter()
        .map(|f| f.id.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "station",
            "seq",
            "temp",
            "kafka-topic",
            "kafka-partition",
            "kafka-offset"
        ]
    );
    assert_eq!(common::get_str(first, "kafka-topic"), "observations");

    let seen = python_consume(&broker.bootstrap, "observations", 10_000, 90);
    assert_eq!(seen.len(), 10_000);
    let by_position: HashMap<(i64, i64), &common::broker::Seen> =
        seen.iter().map(|s| ((s.partition, s.offset), s)).collect();
    for r in &out.records {
        let s = by_position[&(
            common::get_int(r, "kafka-partition"),
            common::get_int(r, "kafka-offset"),
        )];
        let expected = json!({"station": common::get_str(r, "station"), "seq": common::get_int(r, "seq"), "temp": r.get("temp").unwrap().to_json()}).to_string();
        assert_eq!(String::from_utf8(s.value.clone()).unwrap(), expected);
        assert_eq!(
            s.key.as_deref(),
            Some(common::get_str(r, "station").as_bytes())
        );
        assert_eq!(
            s.headers,
            vec![("messageapi-schema".to_string(), b"observations:2".to_vec())]
        );
    }
}

#[test]
fn consume_python_messages_with_a_filter_in_both_formats() {
    let Some(broker) = Broker::memory() else {
        return;
    };
    broker.create_topic("readings", 1);
    let payloads: Vec<String> = (0..20)
        .map(|i| json!({"station": format!("K{i}"), "seq": i, "temp": 10.0 + i as f64}).to_string())
        .chain([
            "{not json".to_string(),
            json!({"station": "X", "seq": "wrong type"}).to_string(),
        ])
        .collect();
    let messages: Vec<(Option<&str>, &str, Option<i32>)> = payloads
        .iter()
        .map(|p| (Some("k"), p.as_str(), None))
        .collect();
    python_produce(&broker.bootstrap, "readings", &messages);

    let json_consumer = obs_manifest(
        json!([{"plugin": "kafka-consumer", "connections": [{"id": "warm-readings",
        "constructor": {"topics": "readings", "group.id": "filtering", "filter": ["warm"], "bootstrap.servers": broker.bootstrap,
                        "timeout-ms": 10000}}]}]),
    );
    let session = session(json_consumer);
    let mut req = session.request();
    let resp = req.submit();
    let out = resp.wait(Some(Duration::from_secs(30))).unwrap();
    // temp > 20: seq 11..=19
    let seqs: Vec<i64> = out
        .records
        .iter()
        .map(|r| common::get_int(r, "seq"))
        .collect();
    assert_eq!(seqs, (11..20).collect::<Vec<_>>());
    let r = &out.records[0];
    assert_eq!(common::get_str(r, "kafka-topic"), "readings");
    assert_eq!(common::get_int(r, "kafka-offset"), 11);
    assert!(common::get_int(r, "kafka-timestamp") > 1_600_000_000_000);
    assert_eq!(
        out.rejections.len(),
        2,
        "invalid payloads are rejections, not silent drops"
    );
    assert_eq!(
        common::get_str(&out.rejections[0].record, "payload"),
        "{not json"
    );
    assert!(out.rejections[0].reasons[0].starts_with(
        "connection warm-readings: message readings/0/20 is not valid JSON for the schema: "
    ));
    assert!(
        out.rejections[1].reasons[0].contains("field \"seq\" is integer, cannot take JSON string"),
        "{:?}",
        out.rejections[1].reasons
    );

    let raw = obs_manifest(
        json!([{"plugin": "kafka-consumer", "connections": [{"id": "raw-readings",
        "constructor": {"topics": ["readings"], "group.id": "raw", "format": "raw", "bootstrap.servers": broker.bootstrap,
                        "timeout-ms": 10000, "max-records": 100}}]}]),
    );
    let session = self::session(raw);
    let mut req = session.request();
    let resp = req.submit();
    let out = resp.wait(Some(Duration::from_secs(30))).unwrap();
    assert_eq!(out.records.len(), 22);
    assert_eq!(common::get_str(&out.records[20], "value"), "{not json");
    assert_eq!(common::get_str(&out.records[0], "key"), "k");
    assert_eq!(out.rejections.len(), 0);
}

#[test]
fn topic_field_and_key_field_route_each_record() {
    let Some(broker) = Broker::memory() else {
        return;
    };
    broker.create_topic("north", 1);
    broker.create_topic("south", 1);
    let m = obs_manifest(
        json!([{"plugin": "kafka-producer", "connections": [{"id": "router", "collections": ["obs"],
        "constructor": {"topic-field": "topic", "key-field": "seq", "bootstrap.servers": broker.bootstrap}}]}]),
    );
    let session = session(m);
    let mut req = session.request();
    for i in 0..10 {
        let r = req.add_record();
        r.set("station", Value::string("KILX")).unwrap();
        r.set("seq", Value::Integer(i)).unwrap();
        r.set(
            "topic",
            Value::string(if i % 2 == 0 { "north" } else { "south" }),
        )
        .unwrap();
    }
    let resp = req.submit();
    let out = resp.wait(Some(Duration::from_secs(60))).unwrap();
    assert_eq!(
        out.records.len(),
        10,
        "{:?}",
        out.rejections.first().map(|r| &r.reasons)
    );
    let north = python_consume(&broker.bootstrap, "north", 5, 30);
    let south = python_consume(&broker.bootstrap, "south", 5, 30);
    assert_eq!(
        north
            .iter()
            .map(|s| s.key.clone().unwrap())
            .collect::<Vec<_>>(),
        ["0", "2", "4", "6", "8"].map(|k| k.as_bytes().to_vec())
    );
    assert_eq!(south.len(), 5);
    assert!(String::from_utf8_lossy(&south[0].value).contains("\"topic\":\"south\""));
}

#[test]
fn resubmits_stream_in_order_while_earlier_batches_await_delivery() {
    let Some(broker) = Broker::memory() else {
        return;
    };
    broker.create_topic("ordered", 1);
    let m = obs_manifest(
        json!([{"plugin": "kafka-producer", "connections": [{"id": "p", "collections": ["obs"],
        "constructor": {"topic": "ordered", "bootstrap.servers": broker.bootstrap}}]}]),
    );
    let session = session(m);
    let mut req = session.request();
    // Eight batches on one request, none awaited before the next is submitted: each submit
    // sends while the earlier ones wait for their delivery reports.
    let mut responses = Vec::new();
    for b in 0..8i64 {
        for i in 0..1000 {
            let r = req.add_record();
            r.set("station", Value::string("KILX")).unwrap();
            r.set("seq", Value::Integer(b * 1000 + i)).unwrap();
        }
        responses.push(if b % 2 == 0 {
            req.submit_and_clear()
        } else {
            let r = req.submit();
            req.clear();
            r
        });
        assert!(req.is_empty());
    }
    responses
        .last()
        .unwrap()
        .wait(Some(Duration::from_secs(60)))
        .unwrap();
    // Responses of one request complete in submit order.
    assert!(responses.iter().all(|r| r.is_complete()));
    let mut expected = 0i64;
    for resp in &responses {
        let out = resp.wait(None).unwrap();
        assert_eq!(
            out.rejections.len(),
            0,
            "{:?}",
            out.rejections.first().map(|r| &r.reasons)
        );
        assert_eq!(out.records.len(), 1000);
        for r in &out.records {
            // One partition, an empty topic: offsets are the sequence numbers, in order.
            assert_eq!(common::get_int(r, "seq"), expected);
            assert_eq!(common::get_int(r, "kafka-offset"), expected);
            assert_eq!(common::get_int(r, "kafka-partition"), 0);
            expected += 1;
        }
    }
    let read = python_consume(&broker.bootstrap, "ordered", 8000, 60);
    let read_seqs: Vec<i64> = read
        .iter()
        .map(|m| {
            serde_json::from_slice::<serde_json::Value>(&m.value).unwrap()["seq"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(read_seqs, (0..8000).collect::<Vec<_>>());
}

#[test]
fn keyless_records_spread_over_partitions_and_keyed_ones_stay_on_theirs() {
    let Some(broker) = Broker::memory() else {
        return;
    };
    broker.create_topic("spread", 3);
    let m = obs_manifest(
        json!([{"plugin": "kafka-producer", "connections": [{"id": "p", "collections": ["obs"],
        "constructor": {"topic": "spread", "key-field": "topic", "bootstrap.servers": broker.bootstrap}}]}]),
    );
    let session = session(m);
    let mut req = session.request();
    let mut keyless = HashSet::new();
    let mut keyed: HashMap<String, HashSet<i64>> = HashMap::new();
    for b in 0..12i64 {
        for i in 0..2000 {
            let r = req.add_record();
            r.set("station", Value::string("KILX")).unwrap();
            r.set("seq", Value::Integer(b * 2000 + i)).unwrap();
            // Every third record keyed ("A" or "B"), the others keyless (null key field).
            if i % 3 == 0 {
                r.set("topic", Value::string(if i % 2 == 0 { "A" } else { "B" }))
                    .unwrap();
            }
        }
        let out = req.submit_and_clear();
        let out = out.wait(Some(Duration::from_secs(60))).unwrap();
        assert_eq!(
            out.records.len(),
            2000,
            "{:?}",
            out.rejections.first().map(|r| &r.reasons)
        );
        for r in &out.records {
            let p = common::get_int(r, "kafka-partition");
            assert!((0..3).contains(&p), "partition {p}");
            match r.get("topic").unwrap() {
                Value::String(k) => {
                    keyed.entry(k.to_string()).or_default().insert(p);
                }
                _ => {
                    keyless.insert(p);
                }
            }
        }
        if b == 0 {
            // The partition count is fetched in the background after the first batch.
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    // Keys hash to one partition each; keyless records go to every partition over time.
    assert_eq!(keyed["A"].len(), 1, "{keyed:?}");
    assert_eq!(keyed["B"].len(), 1, "{keyed:?}");
    assert!(
        keyless.len() >= 2,
        "keyless records all went to {keyless:?}"
    );

    // With sticky.partitioning.linger.ms set, librdkafka places every record as configured:
    // ten minutes of stickiness keep all keyless records of this test on one partition.
    let m = obs_manifest(
        json!([{"plugin": "kafka-producer", "connections": [{"id": "p", "collections": ["obs"],
        "constructor": {"topic": "spread", "key-field": "topic", "sticky.partitioning.linger.ms": 600000,
                        "bootstrap.servers": broker.bootstrap}}]}]),
    );
    let session = self::session(m);
    let mut req = session.request();
    let mut used = HashSet::new();
    for b in 0..4i64 {
        for i in 0..2000 {
            let r = req.add_record();
            r.set("station", Value::string("KILX")).unwrap();
            r.set("seq", Value::Integer(b * 2000 + i)).unwrap();
        }
        let out = req.submit_and_clear();
        let out = out.wait(Some(Duration::from_secs(60))).unwrap();
        assert_eq!(out.records.len(), 2000);
        // The first batch is sent while librdkafka learns the partitions (its sticky choice
        // may move once then).
        if b > 0 {
            used.extend(
                out.records
                    .iter()
                    .map(|r| common::get_int(r, "kafka-partition")),
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(used.len(), 1, "{used:?}");
}

#[test]
fn delivery_to_a_missing_topic_is_rejected_with_the_reason() {
    let Some(broker) = Broker::memory() else {
        return;
    };
    let m = obs_manifest(
        json!([{"plugin": "kafka-producer", "connections": [{"id": "nowhere", "collections": ["obs"],
        "constructor": {"topic": "no-such-topic", "bootstrap.servers": broker.bootstrap, "message.timeout.ms": 2000}}]}]),
    );
    let session = session(m);
    let mut req = session.request();
    for i in 0..3 {
        let r = req.add_record();
        r.set("station", Value::string("KILX")).unwrap();
        r.set("seq", Value::Integer(i)).unwrap();
    }
    let resp = req.submit();
    let out = resp.wait(Some(Duration::from_secs(20))).unwrap();
    assert_eq!(out.records.len(), 0);
    assert_eq!(out.rejections.len(), 3);
    for r in &out.rejections {
        assert!(
            r.reasons[0]
                .starts_with("connection nowhere: delivery to topic no-such-topic failed: "),
            "{:?}",
            r.reasons
        );
    }
}

#[test]
fn broker_down_completes_in_time_rejects_everything_and_warns_once() {
    let log = capture_log("connection down-link");
    let port = free_port();
    let m = obs_manifest(
        json!([{"plugin": "kafka-producer", "connections": [{"id": "down-link", "collections": ["obs"],
        "constructor": {"topic": "t", "bootstrap.servers": format!("127.0.0.1:{port}"), "message.timeout.ms": 2000}}]},
        {"plugin": "kafka-consumer", "connections": [{"id": "down-link-consumer",
        "constructor": {"topics": "t", "bootstrap.servers": format!("127.0.0.1:{port}"), "timeout-ms": 1000}}]}]),
    );
    let session = session(m);
    let mut req = session.request();
    for i in 0..50 {
        let r = req.add_record();
        r.set("station", Value::string("KILX")).unwrap();
        r.set("seq", Value::Integer(i)).unwrap();
    }
    let started = Instant::now();
    let resp = req.submit();
    let out = resp.wait(Some(Duration::from_secs(10))).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(out.records.len(), 0);
    assert_eq!(out.rejections.len(), 50);
    assert!(out
        .rejections
        .iter()
        .all(|r| r.reasons[0].starts_with("connection down-link: delivery to topic t failed: ")));
    assert!(
        out.rejections[0].reasons[0].contains("timed out"),
        "{}",
        out.rejections[0].reasons[0]
    );
    let warnings: Vec<String> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains("connection down-link:"))
        .cloned()
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    // Closing does not wait for librdkafka to time out messages already answered for (it
    // purges them): without that, a second went by here before the session was gone.
    let closing = Instant::now();
    drop(req);
    drop(session);
    assert!(
        closing.elapsed() < Duration::from_millis(500),
        "closing took {:?}",
        closing.elapsed()
    );
}

#[test]
fn a_broker_restart_mid_stream_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut broker) = Broker::sqlite(dir.path()) else {
        return;
    };
    broker.create_topic("durable", 1);
    let m = obs_manifest(
        json!([{"plugin": "kafka-producer", "connections": [{"id": "durable", "collections": ["obs"],
        "constructor": {"topic": "durable", "bootstrap.servers": broker.bootstrap, "message.timeout.ms": 15000}}]}]),
    );
    let session = session(m);
    let mut req = session.request();
    let mut responses = Vec::new();
    for batch in 0..6 {
        req.clear();
        for i in 0..50 {
            let r = req.add_record();
            r.set("station", Value::string("KILX")).unwrap();
            r.set("seq", Value::Integer(batch * 50 + i)).unwrap();
        }
        responses.push(req.submit());
        if batch == 2 {
            responses.last().unwrap().wait(None).unwrap();
            broker.stop();
        }
        if batch == 3 {
            std::thread::sleep(Duration::from_secs(1));
            broker.restart();
        }
    }
    let mut delivered = HashSet::new();
    let mut rejected = 0;
    for resp in &responses {
        let out = resp.wait(Some(Duration::from_secs(60))).unwrap();
        for r in &out.records {
            assert!(
                delivered.insert(common::get_int(r, "seq")),
                "reported delivered twice"
            );
        }
        rejected += out.rejections.len();
    }
    assert_eq!(
        delivered.len() + rejected,
        300,
        "every record is delivered or rejected"
    );
    let seen = python_consume(&broker.bootstrap, "durable", delivered.len(), 60);
    let mut on_broker = HashMap::new();
    for s in &seen {
        let v: serde_json::Value = serde_json::from_slice(&s.value).unwrap();
        *on_broker.entry(v["seq"].as_i64().unwrap()).or_insert(0) += 1;
    }
    assert!(
        on_broker.values().all(|&n| n == 1),
        "no duplicates on the broker"
    );
    for seq in &delivered {
        assert_eq!(
            on_broker.get(seq),
            Some(&1),
            "delivered record {seq} is on the broker once"
        );
    }
}

fn consumer_session(
    broker: &Broker,
    id: &str,
    topics: serde_json::Value,
    group: &str,
    max: i64,
    timeout: i64,
) -> Session {
    session(obs_manifest(
        json!([{"plugin": "kafka-consumer", "connections": [{"id": id,
        "constructor": {"topics": topics, "group.id": group, "bootstrap.servers": broker.bootstrap,
                        "timeout-ms": timeout, "max-records": max}}]}]),
    ))
}

fn seqs(out: &messageapi::Outcome) -> Vec<i64> {
    out.records
        .iter()
        .map(|r| common::get_int(r, "seq"))
        .collect()
}

fn produce_seqs(broker: &Broker, topic: &str, range: std::ops::Range<i64>) {
    let payloads: Vec<String> = range
        .map(|i| json!({"station": "K", "seq": i}).to_string())
        .collect();
    let messages: Vec<(Option<&str>, &str, Option<i32>)> =
        payloads.iter().map(|p| (None, p.as_str(), None)).collect();
    python_produce(&broker.bootstrap, topic, &messages);
}

#[test]
fn offsets_are_committed_only_after_the_caller_had_the_records() {
    let Some(broker) = Broker::memory() else {
        return;
    };
    broker.create_topic("alo", 1);
    produce_seqs(&broker, "alo", 0..5);
    // A consumer process receives the batch and is killed before it submits again. The
    // process is this test binary again, running `helper_consume_once` in helper mode.
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "helper_consume_once",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            "MAPI_KAFKA_HELPER",
            format!("{} alo alo-group", broker.bootstrap),
        )
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    {
        use std::io::BufRead;
        let reader = std::io::BufReader::new(child.stdout.take().unwrap());
        for line in reader.lines() {
            let line = line.unwrap();
            // libtest may print "test helper_consume_once ... " before the helper's first line.
            if line.ends_with("BATCH DONE") {
                break;
            }
            if let Some(at) = line.find("RECORD ") {
                lines.push(line[at + 7..].to_string());
            }
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(lines.len(), 5, "{lines:?}");
    // A new consumer in the group gets that batch again, once the killed member's session
    // (6 s) has expired.
    let session = consumer_session(
        &broker,
        "alo-in-process",
        json!("alo"),
        "alo-group",
        100,
        30000,
    );
    let mut req = session.request();
    let out = req.submit().wait(None).map(seqs).unwrap();
    assert_eq!(out, [0, 1, 2, 3, 4]);
    // Resubmitting commits them; the next batch is empty; a new request in the group starts after them.
    req.set_parameter("alo-in-process", "timeout-ms", json!(1500))
        .unwrap();
    assert_eq!(
        req.submit().wait(None).map(seqs).unwrap(),
        Vec::<i64>::new()
    );
    drop(req);
    produce_seqs(&broker, "alo", 5..7);
    let mut again = session.request();
    assert_eq!(again.submit().wait(None).map(seqs).unwrap(), [5, 6]);
}

#[test]
fn two_consumers_in_one_group_split_a_three_partition_topic() {
    let Some(broker) = Broker::memory() else {
        return;
    };
    broker.create_topic("split", 3);
    let session = consumer_session(
        &broker,
        "splitter",
        json!(["split"]),
        "split-group",
        500,
        2000,
    );
    // (partition, seq) received by each consumer
    type Received = [Vec<(i64, i64)>; 2];
    let got: Arc<Mutex<Received>> = Arc::new(Mutex::new([Vec::new(), Vec::new()]));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut threads = Vec::new();
    for who in 0..2 {
        let (session, got, stop) = (session.clone(), got.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            let mut req = session.request();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let resp = req.submit();
                let out = resp.wait(None).unwrap();
                got.lock().unwrap()[who].extend(out.records.iter().map(|r| {
                    (
                        common::get_int(r, "kafka-partition"),
                        common::get_int(r, "seq"),
                    )
                }));
            }
        }));
    }
    // Let both join and the group settle, then produce across the partitions.
    std::thread::sleep(Duration::from_secs(8));
    let payloads: Vec<String> = (0..300)
        .map(|i| json!({"station": "K", "seq": i}).to_string())
        .collect();
    let messages: Vec<(Option<&str>, &str, Option<i32>)> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| (None, p.as_str(), Some((i % 3) as i32)))
        .collect();
    python_produce(&broker.bootstrap, "split", &messages);
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let g = got.lock().unwrap();
        if g[0].len() + g[1].len() >= 300 {
            break;
        }
        drop(g);
        std::thread::sleep(Duration::from_millis(200));
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for t in threads {
        t.join().unwrap();
    }
    let g = got.lock().unwrap();
    let a: HashSet<i64> = g[0].iter().map(|x| x.1).collect();
    let b: HashSet<i64> = g[1].iter().map(|x| x.1).collect();
    assert_eq!(g[0].len() + g[1].len(), 300, "every message once");
    assert!(a.is_disjoint(&b), "no overlap");
    assert_eq!(a.union(&b).count(), 300);
    assert!(
        !a.is_empty() && !b.is_empty(),
        "both consumers got partitions: {} and {}",
        a.len(),
        b.len()
    );
    let pa: HashSet<i64> = g[0].iter().map(|x| x.0).collect();
    let pb: HashSet<i64> = g[1].iter().map(|x| x.0).collect();
    assert!(pa.is_disjoint(&pb), "partitions split: {pa:?} / {pb:?}");
}

#[test]
fn runtime_parameters_change_the_subscription() {
    let Some(broker) = Broker::memory() else {
        return;
    };
    broker.create_topic("first", 1);
    broker.create_topic("second", 1);
    produce_seqs(&broker, "first", 0..3);
    produce_seqs(&broker, "second", 100..102);
    let session = consumer_session(&broker, "switch", json!("first"), "switch-group", 100, 8000);
    let mut req = session.request();
    assert_eq!(req.submit().wait(None).map(seqs).unwrap(), [0, 1, 2]);
    req.set_parameter("switch", "topics", json!(["second"]))
        .unwrap();
    assert_eq!(req.submit().wait(None).map(seqs).unwrap(), [100, 101]);
    req.set_parameter("switch", "topics", json!([])).unwrap();
    req.set_parameter("switch", "timeout-ms", json!(500))
        .unwrap();
    produce_seqs(&broker, "second", 102..104);
    let started = Instant::now();
    assert_eq!(
        req.submit().wait(None).map(seqs).unwrap(),
        Vec::<i64>::new(),
        "unsubscribed: nothing"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(req.set_parameter("nope", "topics", json!([])).is_err());
}

/// Helper mode of this binary (MAPI_KAFKA_HELPER="BOOTSTRAP TOPIC GROUP"): joins the group,
/// submits once, prints the records, and waits to be killed without submitting again (so its
/// offsets are never committed). Not a test of its own: ignored, so the suite does not count it.
#[test]
#[ignore = "helper process of offsets_are_committed_only_after_the_caller_had_the_records"]
fn helper_consume_once() {
    let spec = std::env::var("MAPI_KAFKA_HELPER")
        .expect("helper mode only: MAPI_KAFKA_HELPER=\"BOOTSTRAP TOPIC GROUP\"");
    let parts: Vec<&str> = spec.split(' ').collect();
    let (bootstrap, topic, group) = (parts[0], parts[1], parts[2]);
    let manifest = json!({
        "fields": [{"id": "n", "type": "integer", "required": false}],
        "collections": [{"id": "c", "fields": ["n"]}],
        "endpoints": [{"plugin": "kafka-consumer", "connections": [{"id": "once", "constructor": {
            "topics": [topic], "group.id": group, "bootstrap.servers": bootstrap,
            "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000,
            "format": "raw", "timeout-ms": 20000, "max-records": 1000}}]}]
    });
    let session = session(manifest);
    let mut request = session.request();
    let response = request.submit();
    let outcome = response.wait(None).unwrap();
    for r in &outcome.records {
        println!(
            "RECORD {} {}",
            common::get_int(r, "kafka-offset"),
            common::get_str(r, "value")
        );
    }
    println!("BATCH DONE");
    std::thread::sleep(Duration::from_secs(120));
    drop(request);
}

/// A connection's `fields` narrowing shapes the message, not where it goes: `topic-field` and
/// `key-field` are read from the record as routed, even when the narrowing drops them.
#[test]
fn topic_and_key_fields_are_read_before_the_fields_narrowing() {
    let Some(broker) = Broker::memory() else {
        return;
    };
    broker.create_topic("nar-a", 1);
    broker.create_topic("nar-b", 1);
    let session = Session::from_json(
        &json!({
            "fields": [{"id": "body", "type": "json", "required": true},
                       {"id": "dest", "type": "string", "required": true}],
            "collections": [{"id": "c", "fields": ["body", "dest"]}],
            "endpoints": [{"plugin": "kafka-producer", "connections": [{"id": "p", "collections": ["c"],
                "fields": ["body"],
                "constructor": {"topic": "nar-a", "topic-field": "dest", "key-field": "dest",
                                "bootstrap.servers": broker.bootstrap}}]}]
        })
        .to_string(),
        None,
    )
    .unwrap();
    let mut req = session.request();
    for (n, dest) in [(1, "nar-a"), (2, "nar-b"), (3, "nar-b")] {
        let r = req.add_record();
        r.set("body", Value::Json(std::sync::Arc::new(json!({"n": n}))))
            .unwrap();
        r.set("dest", Value::string(dest)).unwrap();
    }
    let out = req.submit_and_wait().unwrap();
    assert!(out.rejections().is_empty());
    let a = python_consume(&broker.bootstrap, "nar-a", 1, 30);
    let b = python_consume(&broker.bootstrap, "nar-b", 2, 30);
    assert_eq!(a.len(), 1);
    assert_eq!(b.len(), 2);
    assert_eq!(String::from_utf8_lossy(&a[0].value), r#"{"body":{"n":1}}"#);
    assert_eq!(a[0].key.as_deref(), Some(&b"nar-a"[..]));
    assert_eq!(String::from_utf8_lossy(&b[1].value), r#"{"body":{"n":3}}"#);
}

/// Commit only after completion, with submits in flight: the consumer's process resubmits its
/// request while the first response waits on its dead letter, and is killed then (SIGKILL). A
/// new member of the group gets the whole batch again, the bad message included.
#[test]
fn a_pipelined_consumer_killed_before_its_response_completed_commits_nothing() {
    let Some(broker) = Broker::memory() else {
        return;
    };
    broker.create_topic("pipe", 1);
    common::broker::python_produce_lines(
        &broker.bootstrap,
        "pipe",
        &[
            json!({"value": r#"{"station": "K", "seq": 0}"#, "partition": 0}),
            json!({"value": "{not json", "partition": 0}),
            json!({"value": r#"{"station": "K", "seq": 2}"#, "partition": 0}),
        ],
    );
    let endpoint = |timeout: i64| {
        json!({"plugin": "kafka-consumer", "connections": [{"id": "in", "constructor": {
            "topics": "pipe", "group.id": "pipe-group", "bootstrap.servers": broker.bootstrap,
            "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000,
            "timeout-ms": timeout, "max-records": 10}}]})
    };
    common::delivery::run_and_kill_pipelined_child(
        "helper_pipelined_child",
        &endpoint(20000),
        Duration::from_secs(2),
    );
    let session = Session::from_json(
        &common::delivery::manifest(&endpoint(30000), serde_json::Value::Null),
        None,
    )
    .unwrap();
    let mut req = session.request();
    let response = req.submit();
    let out = response.wait(None).unwrap();
    assert_eq!(seqs(out), [0, 2]);
    assert_eq!(out.rejections.len(), 1);
    assert!(
        out.rejections[0].reasons[0].contains("message pipe/0/1 is not valid JSON"),
        "{:?}",
        out.rejections[0].reasons
    );
}

/// Helper mode of `a_pipelined_consumer_killed_before_its_response_completed_commits_nothing`.
#[test]
#[ignore = "helper process of a_pipelined_consumer_killed_before_its_response_completed_commits_nothing"]
fn helper_pipelined_child() {
    common::delivery::pipelined_child();
}
