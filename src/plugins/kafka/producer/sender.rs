//! The sender thread: hands serialized chunks to librdkafka (`rd_kafka_produce_batch`) in
//! submit order, places keyless messages, and serves the delivery reports.

use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::ptr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::bindings as rdsys;
use rdkafka::error::KafkaError;
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, PurgeConfig};
use rdkafka::types::RDKafkaErrorCode;

use super::delivery::{Batch, ProducerCtx};

/// Records are serialized and handed to librdkafka this many at a time.
pub(super) const CHUNK: usize = 1024;

/// Marks a record that was not sent (no topic, or its topic could not be created).
pub(super) const NOT_SENT: u32 = u32::MAX;

/// librdkafka's RD_KAFKA_PARTITION_UA: the partitioner chooses.
pub(super) const PARTITION_UNASSIGNED: i32 = -1;

/// One message of a chunk: byte ranges into the chunk's payload and key buffers.
pub(super) struct Outgoing {
    pub(super) slot: usize,
    pub(super) payload: std::ops::Range<usize>,
    pub(super) key: Option<std::ops::Range<usize>>,
    /// Headers of this message alone (`header-fields`), the chunk's included.
    pub(super) headers: Option<OwnedHeaders>,
}

/// Messages of one submit to one topic, serialized, for the sender thread.
pub(super) struct Chunk {
    pub(super) conn: Arc<str>,
    pub(super) topic: Arc<str>,
    pub(super) batch_id: u32,
    pub(super) batch: Arc<Batch>,
    pub(super) msgs: Vec<Outgoing>,
    pub(super) payloads: Vec<u8>,
    pub(super) keys: Vec<u8>,
    pub(super) headers: Option<OwnedHeaders>,
    pub(super) deadline: Instant,
}

impl Chunk {
    pub(super) fn opaque(&self, slot: usize) -> usize {
        ((self.batch_id as usize) << 32) | slot
    }

    /// Records that message `slot` could not be queued: a rejection reason, and its report
    /// counted as done.
    pub(super) fn refuse(&self, slot: usize, reason: String) {
        self.batch
            .errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((slot, reason));
        self.batch.finish_one();
    }

    pub(super) fn cannot(&self, e: impl std::fmt::Display) -> String {
        format!(
            "connection {}: cannot send to topic {}: {e}",
            self.conn, self.topic
        )
    }
}

/// A librdkafka topic handle (for `rd_kafka_produce_batch`), owned by the sender thread.
pub(super) struct TopicHandle(pub(super) *mut rdsys::rd_kafka_topic_t);

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
pub(super) struct PartitionCount {
    /// 0 while unknown (librdkafka's partitioner places the messages meanwhile).
    pub(super) count: i32,
    pub(super) checked: Option<Instant>,
}

impl PartitionCount {
    pub(super) fn due(&self) -> bool {
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
pub(super) struct PartitionCounts {
    pub(super) topics: HashMap<String, PartitionCount>,
    pub(super) fetching: bool,
}

/// How often partition counts are fetched again (new partitions are used after this), and
/// retried while unknown (a topic about to be created, a broker not yet up).
pub(super) const PARTITIONS_REFRESH: Duration = Duration::from_secs(60);
pub(super) const PARTITIONS_RETRY: Duration = Duration::from_secs(1);

pub(super) fn seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (t ^ (std::process::id() as u64).rotate_left(32)) | 1
}

/// A reference to librdkafka's main queue (where delivery reports arrive).
pub(super) struct QueueHandle(pub(super) *mut rdsys::rd_kafka_queue_t);

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
pub(super) struct SenderThread {
    pub(super) producer: Arc<BaseProducer<ProducerCtx>>,
    pub(super) main_queue: QueueHandle,
    pub(super) handles: HashMap<Arc<str>, TopicHandle>,
    pub(super) counts: Arc<Mutex<PartitionCounts>>,
    pub(super) custom_partitioner: bool,
    pub(super) pick: u64,
    pub(super) timeout: Duration,
}

impl SenderThread {
    /// Sends chunks in arrival order (submit order) and serves delivery reports: after each
    /// chunk, every millisecond while messages are in flight (a new chunk wakes the thread at
    /// once), and once a second when idle. Ends when the channel closes.
    pub(super) fn run(mut self, chunks: crossbeam_channel::Receiver<Chunk>) {
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
        // The channel closes when the endpoint is dropped, after every submit's finisher has
        // answered for its records: a message librdkafka still holds belongs to a submit already
        // answered (rejected when the broker could not be used, or when its report did not come
        // in time). Nobody waits for it: it is purged rather than left to time out, which
        // made closing a session wait up to librdkafka's once-a-second timeout scan.
        if self.producer.in_flight_count() > 0 {
            self.producer
                .purge(PurgeConfig::default().queue().inflight());
            let deadline = Instant::now() + Duration::from_millis(500);
            while self.producer.in_flight_count() > 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
                self.serve_reports();
            }
        }
        self.handles.clear();
    }

    /// Serves every event waiting on the main queue (delivery reports, errors, logs) without
    /// blocking. (`BaseProducer::poll` with a timeout under a few milliseconds spins: it
    /// rounds the remaining time down to 0 ms and polls again until the deadline.)
    pub(super) fn serve_reports(&self) {
        loop {
            self.producer.poll(Duration::ZERO);
            // SAFETY: a live queue reference.
            if unsafe { rdsys::rd_kafka_queue_length(self.main_queue.0) } == 0 {
                break;
            }
        }
    }

    /// Waits a little for the local queue to drain (backpressure), serving reports.
    pub(super) fn backpressure(&self) {
        std::thread::sleep(Duration::from_micros(250));
        self.serve_reports();
    }

    /// Hands one chunk to librdkafka: `rd_kafka_produce_batch`, or one `rd_kafka_producev`
    /// each when messages carry headers. A full local queue is backpressure: delivery reports
    /// are served and the rest retried until the chunk's deadline.
    pub(super) fn send(&mut self, chunk: &Chunk) {
        if chunk.headers.is_some() || chunk.msgs.iter().any(|m| m.headers.is_some()) {
            for m in &chunk.msgs {
                let h = m.headers.as_ref().or(chunk.headers.as_ref());
                loop {
                    let mut message =
                        BaseRecord::with_opaque_to(&chunk.topic, chunk.opaque(m.slot))
                            .payload(&chunk.payloads[m.payload.clone()]);
                    if let Some(h) = h {
                        message = message.headers(h.clone());
                    }
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
    pub(super) fn topic_handle(
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
    pub(super) fn keyless_partition(&mut self, topic: &str) -> i32 {
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
    pub(super) fn fetch_partition_counts(&self, topics: Vec<String>) -> bool {
        let producer = self.producer.clone();
        let counts = self.counts.clone();
        let timeout = self.timeout.min(Duration::from_secs(10));
        crate::runtime::threads::spawn("mapi-kafka-meta", move || {
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
