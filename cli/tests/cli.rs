//! The `mapi` command line, on files and on a real broker.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::json;

/// `mapi ARGS`, quiet, with stdin, stdout and stderr piped (callers change what they need).
fn mapi_command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mapi"));
    c.args(args)
        .env("MAPI_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn mapi(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = mapi_command(args).spawn().unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .as_mut()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

fn writer_manifest(dir: &std::path::Path) -> std::path::PathBuf {
    let m = json!({
        "fields": [{"id": "station", "type": "string", "required": true},
                   {"id": "temp", "type": "double", "required": false}],
        "conditions": [{"id": "plausible", "type": "comparison", "operator": "<", "field": "temp", "value": 60.0}],
        "collections": [{"id": "obs", "fields": ["station", "temp"], "classifiers": {"kind": "surface"}}],
        "endpoints": [{"plugin": "file-writer", "connections": [{"id": "archive", "collections": ["obs"],
            "constructor": {"path": "{}/out.jsonl", "mode": "truncate"}}]}]
    });
    let p = dir.join("manifest.json");
    std::fs::write(&p, m.to_string()).unwrap();
    p
}

#[test]
fn version_and_check() {
    let out = mapi(&["version"], None);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout).trim(),
        format!(
            "mapi {v} (messageapi {v}, C ABI 1)",
            v = env!("CARGO_PKG_VERSION")
        )
    );

    let dir = tempfile::tempdir().unwrap();
    let m = writer_manifest(dir.path());
    let out = mapi(&["check", m.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for line in [
        "fields:",
        "  station: string, required",
        "  temp: double",
        "conditions:",
        "  plausible: temp < 60.0",
        "  obs: fields station, temp; classifiers kind=surface",
        "  archive (file-writer): lists collections obs",
        "    routed records of: obs",
    ] {
        assert!(s.lines().any(|l| l == line), "missing {line:?} in\n{s}");
    }

    // Keys the format does not have are listed, not fatal.
    let mut odd: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&m).unwrap()).unwrap();
    odd["fields"][0]["colour"] = json!("red");
    odd["extra"] = json!(1);
    let odd_path = dir.path().join("odd.json");
    std::fs::write(&odd_path, odd.to_string()).unwrap();
    let out = mapi(&["check", odd_path.to_str().unwrap()], None);
    assert!(out.status.success());
    let s = text(&out.stdout);
    assert!(s.contains("warnings:\n"), "{s}");
    assert!(
        s.contains("odd.json: unknown key \"extra\" (ignored)"),
        "{s}"
    );
    assert!(
        s.contains("odd.json: fields[0]: unknown key \"colour\" (ignored)"),
        "{s}"
    );

    std::fs::write(
        dir.path().join("bad.json"),
        json!({"fields": [{"id": "a", "type": "decimal"}], "collections": [], "endpoints": []})
            .to_string(),
    )
    .unwrap();
    let out = mapi(
        &["check", dir.path().join("bad.json").to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("bad.json: fields[0].type: unknown type \"decimal\""),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn send_json_lines_in_batches_with_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let m = writer_manifest(dir.path());
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"station\": \"KILX\", \"temp\": 21.5}\n{\"temp\": 3}\n{\"station\": \"KORD\", \"temp\": 99}\n{\"station\": \"KMDW\"}\n{\"station\": \"KSFO\", \"temp\": 18}\n",
    )
    .unwrap();
    // Condition values are per record and JSON input carries none: only required fields reject.
    let rej = dir.path().join("rejections.jsonl");
    let out = mapi(
        &[
            "send",
            m.to_str().unwrap(),
            "--records",
            input.to_str().unwrap(),
            "--rejections",
            rej.to_str().unwrap(),
            "--batch",
            "2",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout)
            .starts_with("sent 5 records in 3 batches: 4 records returned, 1 rejected ("),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        std::fs::read_to_string(&rej).unwrap(),
        "{\"record\":{\"station\":null,\"temp\":3.0},\"reasons\":[\"Required field station was missing a value.\"],\"stage\":\"required\",\"connection\":null}\n"
    );
    // Three submits on one request: the file was truncated once, then appended to.
    let written = std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap();
    assert_eq!(written.lines().count(), 4);
    assert!(written.starts_with("{\"station\":\"KILX\",\"temp\":21.5}\n"));

    // From stdin, an array, no rejections: exit 0.
    let out = mapi(
        // (`--message-file`, as Thoth's command line spells it.)
        &["send", m.to_str().unwrap(), "--message-file", "-"],
        Some("[{\"station\": \"A\"}, {\"station\": \"B\"}]"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout)
        .starts_with("sent 2 records in 1 batches: 2 records returned, 0 rejected"));

    // Bad input: exit 1, the message names the line.
    std::fs::write(&input, "{\"station\": \"A\"}\n{\"station\": 5}\n").unwrap();
    let out = mapi(
        &[
            "send",
            m.to_str().unwrap(),
            "--records",
            input.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .contains("in.jsonl: line 2: field \"station\" is string, cannot take JSON number"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn send_to_and_consume_from_a_broker() {
    let Some(broker) = common::broker::Broker::memory() else {
        return;
    };
    broker.create_topic("cli-topic", 1);
    let dir = tempfile::tempdir().unwrap();
    let producer = dir.path().join("producer.json");
    let consumer = dir.path().join("consumer.json");
    let fields = json!([{"id": "station", "type": "string", "required": true}, {"id": "seq", "type": "integer", "required": true}]);
    std::fs::write(
        &producer,
        json!({"fields": fields, "collections": [{"id": "c", "fields": ["station", "seq"]}],
        "endpoints": [{"plugin": "kafka-producer", "connections": [{"id": "p", "collections": ["c"],
            "constructor": {"topic": "cli-topic", "bootstrap.servers": broker.bootstrap}}]}]})
        .to_string(),
    )
    .unwrap();
    std::fs::write(&consumer, json!({"fields": fields, "collections": [{"id": "c", "fields": ["station", "seq"]}],
        "endpoints": [{"plugin": "kafka-consumer", "connections": [{"id": "k",
            "constructor": {"topics": "cli-topic", "bootstrap.servers": broker.bootstrap, "timeout-ms": 5000},
            "fields": ["seq", "station"]}]}]}).to_string()).unwrap();
    let records: String = (0..30)
        .map(|i| format!("{{\"station\": \"S{i}\", \"seq\": {i}}}\n"))
        .collect();
    let out = mapi(
        &[
            "send",
            producer.to_str().unwrap(),
            "--records",
            "-",
            "--batch",
            "7",
        ],
        Some(&records),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout)
        .starts_with("sent 30 records in 5 batches: 30 records returned, 0 rejected"));
    // A message that does not fit the schema: a dead letter with its coordinates.
    common::broker::python_produce(
        &broker.bootstrap,
        "cli-topic",
        &[(None, "{\"station\": 7}", Some(0))],
    );
    let dead = dir.path().join("dead.jsonl");
    let metrics = dir.path().join("consume.prom");
    let out = mapi(
        &[
            "consume",
            consumer.to_str().unwrap(),
            "--count",
            "40",
            "--dead-letter",
            dead.to_str().unwrap(),
            "--stats",
            "--metrics-file",
            metrics.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 30);
    assert_eq!(lines[3], "{\"station\":\"S3\",\"seq\":3}");
    let dead: Vec<serde_json::Value> = std::fs::read_to_string(&dead)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["raw"], "{\"station\": 7}");
    assert_eq!(dead[0]["source-offset"], 30);
    assert_eq!(dead[0]["connection"], "k");
    let err = text(&out.stderr);
    assert!(
        err.contains("rejected: connection k: message cli-topic/0/30 is not valid JSON"),
        "{err}"
    );
    // Connection k: nothing routed to it, 30 returned, 1 rejected, no error.
    assert!(
        err.lines().any(|l| l
            .split_whitespace()
            .collect::<Vec<_>>()
            .starts_with(&["k", "0", "30", "1", "0"])),
        "{err}"
    );
    assert!(err.contains("lag cli-topic/0: 0"), "{err}");
    let prom = std::fs::read_to_string(&metrics).unwrap();
    assert!(
        prom.contains("messageapi_records_dead_lettered_total 1\n"),
        "{prom}"
    );
    assert!(prom.contains(
        "messageapi_kafka_consumer_lag{connection=\"k\",endpoint=\"kafka-consumer\",topic=\"cli-topic\",partition=\"0\"} 0\n"
    ), "{prom}");
    assert!(
        prom.lines().any(|l| l
            .starts_with("messageapi_connection_received_bytes_total{connection=\"k\"")
            && !l.ends_with(" 0")),
        "{prom}"
    );
}

#[test]
fn send_with_dead_letters_stats_and_a_metrics_file() {
    let dir = tempfile::tempdir().unwrap();
    let m = writer_manifest(dir.path());
    let dead = dir.path().join("dead.jsonl");
    let metrics = dir.path().join("job.prom");
    let records =
        "{\"station\": \"KILX\", \"temp\": 21.5}\n{\"temp\": 3}\n{\"station\": \"KORD\"}\n";
    let args = [
        "send",
        m.to_str().unwrap(),
        "--records",
        "-",
        "--dead-letter",
        dead.to_str().unwrap(),
        "--stats",
        "--metrics-file",
        metrics.to_str().unwrap(),
    ];
    let out = mapi(&args, Some(records));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&dead)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["record"], json!({"station": null, "temp": 3.0}));
    assert_eq!(lines[0]["stage"], "required");
    let err = text(&out.stderr);
    for row in [
        ["records", "submitted", "3"],
        ["records", "accepted", "2"],
        ["records", "dead-lettered", "1"],
    ] {
        assert!(
            err.lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == row),
            "no {row:?} in\n{err}"
        );
    }
    assert!(err.contains("rejected (required)"), "{err}");
    assert!(
        err.lines().any(|l| l
            .split_whitespace()
            .collect::<Vec<_>>()
            .starts_with(&["archive", "2", "2", "0", "0"])),
        "{err}"
    );
    let prom = std::fs::read_to_string(&metrics).unwrap();
    assert!(
        prom.starts_with("# HELP messageapi_submits_total"),
        "{prom}"
    );
    assert!(prom.contains("messageapi_records_submitted_total 3\n"));
    assert!(prom.contains("messageapi_records_rejected_total{stage=\"required\"} 1\n"));
    assert!(prom.contains(
        "messageapi_connection_records_routed_total{connection=\"dead-letters\",endpoint=\"file-writer\",dead_letter=\"true\"} 1\n"
    ));
    // No temporary file left beside it.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
    // A second run appends its dead letters; the metrics file is replaced.
    let out = mapi(&args, Some(records));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&dead).unwrap().lines().count(), 2);
    assert!(std::fs::read_to_string(&metrics)
        .unwrap()
        .contains("messageapi_records_submitted_total 3\n"));
    // `mapi check` shows where dead letters go when the manifest says.
    let out = mapi(&["check", m.to_str().unwrap()], None);
    assert!(!text(&out.stdout).contains("dead letters:"));
    // An unwritable metrics file: exit 1 with the path, after the job ran.
    let out = mapi(
        &[
            "send",
            m.to_str().unwrap(),
            "--records",
            "-",
            "--metrics-file",
            "/nonexistent-dir/job.prom",
        ],
        Some("{\"station\": \"A\"}"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot write metrics file /nonexistent-dir/job.prom"),
        "{}",
        text(&out.stderr)
    );
}

