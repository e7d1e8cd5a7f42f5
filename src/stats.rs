//! Statistics a running job reports: per session and per connection, counted once per submit
//! (a handful of relaxed atomic adds per batch, never per record), read as a JSON snapshot or as
//! Prometheus text exposition (format 0.0.4). No HTTP server: the caller decides where the text
//! goes (a file for the node-exporter textfile collector, its own endpoint, a log).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value as Json};

use crate::record::Stage;

/// Counters of one session.
#[derive(Debug)]
pub struct SessionStats {
    started: Instant,
    started_at: SystemTime,
    submits: AtomicU64,
    submitted: AtomicU64,
    accepted: AtomicU64,
    rejected: [AtomicU64; 4],
    returned: AtomicU64,
    dead_lettered: AtomicU64,
    dead_letter_failures: AtomicU64,
    latency: Mutex<Histogram>,
    /// One per connection, in protocol order.
    pub(crate) connections: Vec<Arc<ConnectionStats>>,
    /// The dead-letter connection's, if the session has one.
    pub(crate) dead_letter: Option<Arc<ConnectionStats>>,
}

/// Counters of one connection.
#[derive(Debug)]
pub struct ConnectionStats {
    id: Arc<str>,
    endpoint: String,
    routed: AtomicU64,
    returned: AtomicU64,
    rejected: AtomicU64,
    errors: AtomicU64,
    bytes_sent: AtomicU64,
    bytes_received: AtomicU64,
    /// Kafka connections: librdkafka's latest statistics JSON and consumer lag per partition.
    kafka: Mutex<KafkaStats>,
}

#[derive(Debug, Default)]
struct KafkaStats {
    librdkafka: Option<String>,
    lag: BTreeMap<(String, i32), i64>,
}

impl ConnectionStats {
    pub(crate) fn new(id: &str, endpoint: &str) -> ConnectionStats {
        ConnectionStats {
            id: id.into(),
            endpoint: endpoint.to_string(),
            routed: AtomicU64::new(0),
            returned: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            bytes_received: AtomicU64::new(0),
            kafka: Mutex::default(),
        }
    }

    pub(crate) fn add_routed(&self, n: usize) {
        if n > 0 {
            self.routed.fetch_add(n as u64, Relaxed);
        }
    }

    pub(crate) fn add_results(&self, returned: usize, rejected: usize, errors: usize) {
        if returned > 0 {
            self.returned.fetch_add(returned as u64, Relaxed);
        }
        if rejected > 0 {
            self.rejected.fetch_add(rejected as u64, Relaxed);
        }
        if errors > 0 {
            self.errors.fetch_add(errors as u64, Relaxed);
        }
    }

    /// Bytes written to a file or sent to a broker.
    pub fn add_bytes_sent(&self, n: u64) {
        if n > 0 {
            self.bytes_sent.fetch_add(n, Relaxed);
        }
    }

    /// Bytes read from a file or received from a broker.
    pub fn add_bytes_received(&self, n: u64) {
        if n > 0 {
            self.bytes_received.fetch_add(n, Relaxed);
        }
    }

    /// librdkafka's statistics JSON (its `statistics.interval.ms` callback).
    #[cfg_attr(not(feature = "kafka"), allow(dead_code))]
    pub(crate) fn set_librdkafka(&self, json: String) {
        self.kafka
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .librdkafka = Some(json);
    }

    /// A consumer's lag on its partitions now (high watermark minus next offset to read);
    /// partitions no longer assigned are dropped.
    #[cfg_attr(not(feature = "kafka"), allow(dead_code))]
    pub(crate) fn set_lag(&self, lag: Vec<(String, i32, i64)>) {
        let mut k = self.kafka.lock().unwrap_or_else(|p| p.into_inner());
        k.lag = lag.into_iter().map(|(t, p, l)| ((t, p), l)).collect();
    }

    fn snapshot(&self, dead_letter: bool) -> Json {
        let mut c = json!({
            "id": &*self.id,
            "endpoint": self.endpoint,
            "dead_letter": dead_letter,
            "records_routed": self.routed.load(Relaxed),
            "records_returned": self.returned.load(Relaxed),
            "records_rejected": self.rejected.load(Relaxed),
            "errors": self.errors.load(Relaxed),
            "bytes_sent": self.bytes_sent.load(Relaxed),
            "bytes_received": self.bytes_received.load(Relaxed),
        });
        let k = self.kafka.lock().unwrap_or_else(|p| p.into_inner());
        if !k.lag.is_empty() {
            c["consumer_lag"] = k
                .lag
                .iter()
                .map(|((t, p), l)| json!({"topic": t, "partition": p, "lag": l}))
                .collect();
        }
        if let Some(raw) = &k.librdkafka {
            c["librdkafka"] = serde_json::from_str(raw).unwrap_or(Json::Null);
        }
        c
    }
}

