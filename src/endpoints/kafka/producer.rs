//! `kafka-producer`: each record the connection sends (its listed collections and classifiers,
//! then its listed transformations' outputs) becomes one message: the record as a JSON object
//! (fields narrowed by the connection's `fields`), on `topic` or the topic in `topic-field`,
//! keyed by `key-field`. The response completes when every message has its delivery report:
//! delivered records come back with `kafka-topic`, `kafka-partition`, `kafka-offset`; the others
//! are rejections naming the connection and the librdkafka error. A full local queue waits
//! (within `message.timeout.ms`), it never drops. One producer per session and connection,
//! reused by every request.
//!
//! Delivery reports arrive on the producer's polling thread; each message's opaque value is its
//! batch and slot, and the report is written into that slot (no allocation per message).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::error::KafkaError;
use rdkafka::message::{DeliveryResult, Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use serde_json::Value as Json;

use super::{block_on, client_config, int_or, kafka_fields, opt_string, KafkaContext};
use crate::error::{Error, Result};
use crate::protocol::call::EndpointCall;
use crate::record::Layout;
use crate::registry::{Endpoint, EndpointFactory, PluginContext, PreparedEndpoint};
use crate::value::Value;

pub struct KafkaProducerFactory;

/// The delivery reports of one submit.
struct Batch {
    partitions: Vec<AtomicI32>,
    offsets: Vec<AtomicI64>,
    errors: Mutex<Vec<(usize, String)>>,
    /// Messages sent and not yet reported, plus one while sending.
    remaining: AtomicUsize,
    done: Mutex<bool>,
    cv: Condvar,
}

impl Batch {
    fn new(n: usize) -> Batch {
        Batch {
            partitions: (0..n).map(|_| AtomicI32::new(-1)).collect(),
            offsets: (0..n).map(|_| AtomicI64::new(-1)).collect(),
            errors: Mutex::new(Vec::new()),
            remaining: AtomicUsize::new(1),
            done: Mutex::new(false),
            cv: Condvar::new(),
        }
    }

    fn finish_one(&self) {
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
            *done = true;
            self.cv.notify_all();
        }
    }

    /// Waits until every sent message is reported, or `deadline`.
    fn wait(&self, deadline: Instant) -> bool {
        let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        while !*done {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            done = self
                .cv
                .wait_timeout(done, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }
}

/// The producer's context: logging and outages as for every Kafka client, and the batches
/// waiting for delivery reports.
struct ProducerCtx {
    base: KafkaContext,
    down: Arc<AtomicBool>,
    batches: RwLock<HashMap<u32, Arc<Batch>>>,
    next: AtomicU32,
}

impl ClientContext for ProducerCtx {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        self.base.log(level, fac, message)
    }
    fn error(&self, error: KafkaError, reason: &str) {
        self.base.error(error, reason)
    }
}

impl ProducerContext for ProducerCtx {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, opaque: usize) {
        let (batch, slot) = ((opaque >> 32) as u32, opaque & 0xffff_ffff);
        let batches = self.batches.read().unwrap_or_else(|p| p.into_inner());
        let Some(batch) = batches.get(&batch) else {
            return;
        };
        match result {
            Ok(m) => {
                self.down.store(false, Ordering::Relaxed);
                batch.partitions[slot].store(m.partition(), Ordering::Relaxed);
                batch.offsets[slot].store(m.offset(), Ordering::Relaxed);
            }
            Err((e, _)) => batch
                .errors
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((slot, e.to_string())),
        }
        batch.finish_one();
    }
}

/// What every request of one connection shares: settings and the producer.
struct Shared {
    connection: String,
    config: ClientConfig,
    timeout: Duration,
    schema_header: Option<String>,
    producer: OnceLock<std::result::Result<ThreadedProducer<ProducerCtx>, String>>,
    created_topics: Mutex<HashSet<String>>,
}

struct Prepared(Arc<Shared>);

