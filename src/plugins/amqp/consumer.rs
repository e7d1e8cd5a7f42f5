//! `amqp-consumer`: each submit returns the next messages of `queue` (up to `max-records`,
//! waiting up to `timeout-ms` for the first), as records of the schema (`format: json`, the
//! default) or as `value` (`format: raw`), each with `amqp-exchange` and `amqp-routing-key`.
//! The queue is declared (durable unless `durable` is false; deleted with its last consumer
//! when `auto-delete` is true) and bound as `bindings` says
//! (`[{"exchange": ..., "routing-key": ...}]`, exchanges declared as `exchange-type`);
//! `prefetch` bounds the messages delivered and not yet acknowledged (default four batches:
//! `4 × max-records`, at most 4,000); `filter` lists schema conditions a record must pass
//! (skipped records still count as processed). A payload that is not valid JSON for the schema
//! becomes a rejection holding the payload.
//!
//! At-least-once: a submit's messages are acknowledged only once its response is complete (dead
//! letters included) and the program has let go of it (freed the response, or the request)
//! (`EndpointCall::commit_later`), however many submits are in flight; a consumer that dies
//! before that has its messages redelivered by the broker.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicQosOptions, ExchangeDeclareOptions,
    QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use serde_json::{Map, Value as Json};

use super::{
    amqp_fields, bool_or, exchange_kind, int_or, millis, string_or, url_of, wait, Link, Outage,
};
use crate::error::{Error, Result};
use crate::protocol::{Endpoint, EndpointCall, EndpointFactory, PreparedEndpoint};
use crate::record::{FieldDef, Layout, Record};
use crate::schema::PluginContext;
use crate::value::{FieldType, Value};

pub struct AmqpConsumerFactory;

use crate::plugins::{ConsumerShape, MessageFormat as Format};

/// What a submit reads: the constructor with the request's runtime parameters applied.
struct Settings {
    url: String,
    tls_ca: Option<String>,
    queue: String,
    durable: bool,
    auto_delete: bool,
    bindings: Vec<(String, String)>,
    exchange_type: String,
    prefetch: u16,
    max: usize,
    timeout: Duration,
}

impl Settings {
    fn read(c: &Map<String, Json>) -> Result<Settings> {
        let queue = string_or(c, "queue", "")?;
        if queue.is_empty() {
            return Err(Error::Manifest(
                "constructor.queue: required (the queue to consume)".into(),
            ));
        }
        let mut bindings = Vec::new();
        match c.get("bindings") {
            None | Some(Json::Null) => {}
            Some(Json::Array(list)) => {
                for (i, b) in list.iter().enumerate() {
                    let exchange = b.get("exchange").and_then(Json::as_str);
                    let key = b.get("routing-key").and_then(Json::as_str).unwrap_or("#");
                    match exchange {
                        Some(e) if !e.is_empty() => bindings.push((e.to_string(), key.to_string())),
                        _ => {
                            return Err(Error::Manifest(format!(
                                "constructor.bindings[{i}]: expected {{\"exchange\": NAME, \"routing-key\": PATTERN}}, found {b}"
                            )))
                        }
                    }
                }
            }
            Some(other) => {
                return Err(Error::Manifest(format!(
                    "constructor.bindings: expected a list of {{\"exchange\", \"routing-key\"}}, found {other}"
                )))
            }
        }
        let exchange_type = string_or(c, "exchange-type", "topic")?;
        exchange_kind(&exchange_type)?;
        let max = int_or(c, "max-records", 500)?.max(0) as usize;
        // Room for four batches unacknowledged: a batch is acknowledged only once the program
        // frees its response, and the submits in flight meanwhile need messages to read.
        let prefetch = int_or(c, "prefetch", (max.max(1) as i64 * 4).min(4000))?;
        Ok(Settings {
            url: url_of(c)?,
            tls_ca: super::tls_ca(c)?,
            queue,
            durable: bool_or(c, "durable", true)?,
            auto_delete: bool_or(c, "auto-delete", false)?,
            bindings,
            exchange_type,
            prefetch: prefetch.clamp(0, u16::MAX as i64) as u16,
            max,
            timeout: millis(c, "timeout-ms", 1000)?,
        })
    }
}

struct Prepared {
    connection: String,
    format: Format,
    layout: Arc<Layout>,
    filter: Vec<usize>,
}

