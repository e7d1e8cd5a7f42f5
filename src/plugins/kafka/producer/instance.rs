//! One submit of a `kafka-producer` connection: topics chosen, records serialized in chunks and
//! queued for the sender thread; after the stream is released, the delivery reports turn the
//! records into outputs (with their Kafka fields) or rejections.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::Producer;
use serde_json::Value as Json;

use super::super::{int_or, kafka_fields, opt_string};
use super::delivery::Batch;
use super::sender::{Chunk, Outgoing, CHUNK, NOT_SENT};
use super::{Instance, Link, Shared};
use crate::error::{Error, Result};
use crate::protocol::call::Taken;
use crate::protocol::{Endpoint, EndpointCall, Finished};
use crate::record::{DerivedLayouts, Record};
use crate::value::Value;

/// Writes the key of a key field value (strings raw, other values as JSON); false for null.
fn write_key(v: &Value, out: &mut Vec<u8>) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => {
            out.extend_from_slice(s.as_bytes());
            true
        }
        other => {
            out.extend_from_slice(other.to_json().to_string().as_bytes());
            true
        }
    }
}

/// A submit's settings: the constructor with the request's runtime parameters applied.
pub(super) struct Settings {
    topic: Option<String>,
    topic_field: Option<String>,
    key_field: Option<String>,
    /// The message value is the first non-null of these fields (else the whole record).
    value_fields: Vec<String>,
    /// Header name and the field whose value it carries (null fields send no header).
    header_fields: Vec<(String, String)>,
    create: bool,
    partitions: i32,
}

impl Settings {
    /// Checks a constructor as the producer reads it (at open, and for runtime parameters).
    pub(super) fn check(c: &serde_json::Map<String, Json>) -> Result<()> {
        let s = Settings::read(c)?;
        if s.topic.is_none() && s.topic_field.is_none() {
            return Err(Error::Manifest(
                "constructor: kafka-producer needs \"topic\" or \"topic-field\"".into(),
            ));
        }
        int_or(c, "message.timeout.ms", 30_000)?;
        Ok(())
    }

    fn read(c: &serde_json::Map<String, Json>) -> Result<Settings> {
        Ok(Settings {
            topic: opt_string(c, "topic")?,
            topic_field: opt_string(c, "topic-field")?,
            key_field: opt_string(c, "key-field")?,
            value_fields: crate::plugins::value_fields(c)?,
            header_fields: match c.get("header-fields") {
                None | Some(Json::Null) => Vec::new(),
                Some(Json::Object(m)) if m.values().all(|f| f.as_str().is_some_and(|f| !f.is_empty())) => m
                    .iter()
                    .map(|(h, f)| (h.clone(), f.as_str().unwrap_or_default().to_string()))
                    .collect(),
                Some(other) => {
                    return Err(Error::Manifest(format!(
                        "constructor.header-fields: expected an object of header name to field, found {other}"
                    )))
                }
            },
            create: matches!(c.get("create-topic"), Some(Json::Bool(true))),
            partitions: int_or(c, "create-topic-partitions", 3)? as i32,
        })
    }

    /// The topic of `record`: its `topic-field`, else `topic`.
    fn topic_of<'r>(&'r self, record: &'r Record) -> std::result::Result<&'r str, String> {
        if let Some(f) = &self.topic_field {
            if let Ok(Value::String(t)) = record.get(f) {
                return Ok(t);
            }
        }
        match (&self.topic, &self.topic_field) {
            (Some(t), _) => Ok(t),
            (None, Some(f)) => Err(format!("the record has no topic in field \"{f}\"")),
            (None, None) => Err("no topic: set \"topic\" or \"topic-field\"".into()),
        }
    }
}

/// A submit's messages in flight: the batch their delivery reports go to, and when they time
/// out.
struct InFlight {
    batch_id: u32,
    batch: Arc<Batch>,
    deadline: Instant,
}

