//! Three observations through c_examples/quickstart.json: one archived, two rejected.
//! Usage: quickstart MANIFEST [ROOT]   (ROOT: where {}/obs.jsonl goes)

use std::io::Write;
use std::path::Path;

use messageapi::{Session, Value};

fn main() -> messageapi::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    run(
        Path::new(&args[1]),
        args.get(2).map(Path::new),
        &mut std::io::stdout(),
    )
}

pub fn run(manifest: &Path, root: Option<&Path>, out: &mut dyn Write) -> messageapi::Result<()> {
    let session = Session::open(manifest, root)?;
    let mut request = session.request();
    for (station, temp) in [(Some("KILX"), 21.5), (Some("KORD"), -3.0), (None, 10.0)] {
        let record = request.add_record();
        if let Some(s) = station {
            record.set("station", Value::string(s))?;
        }
        record.set("temp", Value::Double(temp))?;
        record.set_condition("warm", Value::Double(0.0))?; // this record: temp > 0
    }
    let outcome = request.submit().wait(None)?.clone(); // submit returns at once
    let _ = writeln!(out, "archived: {}", outcome.records.len());
    for rejection in &outcome.rejections {
        let _ = writeln!(out, "rejected: {}", rejection.reasons[0]);
    }
    Ok(())
}