impl EndpointFactory for AmqpConsumerFactory {
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn PreparedEndpoint>> {
        let c = ctx.constructor;
        let s = Settings::read(c)?;
        super::uri(&s.url, s.timeout)?;
        let raw = vec![FieldDef::new("value", FieldType::String)];
        let shape = ConsumerShape::of(ctx, "amqp-consumer", raw, amqp_fields())?;
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
        let s = Settings::read(constructor)?;
        super::uri(&s.url, s.timeout).map(|_| ())
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
            link: None,
            deliveries: None,
            outage: Outage::default(),
            origin: crate::runtime::fork::Origin::here(),
        }))
    }
}

/// What the consumer's delegate hands over: a message, or the end of the consumer.
enum Incoming {
    Message(Box<Delivery>),
    Ended(String),
}

struct Instance {
    connection: String,
    format: Format,
    layout: Arc<Layout>,
    filter: Vec<usize>,
    link: Option<Link>,
    deliveries: Option<Receiver<Incoming>>,
    outage: Outage,
    /// The process the link was made in (its threads are there).
    origin: crate::runtime::fork::Origin,
}

impl Drop for Instance {
    fn drop(&mut self) {
        if self.origin.is_elsewhere() {
            // A child after fork(): the link's threads are the parent's; never wait for them.
            std::mem::forget(self.link.take());
            std::mem::forget(self.deliveries.take());
            return;
        }
        // Messages never acknowledged go back to the queue when the link closes.
        if let Some(link) = self.link.take() {
            link.close();
        }
    }
}