/// Where each record of a submit goes.
struct Destinations {
    /// The topics, each checked (or created) once.
    topics: Vec<Arc<str>>,
    /// Each record's topic, as an index into `topics`, or NOT_SENT.
    dest: Vec<u32>,
    /// Records not sent, with reasons.
    failed: Vec<(usize, String)>,
    /// The records as routed, before the `fields` narrowing, when they differ from those sent:
    /// `key-field`, `header-fields` and `value-field` read fields the narrowing may drop.
    source: Option<Vec<Record>>,
}

impl Instance {
    /// Chooses each record's topic, creating topics on first use when asked.
    fn destinations(&self, settings: &Settings, conn: &str, records: &[Record]) -> Destinations {
        let mut d = Destinations {
            topics: Vec::new(),
            dest: vec![NOT_SENT; records.len()],
            failed: Vec::new(),
            source: None,
        };
        let mut unusable: Vec<(String, String)> = Vec::new();
        for (i, record) in records.iter().enumerate() {
            let t = match settings.topic_of(record) {
                Ok(t) => t,
                Err(e) => {
                    d.failed.push((i, format!("connection {conn}: {e}")));
                    continue;
                }
            };
            if let Some(ti) = d.topics.iter().position(|x| &**x == t) {
                d.dest[i] = ti as u32;
                continue;
            }
            if let Some((_, e)) = unusable.iter().find(|(x, _)| x == t) {
                d.failed.push((i, format!("connection {conn}: {e}")));
                continue;
            }
            if settings.create {
                if let Err(e) = self.0.ensure_topic(t, settings.partitions) {
                    d.failed.push((i, format!("connection {conn}: {e}")));
                    unusable.push((t.to_string(), e));
                    continue;
                }
            }
            d.topics.push(t.into());
            d.dest[i] = (d.topics.len() - 1) as u32;
        }
        d
    }

    /// Serializes runs of records to one topic, CHUNK at a time, and hands them to the sender
    /// thread in order. Every message is counted in `batch` before it is queued. Returns the
    /// bytes queued (values and keys).
    fn queue_chunks(
        &self,
        link: &Link,
        settings: &Settings,
        conn: &Arc<str>,
        records: &[Record],
        to: &Destinations,
        flight: &InFlight,
    ) -> u64 {
        let InFlight {
            batch_id,
            batch,
            deadline,
        } = flight;
        let headers = self.0.schema_header.as_ref().map(|h| {
            OwnedHeaders::new().insert(Header {
                key: "messageapi-schema",
                value: Some(h.as_str()),
            })
        });
        let mut writer = crate::json::RecordWriter::default();
        let mut queued = 0u64;
        let mut i = 0;
        while i < records.len() {
            let d = to.dest[i];
            if d == NOT_SENT {
                i += 1;
                continue;
            }
            let mut payloads = Vec::with_capacity(CHUNK * 128);
            let mut keys = Vec::new();
            let mut msgs: Vec<Outgoing> = Vec::with_capacity(CHUNK.min(records.len() - i));
            while i < records.len() && to.dest[i] == d && msgs.len() < CHUNK {
                let record = &records[i];
                let start = payloads.len();
                // The fields the settings name are read from the record as routed.
                let meta = to.source.as_ref().map_or(record, |s| &s[i]);
                if settings.value_fields.is_empty() {
                    writer.write(record, &mut payloads);
                } else {
                    crate::plugins::write_message(
                        meta,
                        &settings.value_fields,
                        &mut writer,
                        &mut payloads,
                    );
                }
                let own_headers = (!settings.header_fields.is_empty()).then(|| {
                    let mut h = headers.clone().unwrap_or_default();
                    for (name, f) in &settings.header_fields {
                        if let Some(text) = meta.get(f).ok().and_then(Value::message_text) {
                            h = h.insert(Header {
                                key: name,
                                value: Some(text.as_bytes()),
                            });
                        }
                    }
                    h
                });
                let key_start = keys.len();
                let key = settings
                    .key_field
                    .as_ref()
                    .and_then(|f| meta.get(f).ok())
                    .filter(|v| write_key(v, &mut keys))
                    .map(|_| key_start..keys.len());
                msgs.push(Outgoing {
                    slot: i,
                    payload: start..payloads.len(),
                    key,
                    headers: own_headers,
                });
                i += 1;
            }
            batch.remaining.fetch_add(msgs.len(), Ordering::AcqRel);
            queued += (payloads.len() + keys.len()) as u64;
            let chunk = Chunk {
                conn: conn.clone(),
                topic: to.topics[d as usize].clone(),
                batch_id: *batch_id,
                batch: batch.clone(),
                msgs,
                payloads,
                keys,
                headers: headers.clone(),
                deadline: *deadline,
            };
            let refused = match &link.chunks {
                Some(tx) => tx.send(chunk).err().map(|e| e.0),
                None => Some(chunk),
            };
            // Not while the session lives: the channel closes only when it ends.
            if let Some(chunk) = refused {
                for m in &chunk.msgs {
                    chunk.refuse(
                        m.slot,
                        format!("connection {conn}: the Kafka sender thread has stopped"),
                    );
                }
            }
        }
        queued
    }
}

