//! A manifest is configuration, not code: native code loads only from the directories the host
//! allows, `mapi check` loads, reads and connects nothing, paths stay inside the directories
//! the host confines them to, and secrets never show, whatever they contain.
//!
//! The process configuration is fixed once per process: every in-process test here runs under
//! the same one (native code from `<top>/allowed`, paths confined to `<top>`), set by
//! [`setup`] before the first session opens. Hosts without consent are `mapi` processes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

#[path = "common/security.rs"]
mod security;

use messageapi::registry::register_endpoint;
use messageapi::{EndpointCall, Error, FnEndpoint, Session, Value};
use security::{manifest, marker_library, native, PASSWORDS};
use serde_json::json;

/// The directory every in-process test works in, with `allowed/` the one native code may
/// come from; the process configuration set.
fn setup() -> &'static Path {
    static TOP: OnceLock<PathBuf> = OnceLock::new();
    TOP.get_or_init(|| {
        let top = std::fs::canonicalize(tempfile::tempdir().unwrap().keep()).unwrap();
        std::fs::create_dir(top.join("allowed")).unwrap();
        messageapi::configure_json(
            &json!({
                "native-plugin-dirs": [top.join("allowed")],
                "confine-paths": top,
            })
            .to_string(),
        )
        .unwrap();
        top
    })
}

