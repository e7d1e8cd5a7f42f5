//! `kafka-producer` and `kafka-consumer` on librdkafka (the `rdkafka` crate, bundled source).
//!
//! Constructor keys: our own use dashes; every key containing a dot is passed verbatim to
//! librdkafka (`bootstrap.servers`, `acks`, `linger.ms`, `group.id`, ...). `bootstrap.servers`
//! defaults to the environment variable `MAPI_KAFKA_BOOTSTRAP`, else `localhost:9092`.

pub mod consumer;
pub mod producer;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::error::KafkaError;
use serde_json::{Map, Value as Json};

pub(crate) use super::int_or;

use crate::error::{Error, Result};
use crate::record::FieldDef;
use crate::value::FieldType;

/// The default broker address.
pub fn default_bootstrap() -> String {
    std::env::var("MAPI_KAFKA_BOOTSTRAP")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "localhost:9092".to_string())
}

/// A constructor value as librdkafka text.
fn config_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// librdkafka settings that load a shared library: allowed only from a directory the host
/// lists in `native-plugin-dirs`.
const LOADS_LIBRARY: [&str; 2] = ["plugin.library.paths", "ssl.engine.location"];

/// librdkafka settings that run code no directory vouches for (an OpenSSL provider found by
/// name, a shell command): never from a manifest.
const RUNS_CODE: [&str; 2] = ["ssl.providers", "sasl.kerberos.kinit.cmd"];

/// Whether librdkafka reads (or writes) the file a setting names: confined with the rest.
fn names_a_file(key: &str) -> bool {
    (key.ends_with(".location") && !LOADS_LIBRARY.contains(&key))
        || key.ends_with(".file")
        || key == "sasl.kerberos.keytab"
        || key == "offset.store.path"
}

