//! Secrets in constructors: `${env:NAME}` and `${file:PATH}` references, and secret values kept
//! out of everything the library says (log lines, errors, rejection reasons).

use std::sync::{Arc, Mutex};

use messageapi::registry::register_endpoint;
use messageapi::{EndpointCall, Error, FnEndpoint, Session, Value};
use serde_json::json;

/// A plug-in that returns its `sasl.password` and `token` parameters in one record, or fails
/// with a message quoting the password when `fail` is set (as a careless broker client might).
fn register() {
    register_endpoint(
        "test-secret-reader",
        Arc::new(FnEndpoint(|call: &mut EndpointCall<'_>| {
            let text = |k: &str| {
                call.parameter(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            let (password, token) = (text("sasl.password"), text("token"));
            if call.parameter("fail").is_some() {
                return Err(Error::Endpoint(format!(
                    "login as bob with {password} refused"
                )));
            }
            let mut r = call.new_record();
            r.set("password", Value::String(password.as_str().into()))?;
            r.set("token", Value::String(token.as_str().into()))?;
            call.add_record(r);
            Ok(())
        })),
    )
    .unwrap();
}

fn manifest(constructor: serde_json::Value) -> String {
    json!({
        "fields": [{"id": "x", "type": "integer", "required": false}],
        "collections": [{"id": "c", "fields": ["x"]}],
        "endpoints": [{"plugin": "test-secret-reader", "connections": [
            {"id": "secure", "collections": ["c"], "constructor": constructor}]}]
    })
    .to_string()
}

#[test]
fn env_and_file_references_resolve_and_failures_name_the_variable_or_path() {
    register();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token.txt"), "t0k3n-from-file\n").unwrap();
    std::env::set_var("MAPI_TEST_SASL_PASSWORD", "pa55-from-env");
    let session = Session::from_json(
        &manifest(json!({"sasl.password": "${env:MAPI_TEST_SASL_PASSWORD}", "token": "${file:token.txt}"})),
        Some(dir.path()),
    )
    .unwrap();
    let mut req = session.request();
    req.add_record();
    let out = req.submit().wait(None).unwrap().clone();
    assert_eq!(out.records.len(), 1);
    let r = &out.records[0];
    assert_eq!(r.get_text("password").unwrap().as_str(), "pa55-from-env");
    assert_eq!(
        r.get_text("token").unwrap().as_str(),
        "t0k3n-from-file",
        "one trailing newline trimmed"
    );

    // An unset variable and an unreadable file fail the open, naming what is missing.
    let e = Session::from_json(
        &manifest(json!({"sasl.password": "${env:MAPI_TEST_NOT_SET_ANYWHERE}"})),
        Some(dir.path()),
    )
    .err()
    .unwrap();
    assert!(
        e.message().contains("constructor.sasl.password: the environment variable MAPI_TEST_NOT_SET_ANYWHERE is not set"),
        "{e}"
    );
    let e = Session::from_json(
        &manifest(json!({"token": "${file:missing/token.txt}"})),
        Some(dir.path()),
    )
    .err()
    .unwrap();
    assert!(
        e.message().contains("constructor.token: cannot read "),
        "{e}"
    );
    assert!(e.message().contains("missing/token.txt"), "{e}");

    // Runtime parameters resolve references too, when set.
    std::env::set_var("MAPI_TEST_ROTATED_PASSWORD", "rotated-pa55");
    let mut req = session.request();
    req.set_parameter(
        "secure",
        "sasl.password",
        json!("${env:MAPI_TEST_ROTATED_PASSWORD}"),
    )
    .unwrap();
    req.add_record();
    let out = req.submit().wait(None).unwrap().clone();
    assert_eq!(
        out.records[0].get_text("password").unwrap().as_str(),
        "rotated-pa55"
    );
    let e = req
        .set_parameter(
            "secure",
            "sasl.password",
            json!("${env:MAPI_TEST_NOT_SET_ANYWHERE}"),
        )
        .unwrap_err();
    assert_eq!(
        e.message(),
        "connection secure: parameter \"sasl.password\": the environment variable MAPI_TEST_NOT_SET_ANYWHERE is not set"
    );
}

#[test]
fn secret_values_never_appear_in_logs_errors_or_rejection_reasons() {
    register();
    let heard: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = heard.clone();
    messageapi::log::set_sink(Some(Arc::new(move |_, m: &str| {
        sink.lock().unwrap().push(m.to_string())
    })));
    std::env::set_var("MAPI_TEST_LEAKY_PASSWORD", "hunter2-from-env");
    let session = Session::from_json(
        &manifest(
            json!({"sasl.password": "${env:MAPI_TEST_LEAKY_PASSWORD}", "fail": true,
                          "ssl.key.password": "written-in-the-manifest"}),
        ),
        None,
    )
    .unwrap();
    let mut req = session.request();
    req.add_record().set("x", Value::Integer(1)).unwrap();
    let out = req.submit().wait(None).unwrap().clone();
    messageapi::log::set_sink(None);
    assert_eq!(out.rejections.len(), 1);
    assert_eq!(
        out.rejections[0].reasons,
        ["connection secure: login as bob with [redacted] refused"]
    );
    let heard = heard.lock().unwrap();
    assert!(
        heard
            .iter()
            .any(|m| m.contains("login as bob with [redacted] refused")),
        "{heard:?}"
    );
    for m in heard.iter() {
        assert!(!m.contains("hunter2"), "a log line shows the password: {m}");
    }
    // A value written in the manifest under a secret key is kept out too; the C ABI's last
    // error is redacted like the log.
    assert_eq!(
        messageapi::log::redact("key pass written-in-the-manifest"),
        "key pass [redacted]"
    );
    // A C call that fails naming the secret (as a path here): its last error is redacted.
    let text = std::ffi::CString::new(r#"{"fields": "hunter2-from-env.json"}"#).unwrap();
    let mut out = std::ptr::null_mut();
    let status = unsafe {
        messageapi::ffi::session::mapi_session_open_json(text.as_ptr(), std::ptr::null(), &mut out)
    };
    assert_ne!(status, 0);
    let e = messageapi::ffi::last_error();
    assert!(
        e.contains("[redacted].json") && !e.contains("hunter2"),
        "{e}"
    );
}

/// An AMQP URL's password is masked whatever it holds (`/`, `@`, `:`, `%`-escapes): in the open
/// error when the URL does not parse, and in rejection reasons when the broker cannot be reached.
#[test]
fn amqp_url_passwords_are_masked_whatever_they_hold() {
    let session_of = |url: &str| {
        let m = serde_json::json!({
            "fields": [{"id": "a", "type": "string", "required": true}],
            "collections": [{"id": "c", "fields": ["a"]}],
            "endpoints": [{"plugin": "amqp-publisher", "connections": [{"id": "p", "collections": ["c"],
                "constructor": {"url": url, "exchange": "x", "timeout-ms": 300}}]}]
        });
        messageapi::Session::from_json(&m.to_string(), None)
    };
    for (url, secret) in [
        ("amqp://ingest:pa/ss@w0rd@127.0.0.1:1/%2f", "pa/ss@w0rd"),
        (
            "amqp://ingest:k3y:wi/th?odd#chars@127.0.0.1:1/%2f",
            "k3y:wi/th?odd#chars",
        ),
        ("amqp://ingest:p%2Fq%40rst@127.0.0.1:1/%2f", "p/q@rst"),
    ] {
        let text = match session_of(url) {
            Err(e) => e.to_string(),
            Ok(session) => {
                let mut req = session.request();
                req.add_record()
                    .set("a", messageapi::Value::string("v"))
                    .unwrap();
                let resp = req.submit();
                let out = resp.wait(None).unwrap();
                assert_eq!(out.rejections.len(), 1, "{url}");
                out.rejections[0].reasons.join("; ")
            }
        };
        assert!(!text.contains(secret), "{url}: {text}");
        assert!(!text.contains("p%2Fq%40rst"), "{url}: {text}");
        assert!(
            text.contains("ingest:***@") || text.contains("[redacted]"),
            "{url}: {text}"
        );
    }
}
