//! The `mapi` command as a host without consent: it loads no native code, `mapi check` loads,
//! reads and connects nothing, and no secret shows in what it prints.

#[path = "../../tests/common/security.rs"]
mod security;

use std::process::{Command, Output, Stdio};

use security::{marker_library, native, PASSWORDS};
use serde_json::json;

fn mapi(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    use std::io::Write;
    let mut c = Command::new(env!("CARGO_BIN_EXE_mapi"));
    c.args(args)
        .env_remove("MAPI_NATIVE_PLUGIN_PATH")
        .env_remove("MAPI_CONFINE_PATHS")
        .env("MAPI_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn mapi_check_and_send_load_nothing_without_consent() {
    let dir = tempfile::tempdir().unwrap();
    let dir = std::fs::canonicalize(dir.path()).unwrap();
    let plugins = dir.join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    let marker = dir.join("marker");
    marker_library(&plugins, "libmarker.so", &marker);
    let m = dir.join("m.json");
    std::fs::write(&m, native("plugins/libmarker.so")).unwrap();
    let m = m.to_str().unwrap();
    let consent = [("MAPI_NATIVE_PLUGIN_PATH", plugins.to_str().unwrap())];

    let out = mapi(&["check", m], &[], "");
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("is not in a directory the host allows native code from (allowed: none)"),
        "{err}"
    );
    let out = mapi(&["send", m, "--records", "-"], &[], "{\"path\": \"x\"}\n");
    assert!(!out.status.success());
    assert!(!marker.exists(), "loaded without consent");

    // With consent: checking still loads nothing and says what opening would load.
    let out = mapi(&["check", m], &consent, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains(&format!("native code allowed from: {}", plugins.display())),
        "{said}"
    );
    assert!(said.contains("native library: plugins/libmarker.so symbol marker_endpoint (allowed by the host; not loaded by mapi check)"), "{said}");
    assert!(!marker.exists(), "mapi check loaded the library");

    // A bare name is the file beside the manifest: the library path is never searched.
    let bare = dir.join("bare.json");
    std::fs::write(&bare, native("libmarker.so")).unwrap();
    let mut env = consent.to_vec();
    env.push(("LD_LIBRARY_PATH", plugins.to_str().unwrap()));
    let out = mapi(
        &["send", bare.to_str().unwrap(), "--records", "-"],
        &env,
        "{\"path\": \"x\"}\n",
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains(&format!(
            "cannot load native library {}/libmarker.so",
            dir.display()
        )),
        "{}",
        text(&out.stderr)
    );
    assert!(!marker.exists());

    let out = mapi(
        &["send", m, "--records", "-"],
        &consent,
        "{\"path\": \"x\"}\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(marker.exists(), "not loaded with consent");
}

#[test]
fn mapi_check_reads_no_secret_and_connects_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    // A listener that counts who connects.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let m = json!({
        "fields": [{"id": "x", "type": "integer", "required": false}],
        "collections": [{"id": "c", "fields": ["x"]}],
        "endpoints": [
            {"plugin": "amqp-publisher", "connections": [{"id": "rabbit", "collections": ["c"],
                "constructor": {"url": format!("amqp://ingest:pa%2Fss%40w0rd%3Ax@127.0.0.1:{port}/%2f"),
                                "exchange": "x"}}]},
            {"plugin": "kafka-producer", "connections": [{"id": "kafka", "collections": ["c"],
                "constructor": {"topic": "t", "bootstrap.servers": format!("127.0.0.1:{port}"),
                                "sasl.password": "${env:MAPI_TEST_NEVER_SET}",
                                "schema-registry": {"password": "${file:missing-secret.txt}"}}}]}]
    });
    let path = dir.path().join("m.json");
    std::fs::write(&path, m.to_string()).unwrap();
    let out = mapi(&["check", path.to_str().unwrap()], &[], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains(
            "secret: sasl.password = ${env:MAPI_TEST_NEVER_SET} (not read by mapi check)"
        ),
        "{said}"
    );
    assert!(
        said.contains(
            "secret: schema-registry.password = ${file:missing-secret.txt} (not read by mapi check)"
        ),
        "{said}"
    );
    for secret in [PASSWORDS[0], "pa%2Fss%40w0rd"] {
        assert!(
            !said.contains(secret) && !text(&out.stderr).contains(secret),
            "{said}"
        );
    }
    assert!(listener.accept().is_err(), "mapi check connected");
    // Opening reads the secrets: the unset variable is named.
    let out = mapi(&["send", path.to_str().unwrap(), "--records", "-"], &[], "");
    assert!(
        text(&out.stderr).contains("the environment variable MAPI_TEST_NEVER_SET is not set"),
        "{}",
        text(&out.stderr)
    );

    // A URL whose password holds '/', '@' and ':' that fails to parse: masked in the error.
    let bad = json!({
        "fields": [], "collections": [],
        "endpoints": [{"plugin": "amqp-publisher", "connections": [{"id": "rabbit",
            "constructor": {"url": format!("amqp://ingest:{}@127.0.0.1:port/%2f", PASSWORDS[0]),
                            "exchange": "x"}}]}]
    });
    std::fs::write(&path, bad.to_string()).unwrap();
    let out = mapi(&["check", path.to_str().unwrap()], &[], "");
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("amqp://ingest:***@127.0.0.1:port/%2f"),
        "{err}"
    );
    assert!(!err.contains("pa/ss") && !err.contains("w0rd"), "{err}");
}

#[test]
fn mapi_check_warns_about_what_only_the_secrets_could_check() {
    let dir = tempfile::tempdir().unwrap();
    let m = json!({
        "fields": [{"id": "x", "type": "integer", "required": false}],
        "collections": [{"id": "c", "fields": ["x"]}],
        "endpoints": [{"plugin": "amqp-publisher", "connections": [{"id": "rabbit",
            "collections": ["c"],
            "constructor": {"url": "${env:MAPI_TEST_AMQP_URL_UNSET}", "exchange": "x"}}]}]
    });
    let path = dir.path().join("m.json");
    std::fs::write(&path, m.to_string()).unwrap();
    let out = mapi(&["check", path.to_str().unwrap()], &[], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("not checked further: values given as ${env:} or ${file:} references are read only when the session opens"), "{said}");
    // What the host has not allowed is an error all the same.
    let m = json!({
        "fields": [], "collections": [],
        "endpoints": [{"plugin": "kafka-producer", "connections": [{"id": "k",
            "constructor": {"topic": "${env:MAPI_TEST_TOPIC_UNSET}", "ssl.providers": "legacy"}}]}]
    });
    std::fs::write(&path, m.to_string()).unwrap();
    let out = mapi(&["check", path.to_str().unwrap()], &[], "");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("constructor.ssl.providers"),
        "{}",
        text(&out.stderr)
    );
}
