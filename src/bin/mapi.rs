//! `mapi`: check a manifest, send records from a JSON file, consume records.
//!
//!   mapi check MANIFEST [--root DIR]
//!   mapi send MANIFEST --records FILE|- [--root DIR] [--rejections FILE] [--batch N] [JOB]
//!   mapi consume MANIFEST [--count N] [--follow] [--root DIR] [JOB]
//!
//! JOB options (batch and cron jobs): `--dead-letter PATH` (every rejected record, with its
//! reasons, appended to PATH as JSON Lines: a file dead-letter connection without editing the
//! manifest), `--stats` (a summary table on stderr at the end), `--metrics-file PATH`
//! (Prometheus text written atomically at the end: the node-exporter textfile convention).
//!   mapi version
//!
//! Exit status: 0 success; 2 `send` had rejections; 1 an error (the message names the file and
//! JSON location for manifests, the line for records).

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use messageapi::container::InputSpec;
use messageapi::schema::condition::{ConditionKind, Operator};
use messageapi::session::SessionCore;
use messageapi::{Record, Session};

#[derive(Parser)]
#[command(
    name = "mapi",
    about = "MessageAPI pipelines from the command line",
    disable_version_flag = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load a manifest and print its topology (fields, conditions, collections, transformations,
    /// connections and what each receives).
    Check {
        manifest: PathBuf,
        /// The {} root (default: MESSAGEAPI_ROOT, else the manifest's directory).
        #[arg(long)]
        root: Option<PathBuf>,
    },
    /// Send records from a JSON file (an object, an array, or JSON Lines; - for stdin), in
    /// batches on one request (stream mode).
    Send {
        manifest: PathBuf,
        /// The records (`--message-file` too, as Thoth's command line spells it).
        #[arg(long, visible_alias = "message-file")]
        records: String,
        #[arg(long)]
        root: Option<PathBuf>,
        /// Write rejections here as JSON Lines {"record": ..., "reasons": [...]} (default: stderr).
        #[arg(long)]
        rejections: Option<PathBuf>,
        /// Records per submit.
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        #[command(flatten)]
        job: JobOptions,
    },
    /// Print the records the manifest's endpoints return (a consumer's messages) as JSON Lines.
    Consume {
        manifest: PathBuf,
        /// Stop after this many records.
        #[arg(long)]
        count: Option<usize>,
        /// Keep submitting when a batch comes back empty (until --count, or interrupted).
        #[arg(long)]
        follow: bool,
        #[arg(long)]
        root: Option<PathBuf>,
        #[command(flatten)]
        job: JobOptions,
    },
    /// Print the versions.
    Version,
}

/// What a batch job reports, and where its rejected records go.
#[derive(clap::Args, Clone, Default)]
struct JobOptions {
    /// Append every rejected record, with its reasons, stage and connection, to this file as
    /// JSON Lines (replaces the manifest's dead-letters entry).
    #[arg(long = "dead-letter", value_name = "PATH")]
    dead_letter: Option<PathBuf>,
    /// Print a summary of the session's statistics on stderr at the end.
    #[arg(long)]
    stats: bool,
    /// Write the statistics as Prometheus text to this file at the end (written to a temporary
    /// file in the same directory, then renamed: the node-exporter textfile convention).
    #[arg(long = "metrics-file", value_name = "PATH")]
    metrics_file: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { manifest, root } => check(&manifest, root.as_deref()),
        Command::Send {
            manifest,
            records,
            root,
            rejections,
            batch,
            job,
        } => open_job(&manifest, root.as_deref(), &job).and_then(|session| {
            let result = send(&session, &records, rejections.as_deref(), batch.max(1));
            end_job(&session, &job, result)
        }),
        Command::Consume {
            manifest,
            count,
            follow,
            root,
            job,
        } => open_job(&manifest, root.as_deref(), &job).and_then(|session| {
            let result = consume(&session, count, follow);
            end_job(&session, &job, result)
        }),
        Command::Version => {
            println!(
                "mapi {} (messageapi {}, C ABI {})",
                env!("CARGO_PKG_VERSION"),
                env!("CARGO_PKG_VERSION"),
                messageapi::ffi::version::MAPI_ABI_VERSION
            );
            Ok(ExitCode::SUCCESS)
        }
    };
    result.unwrap_or_else(|e| {
        eprintln!("mapi: {}", messageapi::log::redact(&e.to_string()));
        ExitCode::from(1)
    })
}