impl Endpoint for Instance {
    fn process(&mut self, call: &mut EndpointCall<'_>) -> Result<()> {
        let conn: Arc<str> = call.connection_id().into();
        let settings = Settings::read(call.constructor())?;
        let fields = call.fields().to_vec();
        let mut records = call.listed_records()?;
        if records.is_empty() {
            return Ok(());
        }
        let link = match self.0.link(call.stats()) {
            Ok(l) => l,
            Err(e) => {
                for r in records.release() {
                    call.reject(r, format!("connection {conn}: {e}"));
                }
                return Ok(());
            }
        };
        // Topics (`topic-field`) are chosen from the records as routed.
        let mut to = self.destinations(&settings, &conn, &records);
        // The message is the record narrowed to the connection's `fields`; the record returned
        // is that, with the Kafka fields appended (so the endpoint applies `fields` itself).
        if !fields.is_empty() {
            let named = settings.key_field.is_some()
                || !settings.header_fields.is_empty()
                || !settings.value_fields.is_empty();
            if named {
                to.source = Some(records.to_vec());
            }
            let mut narrowed = DerivedLayouts::default();
            for r in records.iter_mut() {
                let target = narrowed.of(r.layout(), |l| l.narrowed(&fields));
                *r = r.project(&target);
            }
        }
        let ctx = link.producer.context();
        let batch_id = ctx.next.fetch_add(1, Ordering::Relaxed);
        let batch = Arc::new(Batch::new(records.len()));
        ctx.batches
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(batch_id, batch.clone());
        let flight = InFlight {
            batch_id,
            batch,
            deadline: Instant::now() + self.0.timeout,
        };
        let queued = self.queue_chunks(link, &settings, &conn, &records, &to, &flight);
        call.stats().add_bytes_sent(queued);
        let InFlight {
            batch_id,
            batch,
            deadline,
        } = flight;
        batch.finish_one(); // the sending token
                            // The delivery reports are awaited after the stream is released, so the next submit of
                            // the request sends while this one's last messages are in flight.
        let shared = self.0.clone();
        call.finish_later(move |out| {
            let sent = Sent {
                batch_id,
                batch: &batch,
                topics: to.topics,
                dest: to.dest,
                failed: to.failed,
                deadline,
            };
            shared.finish(out, &conn, sent, records)
        });
        Ok(())
    }
}

/// What one submit handed to librdkafka.
pub(super) struct Sent<'a> {
    pub(super) batch_id: u32,
    pub(super) batch: &'a Batch,
    pub(super) topics: Vec<Arc<str>>,
    /// Each record's topic index, or NOT_SENT.
    pub(super) dest: Vec<u32>,
    /// Records not sent, with reasons.
    pub(super) failed: Vec<(usize, String)>,
    pub(super) deadline: Instant,
}

