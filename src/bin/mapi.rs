//! `mapi`: check a manifest, send records from a JSON file, consume records.
//!
//!   mapi check MANIFEST [--root DIR]
//!   mapi send MANIFEST --records FILE|- [--root DIR] [--rejections FILE] [--batch N]
//!   mapi consume MANIFEST [--count N] [--follow] [--root DIR]
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
        #[arg(long)]
        records: String,
        #[arg(long)]
        root: Option<PathBuf>,
        /// Write rejections here as JSON Lines {"record": ..., "reasons": [...]} (default: stderr).
        #[arg(long)]
        rejections: Option<PathBuf>,
        /// Records per submit.
        #[arg(long, default_value_t = 1000)]
        batch: usize,
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
    },
    /// Print the versions.
    Version,
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
        } => send(
            &manifest,
            &records,
            root.as_deref(),
            rejections.as_deref(),
            batch.max(1),
        ),
        Command::Consume {
            manifest,
            count,
            follow,
            root,
        } => consume(&manifest, count, follow, root.as_deref()),
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
    manifest: &Path,
    records: &str,
    root: Option<&Path>,
    rejections: Option<&Path>,
    batch: usize,
) -> messageapi::Result<ExitCode> {
    let session = open(manifest, root)?;
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
            let line = serde_json::json!({"record": r.record.to_json(), "reasons": r.reasons});
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

fn consume(
    manifest: &Path,
    count: Option<usize>,
    follow: bool,
    root: Option<&Path>,
) -> messageapi::Result<ExitCode> {
    let session = open(manifest, root)?;
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
            r.write_json(&mut line);
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
