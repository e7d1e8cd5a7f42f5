//! Engine benchmarks (run with `cargo bench --bench engine`, or scripts/bench.sh).
//! Prints one line per figure; BENCHMARKS.md records them.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use messageapi::{Session, Value};
use serde_json::json;

fn stats(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (samples[0], samples[samples.len() / 2])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn cf6() {
    common::register_stand_ins();
    let root = common::reference_root();
    let manifest = common::reference_dir().join("file-reader/manifest.json");
    let mut opens = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let s = Session::open(&manifest, Some(&root)).unwrap();
        opens.push(t.elapsed());
        drop(s);
    }
    let session = Session::open(&manifest, Some(&root)).unwrap();
    let path = format!("{{}}/resources/test/{}", common::CF6);
    let mut runs = Vec::new();
    for i in 0..60 {
        let mut req = session.request();
        req.add_record()
            .set("file-path", Value::String(path.as_str().into()))
            .unwrap();
        let t = Instant::now();
        let resp = req.submit();
        let out = resp.wait(None).unwrap();
        let took = t.elapsed();
        assert_eq!(out.records.len(), 79_794);
        let drop_t = Instant::now();
        drop(resp);
        let _ = drop_t;
        if i >= 10 {
            runs.push(took);
        }
    }
    let (omin, omed) = stats(opens);
    let (min, med) = stats(runs);
    println!(
        "cf6.session_open_ms      min {:.3}  median {:.3}",
        ms(omin),
        ms(omed)
    );
    println!(
        "cf6.submit_complete_ms   min {:.3}  median {:.3}   (79,794 records)",
        ms(min),
        ms(med)
    );
}

fn throughput(kind: &str, n: usize) {
    let m = json!({"plugin": kind, "constructor": {
        "schema": {"plugin": "default", "constructor": {"fields": [
            {"id": "station", "type": "string", "required": true},
            {"id": "seq", "type": "integer", "required": true},
            {"id": "temp", "type": "double", "required": false},
            {"id": "valid", "type": "boolean", "required": false},
            {"id": "source", "type": "string", "required": false},
            {"id": "quality", "type": "integer", "required": false}],
            "conditions": [{"id": "warm", "type": "comparison", "operator": ">", "field": "temp"}]}},
        "container": {"plugin": "default", "constructor": {"collections": [
            {"id": "obs", "fields": ["station", "seq", "temp", "valid", "source", "quality"]}]}},
        "protocol": {"plugin": "default", "constructor": {"endpoints": [
            {"plugin": "evaluation", "connections": [{"id": "eval", "collections": ["obs"]}]}]}}}});
    let session = Session::from_json(&m.to_string(), None).unwrap();
    let station: Value = Value::String("KILX".into());
    let source: Value = Value::String("asos".into());
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let mut req = session.request();
        for i in 0..n {
            let r = req.add_record();
            r.set("station", station.clone()).unwrap();
            r.set("seq", Value::Integer(i as i64)).unwrap();
            r.set("temp", Value::Double(20.5)).unwrap();
            r.set("valid", Value::Boolean(true)).unwrap();
            r.set("source", source.clone()).unwrap();
            r.set("quality", Value::Integer(3)).unwrap();
        }
        let t = Instant::now();
        let resp = req.submit();
        let out = resp.wait(None).unwrap();
        let took = t.elapsed();
        assert_eq!(out.records.len(), n);
        best = best.min(took);
    }
    let rate = n as f64 / best.as_secs_f64();
    println!(
        "throughput.{kind:<10} {:.2} M records/s  ({n} records in {:.1} ms, best of 5)",
        rate / 1e6,
        ms(best)
    );
}

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    if want("cf6") {
        cf6();
    }
    if want("throughput") {
        throughput("sequential", 1_000_000);
        throughput("parallel", 1_000_000);
    }
}
