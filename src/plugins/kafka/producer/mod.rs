//! `kafka-producer`: each record the connection sends (its listed collections and classifiers,
//! then its listed transformations' outputs) becomes one message: the record as a JSON object
//! (fields narrowed by the connection's `fields`), on `topic` or the topic in `topic-field`,
//! keyed by `key-field`. The response completes when every message has its delivery report:
//! delivered records come back with `kafka-topic`, `kafka-partition`, `kafka-offset`; the others
//! are rejections naming the connection and the librdkafka error. A full local queue waits
//! (within `message.timeout.ms`), it never drops. One producer per session and connection,
//! reused by every request.
//!
//! Submits serialize their records in chunks and queue them for the connection's sender
//! thread, which hands them to librdkafka (`rd_kafka_produce_batch`) in submit order and serves
//! the delivery reports. Each message's opaque value is its batch and slot, and its report is
//! written into that slot (no allocation per message); a submit's response waits for its
//! batch after the request's stream is released, so the next submit is already being sent.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU32};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::bindings as rdsys;
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseProducer, Producer};
use rdkafka::types::RDKafkaErrorCode;
use serde_json::Value as Json;

mod delivery;
mod instance;
mod sender;

use super::{block_on, client_config, int_or, kafka_fields, KafkaContext};
use crate::error::Result;
use crate::protocol::{Endpoint, EndpointFactory, PreparedEndpoint};
use crate::runtime::fork::ForkBound;
use crate::schema::PluginContext;
use delivery::ProducerCtx;
use sender::{seed, Chunk, PartitionCounts, QueueHandle, SenderThread};

pub struct KafkaProducerFactory;

/// What every request of one connection shares: settings and the link to the sender thread.
struct Shared {
    connection: String,
    config: ClientConfig,
    timeout: Duration,
    schema_header: Option<String>,
    /// Whether the configuration sets `sticky.partitioning.linger.ms` (then librdkafka places
    /// every message itself, as configured).
    custom_partitioner: bool,
    /// Made on first use; in a child after `fork()` it is the parent's and is left alone.
    link: OnceLock<std::result::Result<ForkBound<Link>, String>>,
    created_topics: Mutex<HashSet<String>>,
}

/// The producer and the thread that hands it messages and serves its delivery reports. One
/// thread does both, as a plain librdkafka program does: librdkafka allocates and frees its
/// messages on one thread, and no delivery-report thread is woken per report.
struct Link {
    producer: Arc<BaseProducer<ProducerCtx>>,
    chunks: Option<crossbeam_channel::Sender<Chunk>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(mut link) = self
            .link
            .take()
            .and_then(Result::ok)
            .and_then(ForkBound::into_inner)
        {
            // Nothing is in flight (each submit's finisher holds this `Shared`): the thread
            // ends at once when the channel closes.
            drop(link.chunks.take());
            if let Some(t) = link.thread.take() {
                let _ = t.join();
            }
        }
    }
}

struct Prepared(Arc<Shared>);

impl EndpointFactory for KafkaProducerFactory {
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn PreparedEndpoint>> {
        let c = ctx.constructor;
        instance::Settings::check(c)?;
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
        )?;
        let schema_header = ctx.schema.and_then(|s| s.metadata.as_ref()).and_then(|m| {
            let id = m.get("id")?.as_str()?;
            Some(match m.get("version") {
                Some(Json::String(v)) => format!("{id}:{v}"),
                Some(Json::Null) | None => id.to_string(),
                Some(v) => format!("{id}:{v}"),
            })
        });
        let custom_partitioner = config.get("sticky.partitioning.linger.ms").is_some();
        Ok(Arc::new(Prepared(Arc::new(Shared {
            connection: ctx.id.to_string(),
            config,
            timeout: Duration::from_millis(timeout_ms.max(0) as u64),
            schema_header,
            custom_partitioner,
            link: OnceLock::new(),
            created_topics: Mutex::new(HashSet::new()),
        }))))
    }
}

impl PreparedEndpoint for Prepared {
    fn check_parameter(
        &self,
        _key: &str,
        constructor: &serde_json::Map<String, Json>,
    ) -> Result<()> {
        instance::Settings::check(constructor)?;
        super::check_settings(constructor)
    }
    fn applies_fields(&self) -> bool {
        true
    }
    fn appended_fields(&self) -> usize {
        kafka_fields(false).len()
    }
    fn survives_fork(&self) -> bool {
        false
    }
    fn instantiate(&self) -> Result<Box<dyn Endpoint>> {
        Ok(Box::new(Instance(self.0.clone())))
    }
}

struct Instance(Arc<Shared>);

/// Chunks waiting for the sender thread (each up to CHUNK messages): a submit waits when the
/// sender is this far behind.
const CHUNKS_QUEUED: usize = 32;

impl Shared {
    /// The link, if it was made (and could be).
    fn made_link(&self) -> Option<&Link> {
        self.link
            .get()
            .and_then(|l| l.as_ref().ok())
            .and_then(ForkBound::get)
    }

    /// The link, made on first use (the producer connects then).
    fn link(
        &self,
        stats: &Arc<crate::stats::ConnectionStats>,
    ) -> std::result::Result<&Link, String> {
        self.link
            .get_or_init(|| {
                let down = Arc::new(AtomicBool::new(false));
                let ctx = ProducerCtx {
                    base: KafkaContext::with_flag(&self.connection, down.clone()).with_stats(stats),
                    down,
                    batches: RwLock::new(HashMap::new()),
                    next: AtomicU32::new(0),
                };
                let producer: BaseProducer<ProducerCtx> = self
                    .config
                    .create_with_context(ctx)
                    .map_err(|e| format!("cannot create the Kafka producer: {e}"))?;
                let producer = Arc::new(producer);
                let (tx, rx) = crossbeam_channel::bounded(CHUNKS_QUEUED);
                // SAFETY: a live client handle; the reference is released by QueueHandle.
                let main_queue = QueueHandle(unsafe {
                    rdsys::rd_kafka_queue_get_main(producer.client().native_ptr())
                });
                let sender = SenderThread {
                    producer: producer.clone(),
                    main_queue,
                    handles: HashMap::new(),
                    counts: Arc::new(Mutex::new(PartitionCounts::default())),
                    custom_partitioner: self.custom_partitioner,
                    pick: seed(),
                    timeout: self.timeout,
                };
                let thread =
                    crate::runtime::threads::spawn("mapi-kafka-send", move || sender.run(rx))
                        .map_err(|e| format!("cannot start the Kafka sender thread: {e}"))?;
                Ok(ForkBound::new(Link {
                    producer,
                    chunks: Some(tx),
                    thread: Some(thread),
                }))
            })
            .as_ref()
            .map_err(String::clone)?
            .get()
            .ok_or_else(|| {
                "the Kafka producer was made before fork(): its threads are not in this process"
                    .to_string()
            })
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
