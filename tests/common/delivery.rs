//! The pipelined-kill check of "commit only after completion", shared by the Kafka and AMQP
//! tests: a consumer process keeps two submits of one request in flight while the first one's
//! dead letter sits in a slow sink, and is killed (SIGKILL) then; a new consumer must get the
//! messages again.

use std::io::BufRead;
use std::sync::Arc;
use std::time::Duration;

use messageapi::registry::register_endpoint;
use messageapi::{FnEndpoint, Session};
use serde_json::{json, Value as Json};

/// The manifest both halves use: `station` and `seq` required, one consumer endpoint.
pub fn manifest(endpoint: &Json, dead_letters: Json) -> String {
    json!({
        "fields": [{"id": "station", "type": "string", "required": true},
                   {"id": "seq", "type": "integer", "required": true}],
        "collections": [{"id": "obs", "fields": ["station", "seq"]}],
        "endpoints": [endpoint],
        "dead-letters": dead_letters
    })
    .to_string()
}

/// The child half, run by a test binary in helper mode with the consumer endpoint's JSON in
/// `MAPI_PIPELINED_CHILD`: submit 1 reads the batch, whose one bad message goes to a dead-letter
/// sink that never returns; submit 2 of the same request follows at once and runs its consumer
/// (the moment a consumer used to commit batch 1). Prints `SINK STARTED` and `SUBMITTED TWICE`,
/// then waits to be killed.
pub fn pipelined_child() {
    let endpoint: Json = serde_json::from_str(
        &std::env::var("MAPI_PIPELINED_CHILD").expect("helper mode: MAPI_PIPELINED_CHILD"),
    )
    .unwrap();
    register_endpoint(
        "test-stuck-sink",
        Arc::new(FnEndpoint(|_call: &mut messageapi::EndpointCall<'_>| {
            println!("SINK STARTED");
            std::thread::sleep(Duration::from_secs(300));
            Ok(())
        })),
    )
    .unwrap();
    let session = Session::from_json(
        &manifest(&endpoint, json!({"plugin": "test-stuck-sink"})),
        None,
    )
    .unwrap();
    let mut request = session.request();
    let first = request.submit();
    let second = request.submit();
    println!("SUBMITTED TWICE");
    std::thread::sleep(Duration::from_secs(300));
    drop((first, second, request));
}

/// The parent half: runs `test` of the current test binary as the child with `endpoint`,
/// waits until the child's dead-letter sink has started and its second submit had time to run
/// its consumer (`settle`), and kills it with SIGKILL.
pub fn run_and_kill_pipelined_child(test: &str, endpoint: &Json, settle: Duration) {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            test,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("MAPI_PIPELINED_CHILD", endpoint.to_string())
        .env("MAPI_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let (mut sink, mut twice) = (false, false);
    let mut seen = String::new();
    for line in reader.lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        // (libtest may print "test NAME ... " before the helper's first line.)
        sink |= line.ends_with("SINK STARTED");
        twice |= line.ends_with("SUBMITTED TWICE");
        if sink && twice {
            break;
        }
    }
    assert!(sink && twice, "the child ended early: {seen}");
    std::thread::sleep(settle);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}
