//! `kafka-consumer`: each submit returns the next batch (up to `max-records`, waiting up to
//! `timeout-ms`) from `topics`, as records of the schema (`format: json`, the default) or as
//! `value`/`key` (`format: raw`), each with `kafka-topic`, `kafka-partition`, `kafka-offset`,
//! `kafka-timestamp` (milliseconds). `filter` lists schema conditions a record must pass (the
//! request record's values); skipped records still count as processed. A payload that is not
//! valid JSON for the schema becomes a rejection holding the raw payload.
//!
//! At-least-once: a submit's offsets are committed only once its response is complete (dead
//! letters included) and the program has let go of it (freed the response, or the request)
//! (`EndpointCall::commit_later`), however many submits are in flight. One consumer per
//! request (it joins the group); stream mode keeps it across resubmits.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::types::RDKafkaErrorCode;
use serde_json::{Map, Value as Json};

use super::{client_config, commit_offsets, int_or, kafka_fields, Group, GroupState, KafkaContext};
use crate::error::{Error, Result};
use crate::protocol::EndpointCall;
use crate::protocol::{Endpoint, EndpointFactory, PreparedEndpoint};
use crate::record::{FieldDef, Layout, Record};
use crate::schema::PluginContext;
use crate::value::{FieldType, Value};

pub struct KafkaConsumerFactory;

use crate::plugins::{ConsumerShape, MessageFormat as Format};

struct Prepared {
    connection: String,
    format: Format,
    /// Schema (json) or value/key (raw) fields, then the Kafka fields.
    layout: Arc<Layout>,
    filter: Vec<usize>,
}

fn topics_of(c: &Map<String, Json>) -> Result<Vec<String>> {
    match c.get("topics") {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(Json::String(s)) if s.is_empty() => Ok(Vec::new()),
        Some(Json::String(s)) => Ok(vec![s.clone()]),
        Some(Json::Array(a)) => a
            .iter()
            .map(|t| {
                t.as_str().map(str::to_string).ok_or_else(|| {
                    Error::Manifest(format!("constructor.topics: {t} is not a topic name"))
                })
            })
            .collect(),
        Some(other) => Err(Error::Manifest(format!(
            "constructor.topics: expected a topic or a list of topics, found {other}"
        ))),
    }
}

/// The constructor values a submit reads (at open, and for runtime parameters).
fn check_runtime(c: &Map<String, Json>) -> Result<()> {
    topics_of(c)?;
    super::check_settings(c)?;
    int_or(c, "max-records", 500)?;
    int_or(c, "timeout-ms", 1000)?;
    Ok(())
}

impl EndpointFactory for KafkaConsumerFactory {
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn PreparedEndpoint>> {
        check_runtime(ctx.constructor)?;
        let raw = vec![
            FieldDef::new("value", FieldType::String),
            FieldDef::new("key", FieldType::String),
        ];
        let shape = ConsumerShape::of(ctx, "kafka-consumer", raw, kafka_fields(true))?;
        Ok(Arc::new(Prepared {
            connection: ctx.id.to_string(),
            format: shape.format,
            layout: shape.layout,
            filter: shape.filter,
        }))
    }
}

impl PreparedEndpoint for Prepared {
    fn check_parameter(&self, _key: &str, constructor: &Map<String, Json>) -> Result<()> {
        check_runtime(constructor)
    }
    fn default_fields(&self) -> Option<Vec<FieldDef>> {
        Some(self.layout.fields().to_vec())
    }
    fn survives_fork(&self) -> bool {
        false
    }
    fn commits_reads(&self) -> bool {
        true
    }
    fn instantiate(&self) -> Result<Box<dyn Endpoint>> {
        Ok(Box::new(Instance {
            connection: self.connection.clone(),
            format: self.format,
            layout: self.layout.clone(),
            filter: self.filter.clone(),
            consumer: None,
            subscribed: None,
            group: Arc::default(),
            origin: crate::runtime::fork::Origin::here(),
        }))
    }
}

struct Instance {
    connection: String,
    format: Format,
    layout: Arc<Layout>,
    filter: Vec<usize>,
    /// Shared with the commits of submits not yet released.
    consumer: Option<Arc<BaseConsumer<KafkaContext>>>,
    subscribed: Option<Vec<String>>,
    /// Offsets handed to the caller and not yet committed, and revocations: shared with the
    /// consumer's rebalance callbacks.
    group: Arc<Group>,
    /// The process the consumer was made in (its client's threads are there).
    origin: crate::runtime::fork::Origin,
}

