//! `mapi`: check a manifest, send records from a JSON file, consume records.
//!
//! ```text
//!   mapi check MANIFEST [--root DIR]
//!   mapi send MANIFEST --records FILE|- [--root DIR] [--rejections FILE] [--batch N] [JOB]
//!   mapi consume MANIFEST [--count N] [--follow] [--root DIR] [JOB]
//! ```
//!
//! JOB options (batch and cron jobs): `--dead-letter PATH` (every rejected record, with its
//! reasons, appended to PATH as JSON Lines: a file dead-letter connection without editing the
//! manifest), `--stats` (a summary table on stderr at the end), `--metrics-file PATH`
//! (Prometheus text written atomically at the end: the node-exporter textfile convention).
//!   mapi version
//!
//! Exit status: 0 success; 2 `send` had rejections; 1 an error (the message names the file and
//! JSON location for manifests, the line for records).

mod values;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use messageapi::Session;
use values::Values;

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
        Command::Version => writeln!(
            std::io::stdout(),
            "mapi {} (messageapi {}, C ABI {})",
            env!("CARGO_PKG_VERSION"),
            env!("CARGO_PKG_VERSION"),
            messageapi::ffi::version::MAPI_ABI_VERSION
        )
        .map(|()| ExitCode::SUCCESS)
        .map_err(|e| messageapi::Error::Io(format!("cannot write to standard output: {e}"))),
    };
    result.unwrap_or_else(|e| {
        // (Never a panic when stderr itself is closed: the exit status still says it.)
        let _ = writeln!(
            std::io::stderr(),
            "mapi: {}",
            messageapi::log::redact(&e.to_string())
        );
        ExitCode::from(1)
    })
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
        let _ = write!(std::io::stderr(), "{}", stats_table(&session.stats()));
    }
    if let Some(path) = &job.metrics_file {
        write_atomically(path, session.stats_prometheus().as_bytes())?;
    }
    result
}

/// Writes `bytes` to a temporary file next to `path` (created exclusively, under a name no
/// other process can predict or already hold), syncs it, renames it into place and syncs the
/// directory: a reader (the node-exporter textfile collector) never sees half a file, and after
/// a crash the file is the old one or the new one.
fn write_atomically(path: &Path, bytes: &[u8]) -> messageapi::Result<()> {
    let io = |e: std::io::Error| {
        messageapi::Error::Io(format!("cannot write metrics file {}: {e}", path.display()))
    };
    let name = path
        .file_name()
        .ok_or_else(|| io(std::io::Error::other("not a file name")))?;
    let (tmp, mut file) = {
        let mut attempt = 0u32;
        loop {
            let mut tmp_name = std::ffi::OsString::from(".");
            tmp_name.push(name);
            tmp_name.push(format!(
                ".{}.{}.tmp",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            ));
            let tmp = path.with_file_name(tmp_name);
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
            {
                Ok(f) => break (tmp, f),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 16 => {
                    attempt += 1
                }
                Err(e) => return Err(io(e)),
            }
        }
    };
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    drop(file);
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(io)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io)
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
    // Loads no library, reads no secret, connects nowhere.
    let session = Session::check(manifest, root)?;
    print!("{}", session.describe());
    Ok(ExitCode::SUCCESS)
}