impl Instance {
    /// Connects, declares and binds the queue and starts consuming, unless already done and
    /// still usable.
    fn start(&mut self, s: &Settings, deadline: Instant) -> std::result::Result<(), String> {
        if self.link.as_ref().is_some_and(|l| l.usable()) && self.deliveries.is_some() {
            return Ok(());
        }
        if let Some(old) = self.link.take() {
            // Unacknowledged messages of the old connection go back to the queue.
            old.close();
        }
        self.deliveries = None;
        let link = Link::open(&s.url, &self.connection, deadline, s.tls_ca.as_deref())?;
        let ch = link.channel.clone();
        let queue = s.queue.clone();
        let bindings = s.bindings.clone();
        let kind = exchange_kind(&s.exchange_type).map_err(|e| e.message().to_string())?;
        let (durable, auto_delete, prefetch, tag) = (
            s.durable,
            s.auto_delete,
            s.prefetch,
            format!("messageapi-{}", self.connection),
        );
        let (tx, rx) = crossbeam_channel::unbounded();
        let started = wait(
            async move {
                ch.queue_declare(
                    queue.as_str().into(),
                    QueueDeclareOptions {
                        durable,
                        auto_delete,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await?;
                for (exchange, key) in &bindings {
                    ch.exchange_declare(
                        exchange.as_str().into(),
                        kind.clone(),
                        ExchangeDeclareOptions {
                            durable: true,
                            ..Default::default()
                        },
                        FieldTable::default(),
                    )
                    .await?;
                    ch.queue_bind(
                        queue.as_str().into(),
                        exchange.as_str().into(),
                        key.as_str().into(),
                        QueueBindOptions::default(),
                        FieldTable::default(),
                    )
                    .await?;
                }
                if prefetch > 0 {
                    ch.basic_qos(prefetch, BasicQosOptions::default()).await?;
                }
                let consumer = ch
                    .basic_consume(
                        queue.as_str().into(),
                        tag.as_str().into(),
                        BasicConsumeOptions::default(),
                        FieldTable::default(),
                    )
                    .await?;
                Ok::<_, lapin::Error>(consumer)
            },
            deadline,
        );
        match started {
            Some(Ok(consumer)) => {
                // One reader thread per consumer keeps the queue's order (lapin's delegate
                // would hand each delivery to a task of its own, and those race).
                let spawned = crate::runtime::threads::spawn("mapi-amqp-consume", move || {
                    read_deliveries(consumer, tx)
                });
                if let Err(e) = spawned {
                    link.close();
                    return Err(format!("cannot start the AMQP reader thread: {e}"));
                }
                self.link = Some(link);
                self.deliveries = Some(rx);
                Ok(())
            }
            Some(Err(e)) => {
                link.close();
                Err(format!("cannot consume queue \"{}\": {e}", s.queue))
            }
            None => {
                link.close();
                Err(format!(
                    "no answer starting to consume queue \"{}\"",
                    s.queue
                ))
            }
        }
    }
}

/// Acknowledges every message up to `tag` on `channel`.
fn acknowledge(connection: &str, channel: &lapin::Channel, tag: u64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    match wait(
        channel.basic_ack(tag, BasicAckOptions { multiple: true }),
        deadline,
    ) {
        Some(Ok(())) => {}
        other => crate::log::warn(&format!(
            "connection {connection}: cannot acknowledge a batch ({}); the broker delivers it again",
            match other {
                Some(Err(e)) => e.to_string(),
                _ => "no answer".into(),
            }
        )),
    }
}

/// Hands the consumer's deliveries over in order until it ends (the connection closed, the
/// consumer was cancelled) or nobody listens any more.
fn read_deliveries(mut consumer: lapin::Consumer, tx: crossbeam_channel::Sender<Incoming>) {
    use futures_lite::StreamExt;
    futures_executor::block_on(async move {
        loop {
            let incoming = match consumer.next().await {
                Some(Ok(d)) => Incoming::Message(Box::new(d)),
                Some(Err(e)) => Incoming::Ended(e.to_string()),
                None => Incoming::Ended("the consumer was cancelled".into()),
            };
            let last = matches!(incoming, Incoming::Ended(_));
            if tx.send(incoming).is_err() || last {
                break;
            }
        }
    });
}

impl Endpoint for Instance {
    fn process(&mut self, call: &mut EndpointCall<'_>) -> Result<()> {
        let s = Settings::read(call.constructor())?;
        let conn = call.connection_id().to_string();
        if s.max == 0 {
            return Ok(());
        }
        let deadline = Instant::now() + s.timeout;
        // Connecting gets at least two seconds, however short the wait for messages.
        let connect_by = deadline.max(Instant::now() + Duration::from_secs(2));
        if let Err(e) = self.start(&s, connect_by) {
            self.outage.failed(&conn, &e);
            // Nothing to read: the submit completes empty once its time is up.
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            return Ok(());
        }
        self.outage.up();
        let Some(rx) = self.deliveries.clone() else {
            return Ok(());
        };
        let mut got = 0usize;
        let mut received = 0u64;
        let mut last_tag = None;
        let mut accepted = Vec::new();
        while got < s.max {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            // The whole timeout for a first message; then only while more keep coming.
            let wait_for = if got == 0 {
                deadline - now
            } else {
                (deadline - now).min(Duration::from_millis(100))
            };
            let d = match rx.recv_timeout(wait_for) {
                Ok(Incoming::Message(d)) => d,
                Ok(Incoming::Ended(why)) => {
                    self.outage
                        .failed(&conn, &format!("the consumer stopped: {why}"));
                    // Messages not acknowledged go back to the queue; the next submit
                    // reconnects and reads them (this batch keeps what it has: they are
                    // delivered again, at least once).
                    self.deliveries = None;
                    break;
                }
                Err(RecvTimeoutError::Timeout) => {
                    if got > 0 {
                        break;
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.deliveries = None;
                    break;
                }
            };
            got += 1;
            last_tag = Some(d.delivery_tag);
            received += d.data.len() as u64;
            let amqp = [
                Value::string(d.exchange.as_str()),
                Value::string(d.routing_key.as_str()),
            ];
            let mut record = Record::new(self.layout.clone());
            let n = self.layout.len();
            let parsed = match self.format {
                Format::Raw => {
                    let (text, _) = crate::dead_letter::payload_fields(&d.data);
                    record.set_at_unchecked(0, text);
                    Ok(())
                }
                Format::Json => {
                    crate::json::read_object(&String::from_utf8_lossy(&d.data), &mut record)
                }
            };
            if let Err(e) = parsed {
                let rejected = crate::plugins::unparsed_message(&d.data, &amqp_fields(), amqp)
                    // (Only a payload over 4 GiB fails here; the reason still says what it was.)
                    .unwrap_or_else(|_| Record::open());
                call.reject(
                    rejected,
                    format!(
                        "connection {conn}: a message of queue {} is not valid JSON for the schema: {}",
                        s.queue,
                        e.message()
                    ),
                );
                continue;
            }
            for (k, v) in amqp.into_iter().enumerate() {
                record.set_at_unchecked(n - 2 + k, v);
            }
            if !call.passes(&self.filter, &record) {
                continue;
            }
            accepted.push(record);
        }
        call.stats().add_bytes_received(received);
        call.extend(accepted);
        // Acknowledged with the response once the program released it: the whole batch at
        // once (returned, rejected or filtered out), on the channel it came on (a tag means
        // nothing on another). A channel closed meanwhile gives the batch back to the queue.
        if let (Some(tag), Some(link), true) = (last_tag, &self.link, self.deliveries.is_some()) {
            let channel = link.channel.clone();
            let connection = conn.clone();
            call.commit_later(move || acknowledge(&connection, &channel, tag));
        }
        Ok(())
    }
}
