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

/// librdkafka settings: bootstrap default, then `defaults`, then every dotted constructor key.
pub(crate) fn client_config(
    constructor: &Map<String, Json>,
    defaults: &[(&str, &str)],
) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", default_bootstrap());
    for (k, v) in defaults {
        c.set(*k, *v);
    }
    for (k, v) in constructor {
        if k.contains('.') {
            c.set(k, config_text(v));
        }
    }
    c
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
    /// What went wrong with the broker connection last (unreachable, TLS handshake,
    /// authentication), until the broker answers again: failure reasons quote it.
    problem: std::sync::Mutex<Option<String>>,
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
            problem: std::sync::Mutex::new(None),
        }
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

impl rdkafka::consumer::ConsumerContext for KafkaContext {}

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

/// An integer constructor value (default when absent).
pub(crate) fn int_or(c: &Map<String, Json>, key: &str, default: i64) -> Result<i64> {
    match c.get(key) {
        None | Some(Json::Null) => Ok(default),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| {
                Error::Manifest(format!("constructor.{key}: expected an integer, found {v}"))
            }),
    }
}

/// Blocks on a future (the admin client's).
pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures_executor::block_on(f)
}