impl SessionStats {
    pub(crate) fn new(
        connections: Vec<Arc<ConnectionStats>>,
        dead_letter: Option<Arc<ConnectionStats>>,
    ) -> SessionStats {
        SessionStats {
            started: Instant::now(),
            started_at: SystemTime::now(),
            submits: AtomicU64::new(0),
            submitted: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            rejected: Default::default(),
            returned: AtomicU64::new(0),
            dead_lettered: AtomicU64::new(0),
            dead_letter_failures: AtomicU64::new(0),
            latency: Mutex::default(),
            connections,
            dead_letter,
        }
    }

    /// A submit of `n` records has started.
    pub(crate) fn submitted(&self, n: usize) {
        self.submits.fetch_add(1, Relaxed);
        self.submitted.fetch_add(n as u64, Relaxed);
    }

    /// A submit has completed: `accepted` records passed validation; `rejected` counts per
    /// stage; `returned` came back; `took` from submit to completion.
    pub(crate) fn completed(
        &self,
        accepted: usize,
        rejected: [usize; 4],
        returned: usize,
        took: Duration,
    ) {
        self.accepted.fetch_add(accepted as u64, Relaxed);
        for (c, n) in self.rejected.iter().zip(rejected) {
            if n > 0 {
                c.fetch_add(n as u64, Relaxed);
            }
        }
        self.returned.fetch_add(returned as u64, Relaxed);
        self.latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .record(took);
    }

    pub(crate) fn dead_letters(&self, written: usize, failed: usize) {
        self.dead_lettered.fetch_add(written as u64, Relaxed);
        self.dead_letter_failures.fetch_add(failed as u64, Relaxed);
    }

    fn all_connections(&self) -> impl Iterator<Item = (&Arc<ConnectionStats>, bool)> {
        self.connections
            .iter()
            .map(|c| (c, false))
            .chain(self.dead_letter.iter().map(|c| (c, true)))
    }

    /// The statistics as one JSON object (see docs/statistics.md).
    pub fn json(&self) -> Json {
        let lat = self
            .latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let rejected: serde_json::Map<String, Json> = Stage::ALL
            .iter()
            .map(|s| {
                (
                    s.as_str().to_string(),
                    json!(self.rejected[s.index()].load(Relaxed)),
                )
            })
            .collect();
        json!({
            "uptime_seconds": self.started.elapsed().as_secs_f64(),
            "started": chrono::DateTime::<chrono::Utc>::from(self.started_at).to_rfc3339(),
            "submits": self.submits.load(Relaxed),
            "records_submitted": self.submitted.load(Relaxed),
            "records_accepted": self.accepted.load(Relaxed),
            "records_rejected": rejected,
            "records_returned": self.returned.load(Relaxed),
            "records_dead_lettered": self.dead_lettered.load(Relaxed),
            "dead_letter_failures": self.dead_letter_failures.load(Relaxed),
            "submit_latency_seconds": {
                "count": lat.count,
                "sum": lat.sum.as_secs_f64(),
                "p50": lat.quantile(0.5),
                "p90": lat.quantile(0.9),
                "p99": lat.quantile(0.99),
                "max": lat.max.as_secs_f64(),
            },
            "connections": self.all_connections().map(|(c, dl)| c.snapshot(dl)).collect::<Vec<_>>(),
        })
    }