/// Commits the offsets released so far (`GroupState::pending`) for the partitions this member
/// still owns; those of partitions it no longer owns are dropped (committing them could move
/// their new owner backwards; their messages are read again there, at most one batch). A
/// consumer that left the group (idle longer than `max.poll.interval.ms`) cannot commit: it
/// rejoins on its next poll, and the batch is read again.
fn commit_released(connection: &str, consumer: &BaseConsumer<KafkaContext>, group: &Group) {
    let state = || group.state.lock().unwrap_or_else(|p| p.into_inner());
    let pending = std::mem::take(&mut state().pending);
    if pending.is_empty() {
        return;
    }
    let owned = consumer.assignment().unwrap_or_default();
    let (ours, gone): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(t, p, _)| {
        owned
            .elements()
            .iter()
            .any(|e| e.topic() == t && e.partition() == *p)
    });
    if !gone.is_empty() {
        crate::log::debug(&format!(
            "connection {connection}: not committing {} partitions no longer assigned to this member",
            gone.len()
        ));
    }
    match commit_offsets(consumer, &ours) {
        Ok(()) => {}
        Err(e)
            if matches!(
                e.rdkafka_error_code(),
                Some(RDKafkaErrorCode::UnknownMemberId)
                    | Some(RDKafkaErrorCode::IllegalGeneration)
                    | Some(RDKafkaErrorCode::RebalanceInProgress)
            ) =>
        {
            crate::log::info(&format!(
                "connection {connection}: the consumer is no longer in its group ({e}); it rejoins on its next poll, and its last batch is read again"
            ));
        }
        Err(e) => {
            crate::log::warn(&format!(
                "connection {connection}: cannot commit offsets yet ({e}); they will be committed later"
            ));
            let mut g = state();
            let mut kept = ours;
            // Offsets released meanwhile are newer: they win.
            for (t, p, o) in std::mem::take(&mut g.pending) {
                note_offset(&mut kept, &t, p, o);
            }
            g.pending = kept;
        }
    }
}

/// Raises the next offset of `topic`/`partition` in `offsets` to `next`.
fn note_offset(offsets: &mut Vec<(String, i32, i64)>, topic: &str, partition: i32, next: i64) {
    match offsets
        .iter_mut()
        .find(|(t, p, _)| t == topic && *p == partition)
    {
        Some(entry) => entry.2 = entry.2.max(next),
        None => offsets.push((topic.to_string(), partition, next)),
    }
}

