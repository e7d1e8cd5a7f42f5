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
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use std::ffi::{c_int, c_void};
use std::ptr;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::bindings as rdsys;
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::error::KafkaError;
use rdkafka::message::{DeliveryResult, Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;
use serde_json::Value as Json;

use super::{block_on, client_config, int_or, kafka_fields, opt_string, KafkaContext};
use crate::error::{Error, Result};
use crate::protocol::{Endpoint, EndpointFactory, PreparedEndpoint};
use crate::protocol::{EndpointCall, Finished};
use crate::record::{DerivedLayouts, Record};
use crate::schema::PluginContext;
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

/// What every request of one connection shares: settings and the link to the sender thread.
struct Shared {
    connection: String,
    config: ClientConfig,
    timeout: Duration,
    schema_header: Option<String>,
    /// Whether the configuration sets `sticky.partitioning.linger.ms` (then librdkafka places
    /// every message itself, as configured).
    custom_partitioner: bool,
    link: OnceLock<std::result::Result<Link, String>>,
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
        if let Some(Ok(mut link)) = self.link.take() {
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
    fn narrows_itself(&self) -> bool {
        true
    }
    fn added_fields(&self) -> usize {
        kafka_fields(false).len()
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
    /// The link, made on first use (the producer connects then).
    fn link(&self) -> std::result::Result<&Link, String> {
        self.link
            .get_or_init(|| {
                let down = Arc::new(AtomicBool::new(false));
                let ctx = ProducerCtx {
                    base: KafkaContext::with_flag(&self.connection, down.clone()),
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
                let thread = std::thread::Builder::new()
                    .name("mapi-kafka-send".into())
                    .spawn(move || sender.run(rx))
                    .map_err(|e| format!("cannot start the Kafka sender thread: {e}"))?;
                Ok(Link {
                    producer,
                    chunks: Some(tx),
                    thread: Some(thread),
                })
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

/// Records are serialized and handed to librdkafka this many at a time.
const CHUNK: usize = 1024;

/// Marks a record that was not sent (no topic, or its topic could not be created).
const NOT_SENT: u32 = u32::MAX;

/// librdkafka's RD_KAFKA_PARTITION_UA: the partitioner chooses.
const PARTITION_UNASSIGNED: i32 = -1;

/// One message of a chunk: byte ranges into the chunk's payload and key buffers.
struct Outgoing {
    slot: usize,
    payload: std::ops::Range<usize>,
    key: Option<std::ops::Range<usize>>,
}

/// Messages of one submit to one topic, serialized, for the sender thread.
struct Chunk {
    conn: Arc<str>,
    topic: Arc<str>,
    batch_id: u32,
    batch: Arc<Batch>,
    msgs: Vec<Outgoing>,
    payloads: Vec<u8>,
    keys: Vec<u8>,
    headers: Option<OwnedHeaders>,
    deadline: Instant,
}

impl Chunk {
    fn opaque(&self, slot: usize) -> usize {
        ((self.batch_id as usize) << 32) | slot
    }

    /// Records that message `slot` could not be queued: a rejection reason, and its report
    /// counted as done.
    fn refuse(&self, slot: usize, reason: String) {
        self.batch
            .errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((slot, reason));
        self.batch.finish_one();
    }

    fn cannot(&self, e: impl std::fmt::Display) -> String {
        format!(
            "connection {}: cannot send to topic {}: {e}",
            self.conn, self.topic
        )
    }
}

/// A librdkafka topic handle (for `rd_kafka_produce_batch`), owned by the sender thread.
struct TopicHandle(*mut rdsys::rd_kafka_topic_t);

// SAFETY: librdkafka topic handles may be used and destroyed from any thread (the sender
// thread's state, handles included, is made on one thread and moved to it).
unsafe impl Send for TopicHandle {}

impl Drop for TopicHandle {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_topic_new and destroyed once, by the sender thread,
        // which holds a reference to the producer until after its handles are gone.
        unsafe { rdsys::rd_kafka_topic_destroy(self.0) }
    }
}

/// What is known of a topic's partition count.
struct PartitionCount {
    /// 0 while unknown (librdkafka's partitioner places the messages meanwhile).
    count: i32,
    checked: Option<Instant>,
}

impl PartitionCount {
    fn due(&self) -> bool {
        let every = if self.count > 0 {
            PARTITIONS_REFRESH
        } else {
            PARTITIONS_RETRY
        };
        self.checked.is_none_or(|t| t.elapsed() >= every)
    }
}

/// The partition counts of the topics a producer sent to, and whether a helper thread is
/// fetching some (one at a time per producer).
#[derive(Default)]
struct PartitionCounts {
    topics: HashMap<String, PartitionCount>,
    fetching: bool,
}

/// How often partition counts are fetched again (new partitions are used after this), and
/// retried while unknown (a topic about to be created, a broker not yet up).
const PARTITIONS_REFRESH: Duration = Duration::from_secs(60);
const PARTITIONS_RETRY: Duration = Duration::from_secs(1);

fn seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (t ^ (std::process::id() as u64).rotate_left(32)) | 1
}

/// A reference to librdkafka's main queue (where delivery reports arrive).
struct QueueHandle(*mut rdsys::rd_kafka_queue_t);

// SAFETY: librdkafka queue handles may be used and destroyed from any thread.
unsafe impl Send for QueueHandle {}

impl Drop for QueueHandle {
    fn drop(&mut self) {
        // SAFETY: a reference from rd_kafka_queue_get_main, released once, before the
        // sender thread drops its reference to the producer.
        unsafe { rdsys::rd_kafka_queue_destroy(self.0) }
    }
}

/// The sender thread's state.
struct SenderThread {
    producer: Arc<BaseProducer<ProducerCtx>>,
    main_queue: QueueHandle,
    handles: HashMap<Arc<str>, TopicHandle>,
    counts: Arc<Mutex<PartitionCounts>>,
    custom_partitioner: bool,
    pick: u64,
    timeout: Duration,
}

impl SenderThread {
    /// Sends chunks in arrival order (submit order) and serves delivery reports: after each
    /// chunk, every millisecond while messages are in flight (a new chunk wakes the thread at
    /// once), and once a second when idle. Ends when the channel closes.
    fn run(mut self, chunks: crossbeam_channel::Receiver<Chunk>) {
        use crossbeam_channel::{RecvTimeoutError, TryRecvError};
        loop {
            let next = match chunks.try_recv() {
                Ok(c) => Some(c),
                Err(TryRecvError::Disconnected) => break,
                Err(TryRecvError::Empty) => {
                    let wait = if self.producer.in_flight_count() > 0 {
                        Duration::from_millis(1)
                    } else {
                        Duration::from_secs(1)
                    };
                    match chunks.recv_timeout(wait) {
                        Ok(c) => Some(c),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
            };
            if let Some(chunk) = next {
                self.send(&chunk);
            }
            self.serve_reports();
        }
        // Reports still due (none normally: each submit waits for its own).
        let deadline = Instant::now() + self.timeout;
        while self.producer.in_flight_count() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
            self.serve_reports();
        }
        self.handles.clear();
    }

    /// Serves every event waiting on the main queue (delivery reports, errors, logs) without
    /// blocking. (`BaseProducer::poll` with a timeout under a few milliseconds spins: it
    /// rounds the remaining time down to 0 ms and polls again until the deadline.)
    fn serve_reports(&self) {
        loop {
            self.producer.poll(Duration::ZERO);
            // SAFETY: a live queue reference.
            if unsafe { rdsys::rd_kafka_queue_length(self.main_queue.0) } == 0 {
                break;
            }
        }
    }

    /// Waits a little for the local queue to drain (backpressure), serving reports.
    fn backpressure(&self) {
        std::thread::sleep(Duration::from_micros(250));
        self.serve_reports();
    }

    /// Hands one chunk to librdkafka: `rd_kafka_produce_batch`, or one `rd_kafka_producev`
    /// each when messages carry headers. A full local queue is backpressure: delivery reports
    /// are served and the rest retried until the chunk's deadline.
    fn send(&mut self, chunk: &Chunk) {
        if let Some(h) = &chunk.headers {
            for m in &chunk.msgs {
                loop {
                    let mut message =
                        BaseRecord::with_opaque_to(&chunk.topic, chunk.opaque(m.slot))
                            .payload(&chunk.payloads[m.payload.clone()])
                            .headers(h.clone());
                    if let Some(k) = &m.key {
                        message = message.key(&chunk.keys[k.clone()]);
                    }
                    match self.producer.send(message) {
                        Ok(()) => break,
                        Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _))
                            if Instant::now() < chunk.deadline =>
                        {
                            self.backpressure();
                        }
                        Err((e, _)) => {
                            chunk.refuse(m.slot, chunk.cannot(e));
                            break;
                        }
                    }
                }
            }
            return;
        }
        let rkt = match self.topic_handle(&chunk.topic) {
            Ok(rkt) => rkt,
            Err(e) => {
                for m in &chunk.msgs {
                    chunk.refuse(m.slot, format!("connection {}: {e}", chunk.conn));
                }
                return;
            }
        };
        let keyless = self.keyless_partition(&chunk.topic);
        let mut pending: Vec<&Outgoing> = chunk.msgs.iter().collect();
        let mut native: Vec<rdsys::rd_kafka_message_t> = Vec::with_capacity(pending.len());
        while !pending.is_empty() {
            native.clear();
            native.extend(pending.iter().map(|m| {
                let (key, key_len) = m.key.as_ref().map_or((ptr::null_mut(), 0), |k| {
                    (chunk.keys[k.clone()].as_ptr() as *mut c_void, k.len())
                });
                rdsys::rd_kafka_message_t {
                    err: rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR,
                    rkt: ptr::null_mut(),
                    partition: if m.key.is_some() {
                        PARTITION_UNASSIGNED
                    } else {
                        keyless
                    },
                    payload: chunk.payloads[m.payload.clone()].as_ptr() as *mut c_void,
                    len: m.payload.len(),
                    key,
                    key_len,
                    offset: 0,
                    _private: chunk.opaque(m.slot) as *mut c_void,
                }
            }));
            // SAFETY: a live topic handle; `native` holds `pending.len()` messages whose
            // payloads and keys outlive the call (librdkafka copies them: F_COPY).
            unsafe {
                rdsys::rd_kafka_produce_batch(
                    rkt,
                    PARTITION_UNASSIGNED,
                    rdsys::RD_KAFKA_MSG_F_COPY | rdsys::RD_KAFKA_MSG_F_PARTITION,
                    native.as_mut_ptr(),
                    native.len() as c_int,
                )
            };
            let mut retry = Vec::new();
            for (m, n) in pending.iter().zip(&native) {
                match RDKafkaErrorCode::from(n.err) {
                    RDKafkaErrorCode::NoError => {}
                    RDKafkaErrorCode::QueueFull if Instant::now() < chunk.deadline => {
                        retry.push(*m)
                    }
                    e => chunk.refuse(m.slot, chunk.cannot(KafkaError::MessageProduction(e))),
                }
            }
            if !retry.is_empty() {
                self.backpressure();
            }
            pending = retry;
        }
    }

    /// The topic handle for `topic` (created once).
    fn topic_handle(
        &mut self,
        topic: &Arc<str>,
    ) -> std::result::Result<*mut rdsys::rd_kafka_topic_t, String> {
        if let Some(h) = self.handles.get(topic) {
            return Ok(h.0);
        }
        let name = std::ffi::CString::new(&**topic)
            .map_err(|_| format!("topic name {topic:?} holds a NUL byte"))?;
        // SAFETY: a live client handle and a NUL-terminated name; no topic configuration
        // (the producer's defaults apply).
        let rkt = unsafe {
            rdsys::rd_kafka_topic_new(
                self.producer.client().native_ptr(),
                name.as_ptr(),
                ptr::null_mut(),
            )
        };
        if rkt.is_null() {
            // SAFETY: reads this thread's last librdkafka error.
            let err = RDKafkaErrorCode::from(unsafe { rdsys::rd_kafka_last_error() });
            return Err(format!("cannot use topic {topic}: {err}"));
        }
        self.handles.insert(topic.clone(), TopicHandle(rkt));
        Ok(rkt)
    }

    /// The partition for the keyless messages of one chunk: a random one, as librdkafka's
    /// default partitioner (sticky, consistent_random) places them, chosen once per chunk
    /// instead of once per message; `PARTITION_UNASSIGNED` while the count is unknown or when
    /// the configuration sets `sticky.partitioning.linger.ms` (librdkafka then places them).
    fn keyless_partition(&mut self, topic: &str) -> i32 {
        if self.custom_partitioner {
            return PARTITION_UNASSIGNED;
        }
        let count = {
            let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
            let entry = match counts.topics.get_mut(topic) {
                Some(e) => e,
                None => counts
                    .topics
                    .entry(topic.to_string())
                    .or_insert(PartitionCount {
                        count: 0,
                        checked: None,
                    }),
            };
            let (count, due) = (entry.count, entry.due());
            if due && !counts.fetching {
                let topics: Vec<String> = counts
                    .topics
                    .iter()
                    .filter(|(_, e)| e.due())
                    .map(|(t, _)| t.clone())
                    .collect();
                counts.fetching = true;
                if !self.fetch_partition_counts(topics.clone()) {
                    counts.fetching = false;
                    for t in topics {
                        if let Some(e) = counts.topics.get_mut(&t) {
                            e.checked = Some(Instant::now());
                        }
                    }
                }
            }
            count
        };
        if count <= 0 {
            return PARTITION_UNASSIGNED;
        }
        // xorshift64*: uniform enough to spread chunks over partitions.
        let mut x = self.pick;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.pick = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as i32 % count
    }

    /// Fetches the partition counts of `topics` on a helper thread, one topic after the other
    /// (a metadata request must not hold up sending: librdkafka's partitioner places messages
    /// until a count is known). False when no thread could be started.
    fn fetch_partition_counts(&self, topics: Vec<String>) -> bool {
        let producer = self.producer.clone();
        let counts = self.counts.clone();
        let timeout = self.timeout.min(Duration::from_secs(10));
        std::thread::Builder::new()
            .name("mapi-kafka-meta".into())
            .spawn(move || {
                // Clears `fetching` however the thread ends.
                struct Done(Arc<Mutex<PartitionCounts>>);
                impl Drop for Done {
                    fn drop(&mut self) {
                        self.0.lock().unwrap_or_else(|p| p.into_inner()).fetching = false;
                    }
                }
                let _done = Done(counts.clone());
                for topic in topics {
                    let count = producer
                        .client()
                        .fetch_metadata(Some(&topic), timeout)
                        .ok()
                        .and_then(|md| {
                            let t = md.topics().iter().find(|t| t.name() == topic)?;
                            if t.error().is_some() {
                                return None;
                            }
                            i32::try_from(t.partitions().len()).ok()
                        })
                        .unwrap_or(0);
                    let mut counts = counts.lock().unwrap_or_else(|p| p.into_inner());
                    if let Some(e) = counts.topics.get_mut(&topic) {
                        e.count = count;
                        e.checked = Some(Instant::now());
                    }
                }
            })
            .is_ok()
    }
}

impl Endpoint for Instance {
    fn process(&mut self, call: &mut EndpointCall<'_>) -> Result<()> {
        let shared = &*self.0;
        let conn: Arc<str> = call.connection_id().into();
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
            let mut narrowed = DerivedLayouts::default();
            for r in records.iter_mut() {
                let target = narrowed.of(r.layout(), |l| l.narrowed(&fields));
                *r = r.project(&target);
            }
        }
        let link = match shared.link() {
            Ok(l) => l,
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

        // Each record's topic, as an index into `topics` (each topic checked or created once).
        let mut topics: Vec<Arc<str>> = Vec::new();
        let mut dest: Vec<u32> = vec![NOT_SENT; records.len()];
        let mut failed: Vec<(usize, String)> = Vec::new();
        let mut unusable: Vec<(String, String)> = Vec::new();
        for (i, record) in records.iter().enumerate() {
            let t: &str = match (&topic_field, &topic) {
                (Some(f), fallback) => match (record.get(f), fallback) {
                    (Ok(Value::String(t)), _) => t,
                    (_, Some(t)) => t,
                    (_, None) => {
                        failed.push((
                            i,
                            format!("connection {conn}: the record has no topic in field \"{f}\""),
                        ));
                        continue;
                    }
                },
                (None, Some(t)) => t,
                (None, None) => unreachable!("checked at open"),
            };
            if let Some(ti) = topics.iter().position(|x| &**x == t) {
                dest[i] = ti as u32;
                continue;
            }
            if let Some((_, e)) = unusable.iter().find(|(x, _)| x == t) {
                failed.push((i, format!("connection {conn}: {e}")));
                continue;
            }
            if create {
                if let Err(e) = shared.ensure_topic(t, partitions) {
                    failed.push((i, format!("connection {conn}: {e}")));
                    unusable.push((t.to_string(), e));
                    continue;
                }
            }
            topics.push(t.into());
            dest[i] = (topics.len() - 1) as u32;
        }

        let ctx = link.producer.context();
        let batch_id = ctx.next.fetch_add(1, Ordering::Relaxed);
        let batch = Arc::new(Batch::new(records.len()));
        ctx.batches
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(batch_id, batch.clone());
        let deadline = Instant::now() + shared.timeout;

        // Runs of records to one topic, CHUNK at a time, serialized here and handed to the
        // sender thread in order.
        let mut writer = crate::json::RecordWriter::default();
        let mut i = 0;
        while i < records.len() {
            let d = dest[i];
            if d == NOT_SENT {
                i += 1;
                continue;
            }
            let mut payloads = Vec::with_capacity(CHUNK * 128);
            let mut keys = Vec::new();
            let mut msgs: Vec<Outgoing> = Vec::with_capacity(CHUNK.min(records.len() - i));
            while i < records.len() && dest[i] == d && msgs.len() < CHUNK {
                let record = &records[i];
                let start = payloads.len();
                writer.write(record, &mut payloads);
                let key_start = keys.len();
                let key = key_field
                    .as_ref()
                    .and_then(|f| record.get(f).ok())
                    .filter(|v| write_key(v, &mut keys))
                    .map(|_| key_start..keys.len());
                msgs.push(Outgoing {
                    slot: i,
                    payload: start..payloads.len(),
                    key,
                });
                i += 1;
            }
            batch.remaining.fetch_add(msgs.len(), Ordering::AcqRel);
            let chunk = Chunk {
                conn: conn.clone(),
                topic: topics[d as usize].clone(),
                batch_id,
                batch: batch.clone(),
                msgs,
                payloads,
                keys,
                headers: headers.clone(),
                deadline,
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
        batch.finish_one(); // the sending token
                            // The delivery reports are awaited after the stream is released, so the next submit of
                            // the request sends while this one's last messages are in flight.
        let shared = self.0.clone();
        call.finish_later(move |out| {
            let sent = Sent {
                batch_id,
                batch: &batch,
                topics,
                dest,
                failed,
                deadline,
            };
            shared.finish(out, &conn, sent, records)
        });
        Ok(())
    }
}

/// What one submit handed to librdkafka.
struct Sent<'a> {
    batch_id: u32,
    batch: &'a Batch,
    topics: Vec<Arc<str>>,
    /// Each record's topic index, or NOT_SENT.
    dest: Vec<u32>,
    /// Records not sent, with reasons.
    failed: Vec<(usize, String)>,
    deadline: Instant,
}

impl Shared {
    /// Waits for the delivery reports of a submit (until its deadline and a margin), then
    /// returns the delivered records with their Kafka fields and rejects the others.
    fn finish(&self, out: &mut Finished, conn: &str, sent: Sent<'_>, records: Vec<Record>) {
        let batch = sent.batch;
        // librdkafka reports every message within message.timeout.ms; the margin covers a
        // report racing the deadline.
        let complete = batch.wait(sent.deadline + Duration::from_secs(30));
        if let Ok(link) = self.link() {
            link.producer
                .context()
                .batches
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&sent.batch_id);
        }
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
                        "connection {conn}: delivery to topic {topic} failed: {reason}"
                    ))
                }
                None if d == NOT_SENT => Some(format!("connection {conn}: not sent")),
                None if batch.offsets[i].load(Ordering::Relaxed) < 0 && !complete => Some(format!(
                    "connection {conn}: no delivery report from topic {} in time",
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
        out.extend(records);
    }
}