/// A dotted setting's value as librdkafka will get it: refused when it loads code the host has
/// not allowed, a library's path resolved (librdkafka gets it absolute), a file's path checked
/// against the host's confined paths.
fn checked_setting(key: &str, value: String) -> Result<String> {
    let what = format!("constructor.{key}");
    if RUNS_CODE.contains(&key) {
        return Err(Error::NotAllowed(format!(
            "{what}: this librdkafka setting runs code of the manifest's choosing, which a \
             manifest may not; configure it outside the manifest (OpenSSL providers in the \
             host's openssl.cnf, Kerberos tickets by the host's own kinit)"
        )));
    }
    if LOADS_LIBRARY.contains(&key) {
        let mut resolved = Vec::new();
        for part in value.split(';').filter(|p| !p.trim().is_empty()) {
            let path = std::path::Path::new(part.trim());
            if !path.is_absolute() {
                return Err(Error::NotAllowed(format!(
                    "{what}: {part} is not an absolute path (librdkafka would search the \
                     library path for it); name the library by its absolute path in a \
                     directory the host lists in native-plugin-dirs"
                )));
            }
            resolved.push(
                crate::paths::native_code(path, &what)?
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        return Ok(resolved.join(";"));
    }
    // "probe": librdkafka looks for the system's CA bundle itself.
    let probe = value == "probe" && matches!(key, "ssl.ca.location" | "https.ca.location");
    if names_a_file(key) && !probe && !value.is_empty() {
        let path = crate::paths::confine(std::path::Path::new(&value), &what)?;
        return Ok(path.to_string_lossy().into_owned());
    }
    Ok(value)
}

/// librdkafka settings: bootstrap default, then `defaults`, then every dotted constructor key
/// (checked: see [`checked_setting`]) and `debug`.
pub(crate) fn client_config(
    constructor: &Map<String, Json>,
    defaults: &[(&str, &str)],
) -> Result<ClientConfig> {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", default_bootstrap());
    for (k, v) in defaults {
        c.set(*k, *v);
    }
    for (k, v) in constructor {
        if k.contains('.') {
            c.set(k, checked_setting(k, config_text(v))?);
        }
    }
    // librdkafka's own diagnostics ("debug": "cgrp,consumer", "all"): its debug lines reach
    // our log (at debug level), which they do not at librdkafka's default log level.
    if let Some(v) = constructor.get("debug") {
        c.set("debug", config_text(v));
        c.set_log_level(rdkafka::config::RDKafkaLogLevel::Debug);
    }
    Ok(c)
}

/// Every dotted setting of `constructor` checked as [`client_config`] checks it (at open, and
/// for runtime parameters).
pub(crate) fn check_settings(constructor: &Map<String, Json>) -> Result<()> {
    for (k, v) in constructor {
        if k.contains('.') {
            checked_setting(k, config_text(v))?;
        }
    }
    Ok(())
}

/// The fields every Kafka record carries, after its own.
pub(crate) fn kafka_fields(with_timestamp: bool) -> Vec<FieldDef> {
    let mut f = vec![
        FieldDef::new("kafka-topic", FieldType::String),
        FieldDef::new("kafka-partition", FieldType::Integer),
        FieldDef::new("kafka-offset", FieldType::Integer),
    ];
    if with_timestamp {
        f.push(FieldDef::new("kafka-timestamp", FieldType::Integer));
    }
    f
}

/// The client context: librdkafka's log lines go to our log at debug level; client-level errors
/// (broker down) give one warning per outage, not one per record.
pub struct KafkaContext {
    connection: String,
    down: Arc<AtomicBool>,
    /// A consumer's group bookkeeping (its rebalance callbacks use it); None for producers.
    pub(crate) group: Option<Arc<Group>>,
    /// What went wrong with the broker connection last (unreachable, TLS handshake,
    /// authentication), until the broker answers again: failure reasons quote it.
    problem: std::sync::Mutex<Option<String>>,
    /// The connection's counters: librdkafka's statistics JSON goes there.
    pub(crate) stats: Option<Arc<crate::stats::ConnectionStats>>,
}

impl KafkaContext {
    pub(crate) fn new(connection: &str) -> KafkaContext {
        KafkaContext::with_flag(connection, Arc::new(AtomicBool::new(false)))
    }

    /// A context whose outage flag the caller keeps too (to mark the broker up again).
    pub(crate) fn with_flag(connection: &str, down: Arc<AtomicBool>) -> KafkaContext {
        KafkaContext {
            connection: connection.to_string(),
            down,
            group: None,
            problem: std::sync::Mutex::new(None),
            stats: None,
        }
    }

    /// Sends librdkafka's statistics (`statistics.interval.ms`) to `stats`.
    pub(crate) fn with_stats(mut self, stats: &Arc<crate::stats::ConnectionStats>) -> Self {
        self.stats = Some(stats.clone());
        self
    }

    /// A consumer's context, sharing `group` with the endpoint instance.
    pub(crate) fn for_consumer(connection: &str, group: Arc<Group>) -> KafkaContext {
        let mut c = KafkaContext::new(connection);
        c.group = Some(group);
        c
    }

    /// The broker answered: the next outage warns again.
    pub(crate) fn mark_up(&self) {
        self.down.store(false, Ordering::Relaxed);
        *self.problem.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The last connection problem since the broker last answered.
    pub(crate) fn problem(&self) -> Option<String> {
        self.problem
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A connection problem: remembered for failure reasons, and one warning per outage.
    /// `summary` ("all brokers are down") does not replace the cause already remembered.
    fn outage(&self, what: &str, summary: bool) {
        let what = crate::log::redact(what).into_owned();
        {
            let mut problem = self.problem.lock().unwrap_or_else(|p| p.into_inner());
            if !summary || problem.is_none() {
                *problem = Some(what.clone());
            }
        }
        if !self.down.swap(true, Ordering::Relaxed) {
            crate::log::warn(&format!(
                "connection {}: cannot use the Kafka broker ({what}); retrying in the background, records wait up to their timeout",
                self.connection
            ));
        }
    }
}

impl ClientContext for KafkaContext {
    /// librdkafka's statistics JSON, kept as it is for the session's statistics.
    fn stats_raw(&self, statistics: &[u8]) {
        if let Some(s) = &self.stats {
            s.set_librdkafka(String::from_utf8_lossy(statistics).into_owned());
        }
    }

    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        let lvl = if (level as i32) <= (RDKafkaLogLevel::Error as i32) {
            crate::log::Level::Info
        } else {
            crate::log::Level::Debug
        };
        crate::log::log(
            lvl,
            &format!(
                "connection {}: librdkafka {fac}: {message}",
                self.connection
            ),
        );
    }

    fn error(&self, error: KafkaError, reason: &str) {
        use rdkafka::types::RDKafkaErrorCode as C;
        match error.rdkafka_error_code() {
            // Unreachable, a TLS handshake refused (librdkafka reports it as a transport
            // failure: "SSL handshake failed: ... certificate verify failed"), or SASL
            // authentication refused.
            Some(C::AllBrokersDown) => self.outage(reason, true),
            Some(C::BrokerTransportFailure)
            | Some(C::Resolve)
            | Some(C::Authentication)
            | Some(C::SaslAuthenticationFailed)
            | Some(C::SSL) => self.outage(reason, false),
            _ => crate::log::debug(&format!(
                "connection {}: Kafka error: {error}: {reason}",
                self.connection
            )),
        }
    }
}

/// What a consumer in a group keeps between its polls and its rebalance callbacks.
#[derive(Default)]
pub(crate) struct Group {
    pub(crate) state: std::sync::Mutex<GroupState>,
    /// Revocations so far (read per message, without the lock).
    pub(crate) revocations: std::sync::atomic::AtomicU64,
}

#[derive(Default)]
pub(crate) struct GroupState {
    /// Next offset per partition of the messages whose responses the program released (see
    /// `EndpointCall::commit_later`) and that are not committed yet.
    pub(crate) pending: Vec<(String, i32, i64)>,
    /// For each partition revoked (or lost), the revocation count just after it last was: a
    /// message of it fetched when the count was lower belongs to another member now.
    pub(crate) revoked_at: std::collections::HashMap<(String, i32), u64>,
}

impl GroupState {
    /// Whether a message of `topic`/`partition` fetched when the revocation count was `at`
    /// was fetched before its partition was revoked.
    pub(crate) fn revoked_since(&self, topic: &str, partition: i32, at: u64) -> bool {
        self.revoked_at
            .get(&(topic.to_string(), partition))
            .is_some_and(|&r| r > at)
    }
}

/// Commits `offsets` (topic, partition, next offset) synchronously.
pub(crate) fn commit_offsets<
    C: rdkafka::consumer::Consumer<K>,
    K: rdkafka::consumer::ConsumerContext,
>(
    consumer: &C,
    offsets: &[(String, i32, i64)],
) -> rdkafka::error::KafkaResult<()> {
    use rdkafka::{Offset, TopicPartitionList};
    if offsets.is_empty() {
        return Ok(());
    }
    let mut list = TopicPartitionList::new();
    for (t, p, o) in offsets {
        list.add_partition_offset(t, *p, Offset::Offset(*o))?;
    }
    consumer.commit(&list, rdkafka::consumer::CommitMode::Sync)
}

impl rdkafka::consumer::ConsumerContext for KafkaContext {
    /// Before partitions are handed to another member: commit what the program released of
    /// them (never later: the new owner would move backwards), and remember the revocation so
    /// that messages of them fetched in this submit are left to the new owner. A lost
    /// assignment (the member was dropped from the group) commits nothing: the group has
    /// moved on without it.
    fn pre_rebalance(
        &self,
        consumer: &rdkafka::consumer::BaseConsumer<Self>,
        rebalance: &rdkafka::consumer::Rebalance<'_>,
    ) {
        use rdkafka::consumer::{Consumer, Rebalance};
        let (Some(group), Rebalance::Revoke(list)) = (&self.group, rebalance) else {
            return;
        };
        let revoked: Vec<(String, i32)> = list
            .elements()
            .iter()
            .map(|e| (e.topic().to_string(), e.partition()))
            .collect();
        let mut g = group.state.lock().unwrap_or_else(|p| p.into_inner());
        let (theirs, ours): (Vec<_>, Vec<_>) = std::mem::take(&mut g.pending)
            .into_iter()
            .partition(|(t, p, _)| revoked.iter().any(|(rt, rp)| rt == t && rp == p));
        g.pending = ours;
        for r in &revoked {
            let now = group.revocations.fetch_add(1, Ordering::AcqRel) + 1;
            g.revoked_at.insert(r.clone(), now);
        }
        drop(g);
        let lost = consumer.assignment_lost();
        crate::log::info(&format!(
            "connection {}: partitions {} {}",
            self.connection,
            revoked
                .iter()
                .map(|(t, p)| format!("{t}/{p}"))
                .collect::<Vec<_>>()
                .join(", "),
            if lost {
                "lost (left the group)"
            } else {
                "revoked"
            }
        ));
        if !lost {
            if let Err(e) = commit_offsets(consumer, &theirs) {
                crate::log::warn(&format!(
                    "connection {}: cannot commit the offsets of revoked partitions ({e}); their new owner reads those messages again",
                    self.connection
                ));
            }
        }
    }
}

/// A string constructor value, if present.
pub(crate) fn opt_string(c: &Map<String, Json>, key: &str) -> Result<Option<String>> {
    match c.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(other) => Err(Error::Manifest(format!(
            "constructor.{key}: expected a non-empty string, found {other}"
        ))),
    }
}

/// Blocks on a future (the admin client's).
pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures_executor::block_on(f)
}

/// The cluster's brokers and topics (the MLOps orchestration `Admin`'s metadata), from the
/// broker `config` names (`bootstrap.servers` and any librdkafka settings: TLS, SASL), within
/// `timeout`: `{"brokers": [{"id", "host", "port"}], "topics": [{"name", "partitions"}]}`,
/// topics by name.
pub fn metadata(config: &Map<String, Json>, timeout: std::time::Duration) -> Result<Json> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let c = client_config(config, &[])?;
    let client: BaseConsumer<KafkaContext> =
        c.create_with_context(KafkaContext::new("metadata"))
            .map_err(|e| Error::Kafka(format!("cannot create the Kafka client: {e}")))?;
    let m = client
        .fetch_metadata(None, timeout)
        .map_err(|e| Error::Kafka(format!("cannot read the cluster's metadata: {e}")))?;
    let brokers: Vec<Json> = m
        .brokers()
        .iter()
        .map(|b| serde_json::json!({"id": b.id(), "host": b.host(), "port": b.port()}))
        .collect();
    let mut topics: Vec<Json> = m
        .topics()
        .iter()
        .filter(|t| t.error().is_none())
        .map(|t| serde_json::json!({"name": t.name(), "partitions": t.partitions().len()}))
        .collect();
    topics.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Ok(serde_json::json!({"brokers": brokers, "topics": topics}))
}
