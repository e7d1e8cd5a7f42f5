//! `kafka-producer`: each record the connection sends (its listed collections and classifiers,
//! then its listed transformations' outputs) becomes one message: the record as a JSON object
//! (fields narrowed by the connection's `fields`), on `topic` or the topic in `topic-field`,
//! keyed by `key-field`. The response completes when every message has its delivery report:
//! delivered records come back with `kafka-topic`, `kafka-partition`, `kafka-offset`; the others
//! are rejections naming the connection and the librdkafka error. A full local queue waits
//! (within `message.timeout.ms`), it never drops. One producer per session and connection,
//! reused by every request.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;
use serde_json::Value as Json;

use super::{block_on, client_config, int_or, kafka_fields, opt_string, KafkaContext};
use crate::error::{Error, Result};
use crate::protocol::call::EndpointCall;
use crate::record::Layout;
use crate::registry::{Endpoint, EndpointFactory, PluginContext, PreparedEndpoint};
use crate::value::Value;

pub struct KafkaProducerFactory;

/// What every request of one connection shares: settings and the producer.
struct Shared {
    connection: String,
    config: ClientConfig,
    timeout: Duration,
    schema_header: Option<String>,
    producer: OnceLock<std::result::Result<FutureProducer<KafkaContext>, String>>,
    /// The broker-outage flag the producer's context sets (cleared on each delivery).
    down: Arc<AtomicBool>,
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
            let id = m.get("id")?;
            let version = m.get("version").map(|v| match v {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            });
            Some(match (id.as_str(), version) {
                (Some(id), Some(v)) => format!("{id}:{v}"),
                (Some(id), None) => id.to_string(),
                _ => return None,
            })
        });
        Ok(Arc::new(Prepared(Arc::new(Shared {
            connection: ctx.id.to_string(),
            config,
            timeout: Duration::from_millis(timeout_ms.max(0) as u64),
            schema_header,
            producer: OnceLock::new(),
            down: Arc::new(AtomicBool::new(false)),
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
    fn producer(&self) -> std::result::Result<&FutureProducer<KafkaContext>, String> {
        self.producer
            .get_or_init(|| {
                self.config
                    .create_with_context(KafkaContext::with_flag(
                        &self.connection,
                        self.down.clone(),
                    ))
                    .map_err(|e| format!("cannot create the Kafka producer: {e}"))
            })
            .as_ref()
            .map_err(String::clone)
    }

    /// Creates `topic` once (3 partitions unless `create-topic-partitions` says otherwise).
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
        let records = call.listed_records()?;
        if records.is_empty() {
            return Ok(());
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
        let mut headers = OwnedHeaders::new();
        if let Some(h) = &shared.schema_header {
            headers = headers.insert(Header {
                key: "messageapi-schema",
                value: Some(h.as_str()),
            });
        }
        let mut narrowed: HashMap<*const Layout, Arc<Layout>> = HashMap::new();
        let deadline = Instant::now() + shared.timeout;
        let mut pending = Vec::with_capacity(records.len());
        let mut payload = Vec::with_capacity(256);
        for (i, record) in records.iter().enumerate() {
            let topic = match (&topic_field, &topic) {
                (Some(f), fallback) => {
                    match record.get(f) {
                        Ok(Value::String(t)) => t.to_string(),
                        _ => match fallback {
                            Some(t) => t.clone(),
                            None => {
                                call.reject(record.clone(), format!("connection {conn}: the record has no topic in field \"{f}\""));
                                continue;
                            }
                        },
                    }
                }
                (None, Some(t)) => t.clone(),
                (None, None) => unreachable!("checked at open"),
            };
            if create {
                if let Err(e) = shared.ensure_topic(&topic, partitions) {
                    call.reject(record.clone(), format!("connection {conn}: {e}"));
                    continue;
                }
            }
            let key = key_field
                .as_ref()
                .and_then(|f| record.get(f).ok())
                .and_then(key_text);
            payload.clear();
            if fields.is_empty() {
                record.write_json(&mut payload);
            } else {
                let target = narrowed
                    .entry(Arc::as_ptr(record.layout()))
                    .or_insert_with(|| Arc::new(record.layout().narrowed(&fields)))
                    .clone();
                record.project(&target).write_json(&mut payload);
            }
            loop {
                let mut message = FutureRecord::to(&topic)
                    .payload(&payload)
                    .headers(headers.clone());
                if let Some(k) = &key {
                    message = message.key(k.as_bytes());
                }
                match producer.send_result(message) {
                    Ok(delivery) => {
                        pending.push((i, topic.clone(), delivery));
                        break;
                    }
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _))
                        if Instant::now() < deadline =>
                    {
                        // Backpressure: the local queue drains as deliveries complete.
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    Err((e, _)) => {
                        call.reject(
                            record.clone(),
                            format!("connection {conn}: cannot send to topic {topic}: {e}"),
                        );
                        break;
                    }
                }
            }
        }
        let extra = kafka_fields(false);
        let mut extended: HashMap<*const Layout, Arc<Layout>> = HashMap::new();
        for (i, topic, delivery) in pending {
            let record = &records[i];
            match block_on(delivery) {
                Ok(Ok(d)) => {
                    shared.down.store(false, Ordering::Relaxed);
                    let base = if fields.is_empty() {
                        record.clone()
                    } else {
                        record.project(
                            narrowed
                                .get(&Arc::as_ptr(record.layout()))
                                .unwrap_or(record.layout()),
                        )
                    };
                    let layout = extended
                        .entry(Arc::as_ptr(base.layout()))
                        .or_insert_with(|| {
                            let mut f = base.layout().fields().to_vec();
                            f.extend(extra.iter().cloned());
                            Layout::new(f)
                        })
                        .clone();
                    let out = base.with_layout(
                        layout,
                        vec![
                            Value::string(&topic),
                            Value::Integer(d.partition as i64),
                            Value::Integer(d.offset),
                        ],
                    );
                    call.add_record(out);
                }
                Ok(Err((e, _))) => call.reject(
                    record.clone(),
                    format!("connection {conn}: delivery to topic {topic} failed: {e}"),
                ),
                Err(_) => call.reject(
                    record.clone(),
                    format!("connection {conn}: the producer closed before delivering to {topic}"),
                ),
            }
        }
        Ok(())
    }
}