    /// The statistics as Prometheus text exposition format 0.0.4.
    pub fn prometheus(&self) -> String {
        let mut out = String::with_capacity(4096);
        let counter = |out: &mut String, name: &str, help: &str, rows: &[(String, u64)]| {
            let _ = writeln!(out, "# HELP messageapi_{name} {help}");
            let _ = writeln!(out, "# TYPE messageapi_{name} counter");
            for (labels, v) in rows {
                let _ = writeln!(out, "messageapi_{name}{labels} {v}");
            }
        };
        let one = |v: &AtomicU64| vec![(String::new(), v.load(Relaxed))];
        counter(
            &mut out,
            "submits_total",
            "Submits started.",
            &one(&self.submits),
        );
        counter(
            &mut out,
            "records_submitted_total",
            "Records submitted.",
            &one(&self.submitted),
        );
        counter(
            &mut out,
            "records_accepted_total",
            "Records that passed validation (required fields and conditions).",
            &one(&self.accepted),
        );
        let by_stage: Vec<(String, u64)> = Stage::ALL
            .iter()
            .map(|s| {
                (
                    format!("{{stage=\"{}\"}}", s.as_str()),
                    self.rejected[s.index()].load(Relaxed),
                )
            })
            .collect();
        counter(
            &mut out,
            "records_rejected_total",
            "Records rejected, by stage.",
            &by_stage,
        );
        counter(
            &mut out,
            "records_returned_total",
            "Records that came back in responses.",
            &one(&self.returned),
        );
        counter(
            &mut out,
            "records_dead_lettered_total",
            "Rejected records written to the dead-letter connection.",
            &one(&self.dead_lettered),
        );
        counter(
            &mut out,
            "dead_letter_failures_total",
            "Rejected records the dead-letter connection could not take.",
            &one(&self.dead_letter_failures),
        );
        let lat = self
            .latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let _ = writeln!(
            out,
            "# HELP messageapi_submit_latency_seconds Time from submit to a completed response."
        );
        let _ = writeln!(out, "# TYPE messageapi_submit_latency_seconds summary");
        for q in [0.5, 0.9, 0.99] {
            let _ = writeln!(
                out,
                "messageapi_submit_latency_seconds{{quantile=\"{q}\"}} {}",
                float(lat.quantile(q))
            );
        }
        let _ = writeln!(
            out,
            "messageapi_submit_latency_seconds_sum {}",
            float(lat.sum.as_secs_f64())
        );
        let _ = writeln!(out, "messageapi_submit_latency_seconds_count {}", lat.count);
        let _ = writeln!(
            out,
            "# HELP messageapi_submit_latency_max_seconds The longest time from submit to a completed response."
        );
        let _ = writeln!(out, "# TYPE messageapi_submit_latency_max_seconds gauge");
        let _ = writeln!(
            out,
            "messageapi_submit_latency_max_seconds {}",
            float(lat.max.as_secs_f64())
        );
        let conns: Vec<(&Arc<ConnectionStats>, bool)> = self.all_connections().collect();
        let per = |f: &dyn Fn(&ConnectionStats) -> u64| -> Vec<(String, u64)> {
            conns
                .iter()
                .map(|(c, dl)| (labels(&c.id, &c.endpoint, *dl), f(c)))
                .collect()
        };
        counter(
            &mut out,
            "connection_records_routed_total",
            "Records routed to the connection (dead letters, for the dead-letter connection).",
            &per(&|c| c.routed.load(Relaxed)),
        );
        counter(
            &mut out,
            "connection_records_returned_total",
            "Records the connection returned.",
            &per(&|c| c.returned.load(Relaxed)),
        );
        counter(
            &mut out,
            "connection_records_rejected_total",
            "Records the connection rejected.",
            &per(&|c| c.rejected.load(Relaxed)),
        );
        counter(
            &mut out,
            "connection_errors_total",
            "Endpoint failures (a call, finisher or start that failed or panicked).",
            &per(&|c| c.errors.load(Relaxed)),
        );
        counter(
            &mut out,
            "connection_sent_bytes_total",
            "Bytes written to files or sent to brokers.",
            &per(&|c| c.bytes_sent.load(Relaxed)),
        );
        counter(
            &mut out,
            "connection_received_bytes_total",
            "Bytes read from files or received from brokers.",
            &per(&|c| c.bytes_received.load(Relaxed)),
        );
        let mut lag_rows = String::new();
        for (c, dl) in &conns {
            let k = c.kafka.lock().unwrap_or_else(|p| p.into_inner());
            for ((t, p), l) in &k.lag {
                let base = labels(&c.id, &c.endpoint, *dl);
                let _ = writeln!(
                    lag_rows,
                    "messageapi_kafka_consumer_lag{},topic=\"{}\",partition=\"{p}\"}} {l}",
                    &base[..base.len() - 1],
                    escape(t)
                );
            }
        }
        if !lag_rows.is_empty() {
            let _ = writeln!(
                out,
                "# HELP messageapi_kafka_consumer_lag Messages not yet read, per partition (high watermark minus next offset), after the last submit."
            );
            let _ = writeln!(out, "# TYPE messageapi_kafka_consumer_lag gauge");
            out.push_str(&lag_rows);
        }
        out
    }
}

/// `{connection="id",endpoint="name"}` (plus `dead_letter="true"` for the dead-letter one).
fn labels(id: &str, endpoint: &str, dead_letter: bool) -> String {
    format!(
        "{{connection=\"{}\",endpoint=\"{}\"{}}}",
        escape(id),
        escape(endpoint),
        if dead_letter {
            ",dead_letter=\"true\""
        } else {
            ""
        }
    )
}

/// A label value escaped as the exposition format asks (backslash, quote, newline), any
/// secret in it replaced (a topic or connection named from a `${env:}` value): metric names,
/// help texts and sample values are never touched.
fn escape(v: &str) -> String {
    crate::log::redact(v)
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A sample value: Go's float formatting is what Prometheus parses; Rust's `{}` of an f64 is
/// compatible (no exponent issues for the magnitudes here); NaN as `NaN`.
fn float(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else {
        format!("{v}")
    }
}

/// Latencies in log-linear buckets of microseconds: 16 exact buckets, then 8 per power of two
/// (relative error under 12.5 %), up to 2^40 µs (12 days). Max and sum are exact.
#[derive(Debug, Clone)]
struct Histogram {
    buckets: Vec<u64>,
    count: u64,
    sum: Duration,
    max: Duration,
}

const SUB: u32 = 3; // 2^3 = 8 buckets per power of two

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram {
            buckets: vec![0; 16 + (40 - 4) * (1 << SUB)],
            count: 0,
            sum: Duration::ZERO,
            max: Duration::ZERO,
        }
    }
}

