//! Test helper (and a small example): joins consumer group GROUP on TOPIC at BOOTSTRAP, submits
//! once, prints each record as `offset value` and then `BATCH DONE`, and waits to be killed
//! without submitting again (so its offsets are never committed).
//!
//!   cargo run --example kafka_consume_once -- BOOTSTRAP TOPIC GROUP

use messageapi::{Session, Value};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (bootstrap, topic, group) = (&args[1], &args[2], &args[3]);
    let manifest = serde_json::json!({
        "fields": [{"id": "n", "type": "integer", "required": false}],
        "collections": [{"id": "c", "fields": ["n"]}],
        "endpoints": [{"plugin": "kafka-consumer", "connections": [{"id": "once", "constructor": {
            "topics": [topic], "group.id": group, "bootstrap.servers": bootstrap,
            "format": "raw", "timeout-ms": 20000, "max-records": 1000}}]}]
    });
    let session = Session::from_json(&manifest.to_string(), None).expect("manifest");
    let mut request = session.request();
    let response = request.submit();
    let outcome = response.wait(None).expect("complete");
    for r in &outcome.records {
        let offset = match r.get("kafka-offset") {
            Ok(Value::Integer(o)) => *o,
            _ => -1,
        };
        let value = r
            .get("value")
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        println!("{offset} {value}");
    }
    println!("BATCH DONE");
    std::thread::sleep(std::time::Duration::from_secs(120));
    drop(request);
}