fn open(manifest: &Path, root: Option<&Path>) -> messageapi::Result<Session> {
    Session::open(manifest, root)
}

/// Opens the manifest with the job's dead-letter file, if any.
fn open_job(manifest: &Path, root: Option<&Path>, job: &JobOptions) -> messageapi::Result<Session> {
    let dead_letters = match &job.dead_letter {
        None => None,
        Some(p) => {
            let path = std::path::absolute(p).map_err(|e| {
                messageapi::Error::Io(format!("--dead-letter {}: {e}", p.display()))
            })?;
            Some(
                serde_json::json!({"plugin": "file-writer", "id": "dead-letters",
                "constructor": {"path": path.to_string_lossy(), "mode": "append"}}),
            )
        }
    };
    let options = messageapi::OpenOptions {
        root: root.map(Path::to_path_buf),
        dead_letters,
        ..Default::default()
    };
    Session::open_with(manifest, &options)
}

/// At the end of a job, whether it succeeded or not: the statistics table and the metrics
/// file, as asked.
fn end_job(
    session: &Session,
    job: &JobOptions,
    result: messageapi::Result<ExitCode>,
) -> messageapi::Result<ExitCode> {
    if job.stats {
        eprint!("{}", stats_table(&session.stats()));
    }
    if let Some(path) = &job.metrics_file {
        write_atomically(path, session.stats_prometheus().as_bytes())?;
    }
    result
}

/// Writes `bytes` to a temporary file next to `path`, then renames it into place: a reader
/// (the node-exporter textfile collector) never sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> messageapi::Result<()> {
    let io = |e: std::io::Error| {
        messageapi::Error::Io(format!("cannot write metrics file {}: {e}", path.display()))
    };
    let name = path
        .file_name()
        .ok_or_else(|| io(std::io::Error::other("not a file name")))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(io)
}

/// The `--stats` table.
fn stats_table(s: &serde_json::Value) -> String {
    use std::fmt::Write as _;
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
    let ms = |v: &serde_json::Value| match v.as_f64() {
        Some(x) if x.is_finite() => format!("{:.1} ms", x * 1e3),
        _ => "-".to_string(),
    };
    let mut out = String::new();
    let _ = writeln!(out, "statistics:");
    let row = |out: &mut String, name: &str, v: String| {
        let _ = writeln!(out, "  {name:<24} {v:>12}");
    };
    row(&mut out, "submits", n(&s["submits"]).to_string());
    row(
        &mut out,
        "records submitted",
        n(&s["records_submitted"]).to_string(),
    );
    row(
        &mut out,
        "records accepted",
        n(&s["records_accepted"]).to_string(),
    );
    for stage in ["required", "condition", "endpoint", "internal"] {
        row(
            &mut out,
            &format!("rejected ({stage})"),
            n(&s["records_rejected"][stage]).to_string(),
        );
    }
    row(
        &mut out,
        "records returned",
        n(&s["records_returned"]).to_string(),
    );
    row(
        &mut out,
        "records dead-lettered",
        n(&s["records_dead_lettered"]).to_string(),
    );
    row(
        &mut out,
        "dead letters not written",
        n(&s["dead_letter_failures"]).to_string(),
    );
    let l = &s["submit_latency_seconds"];
    for q in ["p50", "p90", "p99", "max"] {
        row(&mut out, &format!("submit latency {q}"), ms(&l[q]));
    }
    let _ = writeln!(
        out,
        "  {:<24} {:>10} {:>10} {:>10} {:>7} {:>12} {:>12}",
        "connection", "routed", "returned", "rejected", "errors", "bytes sent", "bytes recv"
    );
    for c in s["connections"].as_array().into_iter().flatten() {
        let mut id = c["id"].as_str().unwrap_or("?").to_string();
        if c["dead_letter"] == true {
            id.push_str(" (dead letters)");
        }
        let _ = writeln!(
            out,
            "  {:<24} {:>10} {:>10} {:>10} {:>7} {:>12} {:>12}",
            id,
            n(&c["records_routed"]),
            n(&c["records_returned"]),
            n(&c["records_rejected"]),
            n(&c["errors"]),
            n(&c["bytes_sent"]),
            n(&c["bytes_received"])
        );
        for p in c["consumer_lag"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "    lag {}/{}: {}",
                p["topic"].as_str().unwrap_or("?"),
                n(&p["partition"]),
                n(&p["lag"])
            );
        }
    }
    out
}