impl EndpointFactory for KafkaProducerFactory {
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn PreparedEndpoint>> {
        let c = ctx.constructor;
        if opt_string(c, "topic")?.is_none() && opt_string(c, "topic-field")?.is_none() {
            return Err(Error::Manifest(
                "constructor: kafka-producer needs \"topic\" or \"topic-field\"".into(),
            ));
        }
        opt_string(c, "key-field")?;
        let timeout_ms = int_or(c, "message.timeout.ms", 30_000)?;
        let config = client_config(
            c,
            &[
                ("enable.idempotence", "true"),
                ("acks", "all"),
                ("message.timeout.ms", "30000"),
                ("queue.buffering.max.messages", "100000"),
                ("linger.ms", "5"),
            ],
        );
        let schema_header = ctx.schema.and_then(|s| s.metadata.as_ref()).and_then(|m| {
            let id = m.get("id")?.as_str()?;
            Some(match m.get("version") {
                Some(Json::String(v)) => format!("{id}:{v}"),
                Some(Json::Null) | None => id.to_string(),
                Some(v) => format!("{id}:{v}"),
            })
        });
        Ok(Arc::new(Prepared(Arc::new(Shared {
            connection: ctx.id.to_string(),
            config,
            timeout: Duration::from_millis(timeout_ms.max(0) as u64),
            schema_header,
            producer: OnceLock::new(),
            created_topics: Mutex::new(HashSet::new()),
        }))))
    }
}

impl PreparedEndpoint for Prepared {
    fn narrows_itself(&self) -> bool {
        true
    }
    fn instantiate(&self) -> Result<Box<dyn Endpoint>> {
        Ok(Box::new(Instance(self.0.clone())))
    }
}

struct Instance(Arc<Shared>);

impl Shared {
    fn producer(&self) -> std::result::Result<&ThreadedProducer<ProducerCtx>, String> {
        self.producer
            .get_or_init(|| {
                let down = Arc::new(AtomicBool::new(false));
                let ctx = ProducerCtx {
                    base: KafkaContext::with_flag(&self.connection, down.clone()),
                    down,
                    batches: RwLock::new(HashMap::new()),
                    next: AtomicU32::new(0),
                };
                self.config
                    .create_with_context(ctx)
                    .map_err(|e| format!("cannot create the Kafka producer: {e}"))
            })
            .as_ref()
            .map_err(String::clone)
    }

    /// Creates `topic` once (`partitions` partitions).
    fn ensure_topic(&self, topic: &str, partitions: i32) -> std::result::Result<(), String> {
        if self
            .created_topics
            .lock()
            .map(|s| s.contains(topic))
            .unwrap_or(false)
        {
            return Ok(());
        }
        let admin: AdminClient<DefaultClientContext> = self
            .config
            .create()
            .map_err(|e| format!("cannot create the Kafka admin client: {e}"))?;
        let opts = AdminOptions::new().request_timeout(Some(self.timeout));
        let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
        let results = block_on(admin.create_topics([&new], &opts))
            .map_err(|e| format!("cannot create topic {topic}: {e}"))?;
        for r in results {
            match r {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((t, code)) => return Err(format!("cannot create topic {t}: {code}")),
            }
        }
        if let Ok(mut s) = self.created_topics.lock() {
            s.insert(topic.to_string());
        }
        Ok(())
    }
}

/// The text of a key field value (strings raw, other values as JSON); `None` for null.
fn key_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.to_string()),
        other => Some(other.to_json().to_string()),
    }
}