fn send(
    session: &Session,
    records: &str,
    rejections: Option<&Path>,
    batch: usize,
) -> messageapi::Result<ExitCode> {
    let cannot_read = |e: std::io::Error| {
        messageapi::Error::Io(format!(
            "cannot read {}: {e}",
            if records == "-" {
                "standard input"
            } else {
                records
            }
        ))
    };
    let (input, size): (Box<dyn std::io::BufRead>, Option<u64>) = if records == "-" {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let f = std::fs::File::open(records).map_err(cannot_read)?;
        let size = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
        (
            Box::new(std::io::BufReader::with_capacity(1 << 16, f)),
            size,
        )
    };
    let mut values = Values::new(input);
    let mut sink: Box<dyn Write> = match rejections {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p).map_err(
            |e| messageapi::Error::Io(format!("cannot write {}: {e}", p.display())),
        )?)),
        None => Box::new(std::io::stderr()),
    };
    let cannot_write = |e: std::io::Error| {
        messageapi::Error::Io(format!(
            "cannot write the rejections to {}: {e}",
            rejections.map_or("standard error".into(), |p| p.display().to_string())
        ))
    };
    let bar = match size {
        Some(len) if len > 1 << 20 && std::io::stderr().is_terminal() => {
            let b = indicatif::ProgressBar::new(len);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            Some(b)
        }
        _ => None,
    };
    let started = Instant::now();
    let mut request = session.request();
    let (mut total, mut batches, mut returned, mut rejected) = (0usize, 0usize, 0usize, 0usize);
    let mut read_bytes = 0u64;
    loop {
        // One batch of the input at a time: memory is bounded by the batch.
        request.clear();
        while request.len() < batch {
            let Some((line, text)) = values.next_value().map_err(|e| e.context(records))? else {
                break;
            };
            read_bytes += text.len() as u64 + 1;
            let record = request.add_record();
            if let Err(e) = messageapi::read_object(&text, record) {
                request.pop();
                return Err(e.context(format_args!("line {line}")).context(records));
            }
        }
        let n = request.len();
        if n == 0 {
            break;
        }
        total += n;
        batches += 1;
        let response = request.submit();
        let outcome = response.wait(None)?;
        returned += outcome.records.len();
        rejected += outcome.rejections.len();
        for r in &outcome.rejections {
            let line = serde_json::json!({"record": r.record.to_json(), "reasons": r.reasons,
                "stage": r.stage.as_str(), "connection": r.connection.as_deref()});
            writeln!(sink, "{line}").map_err(cannot_write)?;
        }
        // Each batch's rejections are on disk before the next batch goes.
        sink.flush().map_err(cannot_write)?;
        if let Some(b) = &bar {
            b.set_position(read_bytes);
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let summary = format!(
        "sent {total} records in {batches} batches: {returned} records returned, {rejected} rejected ({:.1} ms)\n",
        started.elapsed().as_secs_f64() * 1e3
    );
    std::io::stdout()
        .write_all(summary.as_bytes())
        .and_then(|()| std::io::stdout().flush())
        .map_err(|e| messageapi::Error::Io(format!("cannot write to standard output: {e}")))?;
    Ok(if rejected > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// The consumer connections of a session and their `max-records` (to ask for at most what
/// `--count` still wants).
fn consumer_batches(session: &Session) -> Vec<(String, i64)> {
    session
        .connections()
        .into_iter()
        .filter(|c| matches!(c.endpoint, "kafka-consumer" | "amqp-consumer"))
        .map(|c| {
            let max = c
                .constructor
                .get("max-records")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(500);
            (c.id.to_string(), max)
        })
        .collect()
}

/// Prints the records the endpoints return, as JSON Lines, until `count` or an empty batch
/// (unless `follow`). Consumers commit only what was written: each response is let go of once
/// its records are written and flushed; with `--count`, each submit asks for at most the
/// records still wanted; a write error (a closed pipe, a full disk) ends the command with an
/// error and the request is abandoned, committing nothing not yet committed.
fn consume(session: &Session, count: Option<usize>, follow: bool) -> messageapi::Result<ExitCode> {
    let mut request = session.request();
    let consumers = consumer_batches(session);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut printed = 0usize;
    loop {
        if let Some(c) = count {
            for (id, max) in &consumers {
                let wanted = (c - printed).min(usize::try_from(*max).unwrap_or(0));
                request.set_parameter(id, "max-records", serde_json::json!(wanted))?;
            }
        }
        let response = request.submit();
        let outcome = response.wait(None)?;
        let written = write_batch(&mut out, outcome, count.map(|c| c - printed));
        let (n, all) = match written {
            Ok(w) => w,
            Err(e) => {
                // What was not written is never committed: delivered again to the next run.
                // (Abandoned before the response is let go of, which would release it.)
                request.abandon();
                return Err(messageapi::Error::Io(format!(
                    "cannot write to standard output: {e}; nothing not written is committed"
                )));
            }
        };
        printed += n;
        let empty = outcome.records.is_empty();
        if !all {
            // More came back than --count wants: committing them would skip them for good.
            request.abandon();
            return Ok(ExitCode::SUCCESS);
        }
        // Written and flushed: letting go of the response commits its messages.
        drop(response);
        if count.is_some_and(|c| printed >= c) || (empty && !follow) {
            break;
        }
    }
    // Freeing the request waits for the last commits.
    drop(request);
    Ok(ExitCode::SUCCESS)
}

/// Writes up to `limit` records of `outcome` as JSON Lines, and its rejections' reasons to
/// stderr, then flushes: the records written, and whether that was all of them.
fn write_batch(
    out: &mut impl Write,
    outcome: &messageapi::Outcome,
    limit: Option<usize>,
) -> std::io::Result<(usize, bool)> {
    let take = limit.map_or(outcome.records.len(), |l| l.min(outcome.records.len()));
    let mut line = Vec::new();
    for r in &outcome.records[..take] {
        line.clear();
        messageapi::write_record(r, &mut line);
        line.push(b'\n');
        out.write_all(&line)?;
    }
    out.flush()?;
    let mut err = std::io::stderr().lock();
    for r in &outcome.rejections {
        writeln!(err, "rejected: {}", r.reasons.join("; "))?;
    }
    Ok((take, take == outcome.records.len()))
}
