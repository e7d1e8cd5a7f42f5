//! Delivery reports: each message's report is written into its submit's batch (its slot is the
//! message's opaque value), and the submit waits for its batch.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::Instant;

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;
use rdkafka::message::{DeliveryResult, Message};
use rdkafka::producer::ProducerContext;

use super::super::KafkaContext;

/// The delivery reports of one submit.
pub(super) struct Batch {
    pub(super) partitions: Vec<AtomicI32>,
    pub(super) offsets: Vec<AtomicI64>,
    pub(super) errors: Mutex<Vec<(usize, String)>>,
    /// Messages sent and not yet reported, plus one while sending.
    pub(super) remaining: AtomicUsize,
    pub(super) done: Mutex<bool>,
    pub(super) cv: Condvar,
}

impl Batch {
    pub(super) fn new(n: usize) -> Batch {
        Batch {
            partitions: (0..n).map(|_| AtomicI32::new(-1)).collect(),
            offsets: (0..n).map(|_| AtomicI64::new(-1)).collect(),
            errors: Mutex::new(Vec::new()),
            remaining: AtomicUsize::new(1),
            done: Mutex::new(false),
            cv: Condvar::new(),
        }
    }

    pub(super) fn finish_one(&self) {
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
            *done = true;
            self.cv.notify_all();
        }
    }

    /// Waits until every sent message is reported, or `deadline`.
    pub(super) fn wait(&self, deadline: Instant) -> bool {
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
pub(super) struct ProducerCtx {
    pub(super) base: KafkaContext,
    pub(super) down: Arc<AtomicBool>,
    pub(super) batches: RwLock<HashMap<u32, Arc<Batch>>>,
    pub(super) next: AtomicU32,
}

impl ClientContext for ProducerCtx {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        self.base.log(level, fac, message)
    }
    fn error(&self, error: KafkaError, reason: &str) {
        self.base.error(error, reason)
    }
    fn stats_raw(&self, statistics: &[u8]) {
        self.base.stats_raw(statistics)
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
                if self.down.load(Ordering::Relaxed) {
                    self.base.mark_up();
                }
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
