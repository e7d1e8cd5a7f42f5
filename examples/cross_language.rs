//! The cross-language scenario from Rust (tests/cross_language/README.md): five records, every
//! field type, through the manifest given as the first argument; the file-writer writes into
//! the directory given as the second, and so does this program (summary.txt).
//!
//!     cargo run --example cross_language -- tests/cross_language/manifest.json OUT_DIR

use std::fmt::Write as _;
use std::path::Path;

use messageapi::{Session, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, manifest, out_dir] = args.as_slice() else {
        return Err("usage: cross_language MANIFEST OUTPUT_DIR".into());
    };
    let session = Session::open(manifest, Some(Path::new(out_dir)))?;
    let mut request = session.request();
    let when = |text: &str| Value::parse_datetime(text);

    let r = request.add_record();
    r.set("id", Value::string("a1"))?;
    r.set("station", Value::string("KILX"))?;
    r.set("count", Value::Integer(7))?;
    r.set("ratio", Value::Double(0.25))?;
    r.set("single", Value::Double(1.5))?;
    r.set("ok", Value::Boolean(true))?;
    r.set("when", when("2019-05-06T12:30:00Z")?)?;
    r.set("ids", Value::IntList(vec![1, 2, 3].into()))?;
    r.set("temps", Value::DoubleList(vec![20.5, -3.25].into()))?;
    r.set(
        "tags",
        Value::StringList(vec!["x".into(), "y z".into()].into()),
    )?;
    r.set(
        "extra",
        Value::Json(serde_json::json!({"k": [1, null]}).into()),
    )?;
    r.set_condition("count-below", Value::Integer(100))?;

    let r = request.add_record();
    r.set("id", Value::string("a2"))?;
    r.set("station", Value::string("KILX"))?;
    r.set("count", Value::Integer(12))?;
    r.set("ratio", Value::Double(-0.001))?;
    r.set("single", Value::Double(0.1))?;
    r.set("ok", Value::Boolean(false))?;
    r.set("when", when("2020-01-01T00:00:00+02:00")?)?;
    r.set("ids", Value::IntList(vec![-9007199254740993].into()))?;
    r.set("temps", Value::DoubleList(vec![0.0].into()))?;
    r.set("tags", Value::StringList(Vec::new().into()))?;
    r.set("extra", Value::Json(serde_json::json!("text").into()))?;
    r.set_condition("count-below", Value::Integer(100))?;

    for (id, count) in [(None, 1), (Some("a4"), 500), (Some("a5"), 3)] {
        let r = request.add_record();
        if let Some(id) = id {
            r.set("id", Value::string(id))?;
        }
        r.set("station", Value::string("KORD"))?;
        r.set("count", Value::Integer(count))?;
        r.set_condition("count-below", Value::Integer(100))?;
    }

    let response = request.submit();
    let outcome = response.wait(None)?;
    let mut summary = String::new();
    writeln!(summary, "records: {}", outcome.records.len())?;
    writeln!(summary, "rejections: {}", outcome.rejections.len())?;
    for (i, rejection) in outcome.rejections.iter().enumerate() {
        let id = rejection
            .record
            .get_text("id")
            .map(|s| s.to_string())
            .unwrap_or_else(|_| "(null)".into());
        writeln!(
            summary,
            "rejection {}: id={id}: {}",
            i + 1,
            rejection.reasons.join(" ")
        )?;
    }
    std::fs::write(Path::new(out_dir).join("summary.txt"), summary)?;
    println!(
        "Rust: {} records, {} rejections",
        outcome.records.len(),
        outcome.rejections.len()
    );
    Ok(())
}