fn check(manifest: &Path, root: Option<&Path>) -> messageapi::Result<ExitCode> {
    let session = open(manifest, root)?;
    let core = session.core();
    let mut out = String::new();
    describe(core, &mut out);
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// What `mapi check` prints: the session as loaded, part by part.
fn describe(core: &SessionCore, out: &mut String) {
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "manifest: {} ({:?} session)",
        core.source.display(),
        core.kind
    );
    let _ = writeln!(out, "root: {}", core.root.display());
    if !core.warnings.is_empty() {
        let _ = writeln!(out, "warnings:");
        for w in &core.warnings {
            let _ = writeln!(out, "  {w}");
        }
    }
    describe_schema(core, out);
    describe_container(core, out);
    describe_protocol(core, out);
}

/// Fields and conditions.
fn describe_schema(core: &SessionCore, out: &mut String) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "fields:");
    for f in core.schema.layout.fields() {
        let mut line = format!("  {}: {}", f.id, f.ty.name());
        if f.required {
            line.push_str(", required");
        }
        if !f.default.is_null() {
            let _ = write!(line, ", default {}", f.default.to_json());
        }
        let _ = writeln!(out, "{line}");
    }
    let conditions = core.schema.conditions.conditions();
    if !conditions.is_empty() {
        let _ = writeln!(out, "conditions:");
        for c in conditions {
            let text = match &c.kind {
                ConditionKind::Comparison {
                    field, operator, ..
                } => {
                    let op = match operator {
                        Operator::Plugin(name, _) => format!("[{name}]"),
                        op => op.symbol().to_string(),
                    };
                    match &c.value {
                        Some(v) => format!("{field} {op} {}", v.to_json()),
                        None => format!("{field} {op} (valued per record)"),
                    }
                }
                ConditionKind::Composite { all, children } => {
                    let names: Vec<&str> = children.iter().map(|&i| &*conditions[i].id).collect();
                    format!("{}({})", if *all { "and" } else { "or" }, names.join(", "))
                }
            };
            let _ = writeln!(out, "  {}: {text}", c.id);
        }
    }
}

/// Collections and transformations.
fn describe_container(core: &SessionCore, out: &mut String) {
    use std::fmt::Write as _;
    let conditions = core.schema.conditions.conditions();
    let _ = writeln!(out, "collections:");
    for c in &core.container.collections {
        let fields: Vec<&str> = c.layout.fields().iter().map(|f| f.id.as_str()).collect();
        let mut line = format!("  {}: fields {}", c.id, fields.join(", "));
        if !c.classifiers.is_empty() {
            let labels: Vec<String> = c
                .classifiers
                .iter()
                .map(|(k, vs)| {
                    format!(
                        "{k}={}",
                        vs.iter()
                            .map(|v| v.as_ref())
                            .collect::<Vec<&str>>()
                            .join("|")
                    )
                })
                .collect();
            let _ = write!(line, "; classifiers {}", labels.join(", "));
        }
        if !c.conditions.is_empty() {
            let names: Vec<&str> = c.conditions.iter().map(|&i| &*conditions[i].id).collect();
            let _ = write!(line, "; conditions {}", names.join(", "));
        }
        let _ = writeln!(out, "{line}");
    }
    if !core.container.transformations.is_empty() {
        let _ = writeln!(out, "transformations:");
        for t in &core.container.transformations {
            let inputs: Vec<String> = t
                .inputs
                .iter()
                .map(|(p, spec)| {
                    let s = match spec {
                        InputSpec::Collection(Some(c)) => {
                            format!("collection {}", core.container.collections[*c].id)
                        }
                        InputSpec::Collection(None) => {
                            "an undefined collection (empty)".to_string()
                        }
                        InputSpec::Classifier(k, v) => format!("classifier {k}={v}"),
                        InputSpec::Transformation(i) => {
                            format!("transformation {}", core.container.transformations[*i].id)
                        }
                        InputSpec::Uuid => "one container record (UUID) at a time".to_string(),
                    };
                    format!("{p} <- {s}")
                })
                .collect();
            let _ = writeln!(out, "  {}: {}; {}", t.id, t.operator, inputs.join("; "));
        }
    }
}