/// `--rejections` that cannot be written: exit 1 with a message naming it (not a silent loss).
#[test]
fn send_fails_when_its_rejections_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let m = writer_manifest(dir.path());
    let out = mapi(
        &[
            "send",
            m.to_str().unwrap(),
            "--records",
            "-",
            "--rejections",
            "/dev/full",
        ],
        Some("{\"station\": \"KILX\"}\n{\"temp\": 3}\n"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr)
            .contains("cannot write the rejections to /dev/full: No space left on device"),
        "{}",
        text(&out.stderr)
    );
}

/// `mapi send` streams its input: the first batch is submitted (and on disk) while the rest of
/// the input is still to come, so memory holds a batch, not the file.
#[test]
fn send_streams_its_input_in_batches() {
    let dir = tempfile::tempdir().unwrap();
    let m = writer_manifest(dir.path());
    let mut child = mapi_command(&[
        "send",
        m.to_str().unwrap(),
        "--records",
        "-",
        "--batch",
        "2",
    ])
    .spawn()
    .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // An array, as the input may be: its elements are the records.
    stdin
        .write_all(b"[{\"station\": \"A\"},\n {\"station\": \"B\"},\n")
        .unwrap();
    stdin.flush().unwrap();
    let out_file = dir.path().join("out.jsonl");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::read_to_string(&out_file).map_or(0, |t| t.lines().count()) < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the first batch was not written before the input ended"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    stdin
        .write_all(
            b" {\"station\": \"C\", \"temp\": 1}, {\"station\": \"D\"}, {\"station\": \"E\"}]\n",
        )
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout)
            .starts_with("sent 5 records in 3 batches: 5 records returned, 0 rejected"),
        "{}",
        text(&out.stdout)
    );
    let stations: Vec<String> = std::fs::read_to_string(&out_file)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["station"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(stations, ["A", "B", "C", "D", "E"]);
}