impl Endpoint for Instance {
    fn process(&mut self, call: &mut EndpointCall<'_>) -> Result<()> {
        let shared = &*self.0;
        let conn = call.connection_id().to_string();
        let c = call.constructor();
        let topic = opt_string(c, "topic")?;
        let topic_field = opt_string(c, "topic-field")?;
        let key_field = opt_string(c, "key-field")?;
        let create = matches!(c.get("create-topic"), Some(Json::Bool(true)));
        let partitions = int_or(c, "create-topic-partitions", 3)? as i32;
        let fields = call.fields().to_vec();
        let mut records = call.listed_records()?;
        if records.is_empty() {
            return Ok(());
        }
        if !fields.is_empty() {
            let mut narrowed: HashMap<*const Layout, Arc<Layout>> = HashMap::new();
            for r in records.iter_mut() {
                let target = narrowed
                    .entry(Arc::as_ptr(r.layout()))
                    .or_insert_with(|| Arc::new(r.layout().narrowed(&fields)))
                    .clone();
                *r = r.project(&target);
            }
        }
        let producer = match shared.producer() {
            Ok(p) => p,
            Err(e) => {
                for r in records {
                    call.reject(r, format!("connection {conn}: {e}"));
                }
                return Ok(());
            }
        };
        let headers = shared.schema_header.as_ref().map(|h| {
            OwnedHeaders::new().insert(Header {
                key: "messageapi-schema",
                value: Some(h.as_str()),
            })
        });
        let ctx = producer.context();
        let batch_id = ctx.next.fetch_add(1, Ordering::Relaxed);
        let batch = Arc::new(Batch::new(records.len()));
        ctx.batches
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(batch_id, batch.clone());
        let deadline = Instant::now() + shared.timeout;
        let mut sent: Vec<Option<String>> = vec![None; records.len()];
        let mut failed: Vec<(usize, String)> = Vec::new();
        let mut payload = Vec::with_capacity(256);
        let mut writer = crate::json::RecordWriter::default();
        for (i, record) in records.iter().enumerate() {
            let topic = match (&topic_field, &topic) {
                (Some(f), fallback) => match (record.get(f), fallback) {
                    (Ok(Value::String(t)), _) => t.to_string(),
                    (_, Some(t)) => t.clone(),
                    (_, None) => {
                        failed.push((
                            i,
                            format!("connection {conn}: the record has no topic in field \"{f}\""),
                        ));
                        continue;
                    }
                },
                (None, Some(t)) => t.clone(),
                (None, None) => unreachable!("checked at open"),
            };
            if create {
                if let Err(e) = shared.ensure_topic(&topic, partitions) {
                    failed.push((i, format!("connection {conn}: {e}")));
                    continue;
                }
            }
            let key = key_field
                .as_ref()
                .and_then(|f| record.get(f).ok())
                .and_then(key_text);
            payload.clear();
            writer.write(record, &mut payload);
            batch.remaining.fetch_add(1, Ordering::AcqRel);
            loop {
                let mut message =
                    BaseRecord::with_opaque_to(&topic, ((batch_id as usize) << 32) | i)
                        .payload(&payload);
                if let Some(k) = &key {
                    message = message.key(k.as_bytes());
                }
                if let Some(h) = &headers {
                    message = message.headers(h.clone());
                }
                match producer.send(message) {
                    Ok(()) => {
                        sent[i] = Some(topic);
                        break;
                    }
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _))
                        if Instant::now() < deadline =>
                    {
                        // Backpressure: the local queue drains as deliveries complete.
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Err((e, _)) => {
                        batch.remaining.fetch_sub(1, Ordering::AcqRel);
                        failed.push((
                            i,
                            format!("connection {conn}: cannot send to topic {topic}: {e}"),
                        ));
                        break;
                    }
                }
            }
        }
        batch.finish_one(); // the sending token
                            // librdkafka reports every message within message.timeout.ms; the margin covers a
                            // report racing the deadline.
        let complete = batch.wait(deadline + Duration::from_secs(30));
        ctx.batches
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&batch_id);
        let mut errors: HashMap<usize, String> = batch
            .errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
            .collect();
        for (i, reason) in failed {
            errors.insert(i, reason);
        }
        let extra = kafka_fields(false);
        let mut topic_texts: HashMap<String, Value> = HashMap::new();
        let mut extended: HashMap<*const Layout, Arc<Layout>> = HashMap::new();
        for (i, record) in records.into_iter().enumerate() {
            if let Some(reason) = errors.remove(&i) {
                let reason = if reason.starts_with("connection ") {
                    reason
                } else {
                    format!(
                        "connection {conn}: delivery to topic {} failed: {reason}",
                        sent[i].as_deref().unwrap_or("?")
                    )
                };
                call.reject(record, reason);
                continue;
            }
            let Some(topic) = sent[i].take() else {
                continue;
            };
            let offset = batch.offsets[i].load(Ordering::Relaxed);
            if offset < 0 && !complete {
                call.reject(
                    record,
                    format!("connection {conn}: no delivery report from topic {topic} in time"),
                );
                continue;
            }
            let partition = batch.partitions[i].load(Ordering::Relaxed);
            let layout = extended
                .entry(Arc::as_ptr(record.layout()))
                .or_insert_with(|| {
                    let mut f = record.layout().fields().to_vec();
                    f.extend(extra.iter().cloned());
                    Layout::new(f)
                })
                .clone();
            let out = record.with_layout(
                layout,
                vec![
                    topic_texts
                        .entry(topic)
                        .or_insert_with_key(|t| Value::string(t))
                        .clone(),
                    Value::Integer(partition as i64),
                    Value::Integer(offset),
                ],
            );
            call.add_record(out);
        }
        Ok(())
    }
}