impl Instance {
    fn state(&self) -> std::sync::MutexGuard<'_, GroupState> {
        self.group.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The consumer's lag on each partition assigned to it: the high watermark librdkafka last saw
/// (cached from fetches: no request to the broker) minus the next offset to read. Partitions
/// without both figures yet are left out.
fn lag(consumer: &BaseConsumer<KafkaContext>) -> Vec<(String, i32, i64)> {
    let Ok(position) = consumer.position() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in position.elements() {
        let rdkafka::Offset::Offset(next) = e.offset() else {
            continue;
        };
        let Ok(topic) = std::ffi::CString::new(e.topic()) else {
            continue;
        };
        let (mut low, mut high) = (-1i64, -1i64);
        // SAFETY: a live client handle and a NUL-terminated topic; librdkafka writes the two
        // cached watermarks.
        let err = unsafe {
            rdkafka::bindings::rd_kafka_get_watermark_offsets(
                consumer.client().native_ptr(),
                topic.as_ptr(),
                e.partition(),
                &mut low,
                &mut high,
            )
        };
        if err == rdkafka::bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0 {
            out.push((e.topic().to_string(), e.partition(), (high - next).max(0)));
        }
    }
    out
}

impl Drop for Instance {
    fn drop(&mut self) {
        if self.origin.is_elsewhere() {
            // A child after fork(): the client's threads are the parent's; never wait for them.
            std::mem::forget(self.consumer.take());
            return;
        }
        // Offsets released whose commit failed: one more try before the consumer closes.
        if let Some(consumer) = &self.consumer {
            commit_released(&self.connection, consumer, &self.group);
        }
    }
}

impl Endpoint for Instance {
    fn process(&mut self, call: &mut EndpointCall<'_>) -> Result<()> {
        let c = call.constructor().clone();
        let topics = topics_of(&c)?;
        let max = int_or(&c, "max-records", 500)?.max(0) as usize;
        let timeout = Duration::from_millis(int_or(&c, "timeout-ms", 1000)?.max(0) as u64);
        if self.consumer.is_none() {
            let mut config = client_config(
                &c,
                &[
                    ("group.id", "messageapi"),
                    ("auto.offset.reset", "earliest"),
                    ("enable.auto.commit", "false"),
                    ("enable.auto.offset.store", "false"),
                    // Incremental rebalances: a member joining or leaving moves only the
                    // partitions that must move; the others keep being read.
                    ("partition.assignment.strategy", "cooperative-sticky"),
                ],
            )?;
            config.set("enable.auto.commit", "false");
            let consumer: BaseConsumer<KafkaContext> = config
                .create_with_context(
                    KafkaContext::for_consumer(&self.connection, self.group.clone())
                        .with_stats(call.stats()),
                )
                .map_err(|e| Error::Kafka(format!("cannot create the Kafka consumer: {e}")))?;
            self.consumer = Some(Arc::new(consumer));
        }
        let consumer = self.consumer.as_ref().expect("created above");
        if self.subscribed.as_ref() != Some(&topics) {
            if topics.is_empty() {
                consumer.unsubscribe();
            } else {
                let names: Vec<&str> = topics.iter().map(String::as_str).collect();
                consumer
                    .subscribe(&names)
                    .map_err(|e| Error::Kafka(format!("cannot subscribe to {topics:?}: {e}")))?;
            }
            self.subscribed = Some(topics.clone());
        }
        if topics.is_empty() || max == 0 {
            return Ok(());
        }
        let conn = call.connection_id().to_string();
        let deadline = Instant::now() + timeout;
        let mut got = 0usize;
        // What each message was fetched at (the group's revocation count): messages of a
        // partition revoked later in this submit are left to its new owner.
        let mut seen = Vec::new();
        let mut accepted = Vec::new();
        let revocations_before = self.group.revocations.load(Ordering::Acquire);
        let mut received = 0u64;
        while got < max {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            // Wait the whole timeout for a first message; then only while more keep coming.
            let wait = if got == 0 {
                deadline - now
            } else {
                (deadline - now).min(Duration::from_millis(100))
            };
            let message = match consumer.poll(wait) {
                None => {
                    if got > 0 {
                        break;
                    }
                    continue;
                }
                Some(Err(e)) => {
                    crate::log::debug(&format!("connection {conn}: poll: {e}"));
                    continue;
                }
                Some(Ok(m)) => m,
            };
            consumer.context().mark_up();
            let fetched_at = self.group.revocations.load(Ordering::Acquire);
            got += 1;
            let topic = message.topic().to_string();
            let (partition, offset) = (message.partition(), message.offset());
            let timestamp = message
                .timestamp()
                .to_millis()
                .map_or(Value::Null, Value::Integer);
            seen.push((topic.clone(), partition, offset, fetched_at));
            let kafka = [
                Value::string(&topic),
                Value::Integer(partition as i64),
                Value::Integer(offset),
                timestamp,
            ];
            let payload = message.payload().unwrap_or(&[]);
            received += (payload.len() + message.key().map_or(0, <[u8]>::len)) as u64;
            let text = String::from_utf8_lossy(payload);
            let mut record = Record::new(self.layout.clone());
            let n = self.layout.len();
            let parsed = match self.format {
                Format::Raw => {
                    record.set_at_unchecked(0, Value::string(&text));
                    record.set_at_unchecked(
                        1,
                        message
                            .key()
                            .map_or(Value::Null, |k| Value::string(&String::from_utf8_lossy(k))),
                    );
                    Ok(())
                }
                Format::Json => crate::json::read_object(&text, &mut record),
            };
            if let Err(e) = parsed {
                let rejected =
                    crate::plugins::unparsed_message(payload, &kafka_fields(true), kafka)
                        // (Only a payload over 4 GiB fails here; the reason still names it.)
                        .unwrap_or_else(|_| Record::open());
                call.reject(
                    rejected,
                    format!(
                        "connection {conn}: message {topic}/{partition}/{offset} is not valid JSON for the schema: {}",
                        e.message()
                    ),
                );
                continue;
            }
            for (k, v) in kafka.into_iter().enumerate() {
                record.set_at_unchecked(n - 4 + k, v);
            }
            if !call.passes(&self.filter, &record) {
                continue;
            }
            accepted.push((record, partition, fetched_at));
        }
        if self.group.revocations.load(Ordering::Acquire) != revocations_before {
            let g = self.state();
            let before = accepted.len();
            accepted.retain(|(r, p, at)| {
                let topic = r.get_text("kafka-topic").map(|t| t.as_str()).unwrap_or("");
                !g.revoked_since(topic, *p, *at)
            });
            seen.retain(|(t, p, _, at)| !g.revoked_since(t, *p, *at));
            drop(g);
            if accepted.len() < before {
                crate::log::info(&format!(
                    "connection {conn}: {} messages of revoked partitions left to their new owner",
                    before - accepted.len()
                ));
            }
        }
        call.extend(accepted.into_iter().map(|(r, _, _)| r));
        // Every message read (returned, rejected or filtered out) is committed with the
        // response, once the program released it.
        let mut offsets = Vec::new();
        for (t, p, o, _) in seen {
            note_offset(&mut offsets, &t, p, o + 1);
        }
        if !offsets.is_empty() {
            let (consumer, group) = (
                self.consumer.clone().expect("created above"),
                self.group.clone(),
            );
            let connection = self.connection.clone();
            call.commit_later(move || {
                {
                    let mut g = group.state.lock().unwrap_or_else(|p| p.into_inner());
                    for (t, p, o) in offsets {
                        note_offset(&mut g.pending, &t, p, o);
                    }
                }
                commit_released(&connection, &consumer, &group);
            });
        }
        call.stats().add_bytes_received(received);
        if let Some(consumer) = &self.consumer {
            call.stats().set_lag(lag(consumer));
        }
        Ok(())
    }
}