fn refused(text: &str, base: &Path) -> String {
    match Session::from_json(text, Some(base)) {
        Err(e @ Error::NotAllowed(_)) => e.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn native_code_loads_only_from_an_allowed_directory() {
    let top = setup();
    let dir = top.join("native");
    std::fs::create_dir_all(dir.join("outside")).unwrap();
    let allowed = top.join("allowed");
    let marker_out = dir.join("outside.marker");
    let outside = marker_library(&dir.join("outside"), "libmarker.so", &marker_out);

    // Absolute, relative, through "..", by a link inside the allowed directory.
    let e = refused(&native(outside.to_str().unwrap()), &dir);
    assert!(e.contains("connection conn: native-library"), "{e}");
    assert!(e.contains(outside.to_str().unwrap()), "{e}");
    assert!(
        e.contains(&format!("allowed: {}", allowed.display())),
        "{e}"
    );
    assert!(e.contains("\"native-plugin-dirs\""), "{e}");
    assert!(e.contains("MAPI_NATIVE_PLUGIN_PATH"), "{e}");
    refused(&native("outside/libmarker.so"), &dir);
    refused(&native("../native/outside/libmarker.so"), &allowed);
    refused(&native("allowed/../native/outside/libmarker.so"), top);
    std::os::unix::fs::symlink(&outside, allowed.join("link-out.so")).unwrap();
    let e = refused(&native("link-out.so"), &allowed);
    assert!(e.contains("which resolves to"), "{e}");
    // Checking refuses it too, and loads nothing.
    let m = dir.join("outside.json");
    std::fs::write(&m, native("outside/libmarker.so")).unwrap();
    assert!(matches!(
        Session::check(&m, None),
        Err(Error::NotAllowed(_))
    ));
    assert!(!marker_out.exists(), "a library outside was loaded");

    // Inside: checking loads nothing; opening loads it (by its resolved path) and it runs.
    let marker_in = dir.join("inside.marker");
    marker_library(&allowed, "libinside.so", &marker_in);
    let m = dir.join("inside.json");
    std::fs::write(&m, native("../allowed/libinside.so")).unwrap();
    let checked = Session::check(&m, None).unwrap();
    assert!(!marker_in.exists(), "mapi check loaded the library");
    // A checked session runs nothing.
    let mut req = checked.request();
    req.add_record();
    let out = req.submit().wait(None).unwrap().clone();
    assert_eq!(out.rejections.len(), 1);
    assert!(out.rejections[0].reasons[0].contains("only checked"));
    assert!(!marker_in.exists());
    let session = Session::open(&m, None).unwrap();
    assert!(marker_in.exists(), "an allowed library was not loaded");
    let mut req = session.request();
    req.add_record();
    let out = req.submit().wait(None).unwrap().clone();
    assert!(out.rejections.is_empty(), "{:?}", out.rejections);
}

#[test]
fn librdkafka_settings_that_load_code_need_consent() {
    let top = setup();
    let dir = top.join("kafka");
    std::fs::create_dir_all(&dir).unwrap();
    let marker = dir.join("marker");
    let outside = marker_library(&dir, "libplugin.so", &marker);
    let producer =
        |key: &str, value: &str| manifest("kafka-producer", json!({"topic": "t", key: value}));
    let e = refused(
        &producer("plugin.library.paths", outside.to_str().unwrap()),
        &dir,
    );
    assert!(e.contains("constructor.plugin.library.paths"), "{e}");
    assert!(e.contains("native-plugin-dirs"), "{e}");
    let e = refused(&producer("plugin.library.paths", "libplugin"), &dir);
    assert!(e.contains("not an absolute path"), "{e}");
    refused(
        &producer("ssl.engine.location", outside.to_str().unwrap()),
        &dir,
    );
    let e = refused(&producer("ssl.providers", "legacy"), &dir);
    assert!(e.contains("runs code"), "{e}");
    refused(&producer("sasl.kerberos.kinit.cmd", "touch /tmp/x"), &dir);
    let consumer = manifest(
        "kafka-consumer",
        json!({"topics": ["t"], "plugin.library.paths": outside}),
    );
    refused(&consumer, &dir);
    // Nor as a runtime parameter of a request.
    let session = Session::from_json(&producer("acks", "all"), Some(&dir)).unwrap();
    let mut req = session.request();
    let e = req
        .set_parameter("conn", "plugin.library.paths", json!(outside))
        .unwrap_err();
    assert!(matches!(e, Error::NotAllowed(_)), "{e:?}");
    // A library in the allowed directory is accepted (librdkafka would load it by its
    // resolved path when the client starts: not here, nothing is submitted).
    let inside = marker_library(&top.join("allowed"), "libkplugin.so", &dir.join("k.marker"));
    Session::from_json(
        &producer("plugin.library.paths", inside.to_str().unwrap()),
        Some(&dir),
    )
    .unwrap();
}

#[test]
fn paths_stay_inside_the_confined_directory() {
    let top = setup();
    let dir = top.join("confined");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink("/etc", dir.join("to-etc")).unwrap();
    let outside = tempfile::tempdir().unwrap();
    let out_file = outside.path().join("written.txt");

    // The file-writer, dead letters, ${file:} secrets, TLS files: refused at open.
    let e = refused(&manifest("file-writer", json!({"path": out_file})), &dir);
    assert!(
        e.contains(&format!(
            "connection conn: file-writer path {}",
            out_file.display()
        )),
        "{e}"
    );
    assert!(e.contains("confine-paths"), "{e}");
    refused(
        &manifest("file-writer", json!({"path": "../../escape.txt"})),
        &dir,
    );
    let e = refused(
        &manifest("file-writer", json!({"path": "to-etc/mapi.txt"})),
        &dir,
    );
    assert!(e.contains("which resolves to /etc/mapi.txt"), "{e}");
    let mut with_dead_letters: serde_json::Value =
        serde_json::from_str(&manifest("evaluation", json!({}))).unwrap();
    with_dead_letters["dead-letters"] =
        json!({"plugin": "file-writer", "constructor": {"path": out_file}});
    refused(&with_dead_letters.to_string(), &dir);
    let e = refused(
        &manifest("evaluation", json!({"token": "${file:/etc/hostname}"})),
        &dir,
    );
    assert!(
        e.contains("constructor.token: the secret file /etc/hostname"),
        "{e}"
    );
    refused(
        &manifest(
            "evaluation",
            json!({"auth": {"password": "${file:to-etc/hostname}"}}),
        ),
        &dir,
    );
    refused(
        &manifest(
            "kafka-producer",
            json!({"topic": "t", "ssl.ca.location": "/etc/ssl/certs/ca-certificates.crt"}),
        ),
        &dir,
    );
    refused(
        &manifest(
            "amqp-publisher",
            json!({"exchange": "x", "tls-ca": "/etc/ssl/certs/ca-certificates.crt"}),
        ),
        &dir,
    );
    assert!(!out_file.exists());
    // Inside: a secret file is read, a writer writes.
    std::fs::write(dir.join("token.txt"), "inside-t0ken\n").unwrap();
    Session::from_json(
        &manifest("evaluation", json!({"token": "${file:token.txt}"})),
        Some(&dir),
    )
    .unwrap();

    // The file-reader: a record naming a path outside is rejected, naming it.
    std::fs::write(dir.join("lines.txt"), "one\ntwo\n").unwrap();
    let session = Session::from_json(
        &manifest("file-reader", json!({"file-fields": "path"})),
        Some(&dir),
    )
    .unwrap();
    let mut req = session.request();
    let inside = dir.join("lines.txt");
    let through_link = dir.join("to-etc/passwd");
    let dotdot = format!("{}/../../../etc/passwd", dir.display());
    for p in [
        "/etc/passwd",
        through_link.to_str().unwrap(),
        &dotdot,
        inside.to_str().unwrap(),
    ] {
        req.add_record()
            .set("path", Value::String(p.into()))
            .unwrap();
    }
    let out = req.submit().wait(None).unwrap().clone();
    assert_eq!(out.records.len(), 2, "the two lines of the file inside");
    let reasons: Vec<&str> = out
        .rejections
        .iter()
        .map(|r| r.reasons[0].as_str())
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].starts_with("connection conn: cannot read /etc/passwd: the file /etc/passwd is outside the paths the host confines files to"), "{}", reasons[0]);
    assert!(
        reasons[1].contains("which resolves to /etc/passwd"),
        "{}",
        reasons[1]
    );
    assert!(
        reasons[2].contains("which resolves to /etc/passwd"),
        "{}",
        reasons[2]
    );
}