impl Shared {
    /// Waits for the delivery reports of a submit (until its deadline and a margin), then
    /// returns the delivered records with their Kafka fields and rejects the others.
    pub(super) fn finish(&self, out: &mut Finished, conn: &str, sent: Sent<'_>, records: Taken) {
        let batch = sent.batch;
        // librdkafka reports every message within message.timeout.ms, but scans for timed-out
        // messages only once a second. When the broker cannot be used at all (unreachable, TLS
        // or authentication refused), nothing of this batch is on its way: the records are
        // rejected at the deadline instead of up to a second later. Otherwise the
        // margin covers reports racing the deadline.
        let down = || {
            self.made_link()
                .is_some_and(|link| link.producer.context().down.load(Ordering::Relaxed))
        };
        let mut cut_short = false;
        let complete = batch.wait(sent.deadline) || {
            cut_short = down();
            !cut_short && batch.wait(sent.deadline + Duration::from_secs(30))
        };
        if let Some(link) = self.made_link() {
            link.producer
                .context()
                .batches
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&sent.batch_id);
        }
        // Why the broker could not be used, if it could not: a timed-out delivery says so.
        let problem = self
            .made_link()
            .and_then(|link| link.producer.context().base.problem())
            .map(|p| format!(" (the broker connection failed: {p})"))
            .unwrap_or_default();
        let mut reasons: Vec<Option<String>> = Vec::new();
        let delivery_errors =
            std::mem::take(&mut *batch.errors.lock().unwrap_or_else(|p| p.into_inner()));
        for (i, reason) in delivery_errors.into_iter().chain(sent.failed) {
            if reasons.is_empty() {
                reasons.resize(records.len(), None);
            }
            reasons[i] = Some(reason);
        }
        let topic_values: Vec<Value> = sent.topics.iter().map(|t| Value::string(t)).collect();
        let extra = kafka_fields(false);
        let mut extended = DerivedLayouts::default();
        // Delivered records stay in `records` (compacted in place) and gain the Kafka fields.
        let mut records = records;
        let mut kept = 0;
        for i in 0..records.len() {
            let d = sent.dest[i];
            let reason = match reasons.get_mut(i).and_then(Option::take) {
                Some(reason) if reason.starts_with("connection ") => Some(reason),
                Some(reason) => {
                    let topic = sent.topics.get(d as usize).map_or("?", |t| &**t);
                    Some(format!(
                        "connection {conn}: delivery to topic {topic} failed: {reason}{problem}"
                    ))
                }
                None if d == NOT_SENT => Some(format!("connection {conn}: not sent")),
                None if batch.offsets[i].load(Ordering::Relaxed) < 0 && cut_short => Some(format!(
                    "connection {conn}: delivery to topic {} failed: message timed out{problem}",
                    sent.topics[d as usize]
                )),
                None if batch.offsets[i].load(Ordering::Relaxed) < 0 && !complete => Some(format!(
                    "connection {conn}: no delivery report from topic {} in time{problem}",
                    sent.topics[d as usize]
                )),
                None => None,
            };
            if let Some(reason) = reason {
                out.reject(std::mem::replace(&mut records[i], Record::empty()), reason);
                continue;
            }
            let record = &mut records[i];
            let layout = extended.of(record.layout(), |l| l.extended(&extra));
            record.extend_layout(
                layout,
                [
                    topic_values[d as usize].clone(),
                    Value::Integer(batch.partitions[i].load(Ordering::Relaxed) as i64),
                    Value::Integer(batch.offsets[i].load(Ordering::Relaxed)),
                ],
            );
            if kept != i {
                records.swap(kept, i);
            }
            kept += 1;
        }
        records.truncate(kept);
        out.extend(records.release());
    }
}