impl Histogram {
    fn index(us: u64) -> usize {
        if us < 16 {
            return us as usize;
        }
        let e = 63 - us.leading_zeros(); // >= 4
        let mantissa = (us >> (e - SUB)) & ((1 << SUB) - 1);
        16 + ((e - 4) as usize) * (1 << SUB) + mantissa as usize
    }

    /// The upper end of bucket `i`, in microseconds.
    fn upper(i: usize) -> u64 {
        if i < 16 {
            return i as u64;
        }
        let e = ((i - 16) >> SUB) as u32 + 4;
        let mantissa = ((i - 16) & ((1 << SUB) - 1)) as u64;
        ((1u64 << SUB) + mantissa + 1) << (e - SUB)
    }

    fn record(&mut self, took: Duration) {
        let us = (took.as_micros() as u64).min((1u64 << 40) - 1);
        let i = Self::index(us).min(self.buckets.len() - 1);
        self.buckets[i] += 1;
        self.count += 1;
        self.sum += took;
        self.max = self.max.max(took);
    }

    /// The `q` quantile in seconds (the upper end of its bucket, at most the maximum); NaN
    /// before any submit completed.
    fn quantile(&self, q: f64) -> f64 {
        if self.count == 0 {
            return f64::NAN;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let s = Self::upper(i) as f64 / 1e6;
                return s.min(self.max.as_secs_f64());
            }
        }
        self.max.as_secs_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_ordered_and_quantiles_within_an_eighth() {
        let mut last = 0;
        for us in [
            0u64,
            1,
            15,
            16,
            17,
            100,
            1_000,
            123_456,
            9_999_999,
            (1 << 40) - 1,
        ] {
            let i = Histogram::index(us);
            assert!(i >= last, "{us}");
            last = i;
            assert!(Histogram::upper(i) >= us, "{us} above its bucket");
            assert!(
                Histogram::upper(i) as f64 <= (us as f64 * 1.125).max(us as f64 + 1.0),
                "{us}: bucket top {}",
                Histogram::upper(i)
            );
        }
        let mut h = Histogram::default();
        for ms in 1..=100u64 {
            h.record(Duration::from_millis(ms));
        }
        for (q, exact) in [(0.5, 0.050), (0.9, 0.090), (0.99, 0.099)] {
            let got = h.quantile(q);
            assert!(got >= exact && got <= exact * 1.125, "{q}: {got}");
        }
        assert_eq!(h.max, Duration::from_millis(100));
        assert_eq!(h.count, 100);
        assert!(Histogram::default().quantile(0.5).is_nan());
    }

    #[test]
    fn prometheus_text_escapes_labels_and_names_every_family_once() {
        let c = Arc::new(ConnectionStats::new("a\"b\\c\nd", "file-writer"));
        c.add_routed(3);
        c.set_lag(vec![("t".into(), 0, 7)]);
        let s = SessionStats::new(vec![c], None);
        s.submitted(5);
        s.completed(3, [1, 1, 0, 0], 3, Duration::from_millis(2));
        let text = s.prometheus();
        assert!(
            text.contains(
                "messageapi_connection_records_routed_total{connection=\"a\\\"b\\\\c\\nd\",endpoint=\"file-writer\"} 3"
            ),
            "{text}"
        );
        assert!(text.contains("messageapi_records_rejected_total{stage=\"required\"} 1"));
        assert!(text.contains(
            "messageapi_kafka_consumer_lag{connection=\"a\\\"b\\\\c\\nd\",endpoint=\"file-writer\",topic=\"t\",partition=\"0\"} 7"
        ));
        let mut families = std::collections::HashSet::new();
        for l in text.lines().filter(|l| l.starts_with("# TYPE ")) {
            assert!(families.insert(l.to_string()), "{l} twice");
        }
        // Every sample line belongs to a family declared before it.
        let mut declared = Vec::new();
        for l in text.lines() {
            if let Some(t) = l.strip_prefix("# TYPE ") {
                declared.push(t.split(' ').next().unwrap().to_string());
            } else if !l.starts_with('#') {
                let name = l.split(['{', ' ']).next().unwrap();
                assert!(
                    declared.iter().any(|d| name == d
                        || name == format!("{d}_sum")
                        || name == format!("{d}_count")),
                    "{l}"
                );
            }
        }
    }
}