/// Connections: what each lists, is routed and returns.
fn describe_protocol(core: &SessionCore, out: &mut String) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "connections:");
    for c in &core.protocol.connections {
        let mut parts = Vec::new();
        if !c.collections.is_empty() {
            let names: Vec<&str> = c
                .collections
                .iter()
                .map(|&i| core.container.collections[i].id.as_ref())
                .collect();
            parts.push(format!("collections {}", names.join(", ")));
        }
        if !c.classifiers.is_empty() {
            let names: Vec<String> = c.classifiers.iter().map(|s| s.label()).collect();
            parts.push(format!("classifiers {}", names.join(", ")));
        }
        if !c.transformations.is_empty() {
            let names: Vec<&str> = c
                .transformations
                .iter()
                .map(|&i| core.container.transformations[i].id.as_ref())
                .collect();
            parts.push(format!("transformations {}", names.join(", ")));
        }
        let routed: Vec<&str> = core
            .container
            .collections
            .iter()
            .zip(&c.receives)
            .filter(|(_, r)| **r)
            .map(|(coll, _)| coll.id.as_ref())
            .collect();
        let _ = writeln!(
            out,
            "  {} ({}): lists {}",
            c.id,
            c.endpoint,
            if parts.is_empty() {
                "nothing".to_string()
            } else {
                parts.join("; ")
            }
        );
        let _ = writeln!(
            out,
            "    routed records of: {}",
            if routed.is_empty() {
                "none".to_string()
            } else {
                routed.join(", ")
            }
        );
        if !c.fields.is_empty() {
            let _ = writeln!(
                out,
                "    output fields narrowed to: {}",
                c.fields.join(", ")
            );
        }
    }
    if let Some(d) = &core.protocol.dead_letter {
        let _ = writeln!(
            out,
            "dead letters: {} ({}): every rejected record",
            d.id, d.endpoint
        );
    }
}

fn read_input(records: &str) -> messageapi::Result<String> {
    let mut text = String::new();
    if records == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| messageapi::Error::Io(format!("cannot read standard input: {e}")))?;
    } else {
        text = std::fs::read_to_string(records)
            .map_err(|e| messageapi::Error::Io(format!("cannot read {records}: {e}")))?;
    }
    Ok(text)
}

fn send(
    session: &Session,
    records: &str,
    rejections: Option<&Path>,
    batch: usize,
) -> messageapi::Result<ExitCode> {
    let text = read_input(records)?;
    let input: Vec<Record> = session.read_json(&text).map_err(|e| e.context(records))?;
    let mut sink: Box<dyn Write> = match rejections {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p).map_err(
            |e| messageapi::Error::Io(format!("cannot write {}: {e}", p.display())),
        )?)),
        None => Box::new(std::io::stderr()),
    };
    let batches = input.len().div_ceil(batch);
    let bar = if batches > 1 && std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(input.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} records {per_sec} {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let started = Instant::now();
    let mut request = session.request();
    let (mut returned, mut rejected) = (0usize, 0usize);
    let total = input.len();
    let mut input = input.into_iter().peekable();
    while input.peek().is_some() {
        request.clear();
        for r in input.by_ref().take(batch) {
            request.push(r)?;
        }
        let n = request.len();
        let response = request.submit();
        let outcome = response.wait(None)?;
        returned += outcome.records.len();
        rejected += outcome.rejections.len();
        for r in &outcome.rejections {
            let line = serde_json::json!({"record": r.record.to_json(), "reasons": r.reasons,
                "stage": r.stage.as_str(), "connection": r.connection.as_deref()});
            let _ = writeln!(sink, "{line}");
        }
        if let Some(b) = &bar {
            b.inc(n as u64);
        }
    }
    let _ = sink.flush();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    println!(
        "sent {total} records in {batches} batches: {returned} records returned, {rejected} rejected ({:.1} ms)",
        started.elapsed().as_secs_f64() * 1e3
    );
    Ok(if rejected > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn consume(session: &Session, count: Option<usize>, follow: bool) -> messageapi::Result<ExitCode> {
    let mut request = session.request();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut printed = 0usize;
    loop {
        let response = request.submit();
        let outcome = response.wait(None)?;
        for r in &outcome.records {
            if count.is_some_and(|c| printed >= c) {
                break;
            }
            let mut line = Vec::new();
            messageapi::json::write_record(r, &mut line);
            line.push(b'\n');
            let _ = out.write_all(&line);
            printed += 1;
        }
        for r in &outcome.rejections {
            eprintln!("rejected: {}", r.reasons.join("; "));
        }
        let _ = out.flush();
        if count.is_some_and(|c| printed >= c) || (outcome.records.is_empty() && !follow) {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}