/// `mapi consume --count N` asks for at most what it still wants and commits only what it
/// wrote; a write error (a full disk, a closed pipe) exits 1 and commits nothing not written.
#[test]
fn consume_commits_only_what_it_wrote() {
    let Some(broker) = common::broker::Broker::memory_for_groups() else {
        return;
    };
    broker.create_topic("cnt", 1);
    let produce = |range: std::ops::Range<i64>| {
        let payloads: Vec<String> = range
            .map(|i| json!({"station": "S", "seq": i}).to_string())
            .collect();
        let messages: Vec<(Option<&str>, &str, Option<i32>)> = payloads
            .iter()
            .map(|p| (None, p.as_str(), Some(0)))
            .collect();
        common::broker::python_produce(&broker.bootstrap, "cnt", &messages);
    };
    produce(0..5);
    let dir = tempfile::tempdir().unwrap();
    let consumer = dir.path().join("consumer.json");
    std::fs::write(&consumer, json!({
        "fields": [{"id": "station", "type": "string", "required": true}, {"id": "seq", "type": "integer", "required": true}],
        "collections": [{"id": "c", "fields": ["station", "seq"]}],
        "endpoints": [{"plugin": "kafka-consumer", "connections": [{"id": "k",
            "constructor": {"topics": "cnt", "group.id": "cnt-group", "bootstrap.servers": broker.bootstrap,
                            "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000, "timeout-ms": 20000},
            "fields": ["seq"]}]}]}).to_string()).unwrap();
    let consume = |count: &str, stdout: Stdio| {
        mapi_command(&["consume", consumer.to_str().unwrap(), "--count", count])
            .stdin(Stdio::null())
            .stdout(stdout)
            .spawn()
            .unwrap()
    };
    let seqs = |out: &Output| -> Vec<i64> {
        text(&out.stdout)
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                    .as_i64()
                    .unwrap()
            })
            .collect()
    };
    let out = consume("1", Stdio::piped()).wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(seqs(&out), [0]);
    // The other four were neither printed nor committed: the next run gets them.
    let out = consume("10", Stdio::piped()).wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(seqs(&out), [1, 2, 3, 4], "{}", text(&out.stderr));

    produce(5..8);
    // A full disk: exit 1, a message, nothing committed.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = consume("10", Stdio::from(full)).wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot write to standard output: No space left on device"),
        "{}",
        text(&out.stderr)
    );
    // A closed pipe (`mapi consume | head -0`): the same.
    let mut child = consume("10", Stdio::piped());
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot write to standard output: Broken pipe"),
        "{}",
        text(&out.stderr)
    );
    let out = consume("10", Stdio::piped()).wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(seqs(&out), [5, 6, 7]);
}

/// Rejections going to a closed pipe (`mapi send ... 2>&1 | head -0`): exit 1, not a silent loss.
#[test]
fn send_fails_when_its_rejections_go_to_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let m = writer_manifest(dir.path());
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "{\"temp\": 3}\n".repeat(100)).unwrap();
    let mut child = mapi_command(&[
        "send",
        m.to_str().unwrap(),
        "--records",
        input.to_str().unwrap(),
    ])
    .stdin(Stdio::null())
    .spawn()
    .unwrap();
    drop(child.stderr.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        !text(&out.stdout).contains("sent 100 records"),
        "{}",
        text(&out.stdout)
    );
}