#[test]
fn secrets_never_show_whatever_they_contain() {
    let top = setup();
    let dir = top.join("secrets");
    std::fs::create_dir_all(&dir).unwrap();
    let logged: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = logged.clone();
    messageapi::log::set_sink(Some(Arc::new(move |_, m: &str| {
        sink.lock().unwrap().push(m.to_string())
    })));
    // A plug-in that fails quoting every secret it was given, as a careless client might.
    register_endpoint(
        "test-quoting-secrets",
        Arc::new(FnEndpoint(|call: &mut EndpointCall<'_>| {
            let quoted = format!(
                "login refused: {} {} {} {}",
                call.parameter("url").and_then(|v| v.as_str()).unwrap_or(""),
                call.parameter("sasl.password")
                    .and_then(|v| v.as_str())
                    .unwrap_or(""),
                call.parameter("registry")
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                call.parameter("credentials")
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            );
            messageapi::log::warn(&quoted);
            Err(Error::Endpoint(quoted))
        })),
    )
    .unwrap();
    let mut m: serde_json::Value = serde_json::from_str(&manifest(
        "test-quoting-secrets",
        json!({
            "url": format!("amqp://ingest:{}@127.0.0.1:1/%2f", PASSWORDS[0]),
            "sasl.password": PASSWORDS[1],
            "registry": {"url": "https://registry", "basic": {"password": PASSWORDS[2]}},
            "credentials": ["list-held-secret-1"],
        }),
    ))
    .unwrap();
    m["dead-letters"] = json!({"plugin": "file-writer", "constructor": {"path": "dead.jsonl"}});
    let session = Session::from_json(&m.to_string(), Some(&dir)).unwrap();
    let mut req = session.request();
    req.add_record()
        .set("path", Value::String("x".into()))
        .unwrap();
    let out = req.submit().wait(None).unwrap().clone();
    assert_eq!(out.rejections.len(), 1);
    let reason = &out.rejections[0].reasons[0];
    assert!(
        reason.contains("login refused: amqp://ingest:[redacted]@127.0.0.1:1/%2f [redacted]"),
        "{reason}"
    );
    let dead = std::fs::read_to_string(dir.join("dead.jsonl")).unwrap();
    assert!(dead.contains("login refused"), "{dead}");
    let surfaces = [
        ("the rejection reason", reason.clone()),
        ("the dead letter", dead),
        ("the log", logged.lock().unwrap().join("\n")),
        ("the statistics", session.stats().to_string()),
        ("the Prometheus text", session.stats_prometheus()),
    ];
    let decoded = "s3cr/t?q#@@";
    for (surface, text) in &surfaces {
        for secret in PASSWORDS.iter().chain([&decoded, &"list-held-secret-1"]) {
            assert!(!text.contains(secret), "{surface} shows {secret}: {text}");
        }
    }
    assert!(logged
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("login refused")));
    messageapi::log::set_sink(None);
}

#[test]
fn statistics_never_show_a_secret_librdkafka_quotes() {
    setup();
    // A value read from the environment is a secret; librdkafka's statistics quote client.id.
    std::env::set_var("MAPI_TEST_CLIENT_ID", "client-s3cret-id");
    let session = Session::from_json(
        &manifest(
            "kafka-producer",
            json!({"topic": "t", "bootstrap.servers": "127.0.0.1:1",
                   "client.id": "${env:MAPI_TEST_CLIENT_ID}",
                   "statistics.interval.ms": "100", "message.timeout.ms": "2000"}),
        ),
        Some(setup()),
    )
    .unwrap();
    let mut req = session.request();
    req.add_record()
        .set("path", Value::String("x".into()))
        .unwrap();
    let response = req.submit();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let stats = loop {
        let s = session.stats();
        if !s["connections"][0]["librdkafka"].is_null() || std::time::Instant::now() > deadline {
            break s;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let librdkafka = &stats["connections"][0]["librdkafka"];
    assert_eq!(librdkafka["client_id"], "[redacted]", "{librdkafka}");
    let text = stats.to_string() + &session.stats_prometheus();
    assert!(!text.contains("client-s3cret-id"));
    // The document keeps its shape: keys and numbers are never rewritten.
    assert!(librdkafka["msg_cnt"].is_number(), "{librdkafka}");
    let out = response.wait(None).unwrap().clone();
    assert_eq!(
        out.rejections.len(),
        1,
        "an unreachable broker: the record is rejected"
    );
    assert!(!out.rejections[0].reasons[0].contains("client-s3cret-id"));
}
