//! Dead letters: every rejected record of a submit, with its reasons, stage and connection,
//! handed to the session's dead-letter connection (the manifest's `dead-letters`) before the
//! response completes.
//!
//! A dead letter is a record with the fields `record` (the rejected record as a JSON object;
//! null for a Kafka payload that did not parse), `reasons` (string list), `stage` (`required`,
//! `condition`, `endpoint`, `internal`), `connection` (null for validation stages), `time`
//! (UTC, when it was dead-lettered), and, when the rejected record came from a Kafka consumer,
//! `source-topic`, `source-partition`, `source-offset` (from an AMQP consumer:
//! `source-exchange`, `source-routing-key`); a payload that did not parse adds
//! `raw` (its text, or base64 with `raw-encoding` `"base64"` when it is not UTF-8). A file-writer
//! writes each as one JSON object per line; a kafka-producer sends it Kafka Connect's way (see
//! [`kafka_defaults`]).

use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use serde_json::{Map, Value as Json};

use crate::record::{FieldDef, Layout, Record, Rejection};
use crate::value::{FieldType, Value};

/// Kafka Connect's dead-letter headers (`errors.deadletterqueue.context.headers.enable`) and
/// ours, each with the dead-letter field it carries; the message value is the rejected record's
/// JSON (`record`), or the raw payload (`raw`) for a message that did not parse.
pub const KAFKA_HEADERS: [(&str, &str); 8] = [
    ("__connect.errors.topic", "source-topic"),
    ("__connect.errors.partition", "source-partition"),
    ("__connect.errors.offset", "source-offset"),
    ("__connect.errors.connector.name", "connection"),
    ("__connect.errors.stage", "stage"),
    ("__connect.errors.exception.message", "reasons"),
    ("__messageapi.errors.time", "time"),
    ("__messageapi.errors.raw.encoding", "raw-encoding"),
];

/// Sets what a `kafka-producer` dead-letter connection sends, unless its constructor does:
/// `value-field` (the first non-null of `record`, `raw`) and `header-fields` (the Connect-style
/// names of [`KAFKA_HEADERS`]).
pub fn kafka_defaults(c: &mut Map<String, Json>) {
    c.entry("value-field")
        .or_insert_with(|| Json::from(vec!["record", "raw"]));
    c.entry("header-fields").or_insert_with(|| {
        Json::Object(
            KAFKA_HEADERS
                .iter()
                .map(|(h, f)| (h.to_string(), Json::String(f.to_string())))
                .collect(),
        )
    });
}

struct Layouts {
    plain: Arc<Layout>,
    kafka: Arc<Layout>,
    raw: Arc<Layout>,
    amqp: Arc<Layout>,
    amqp_raw: Arc<Layout>,
}

fn layouts() -> &'static Layouts {
    static L: OnceLock<Layouts> = OnceLock::new();
    L.get_or_init(|| {
        let mut f = vec![
            FieldDef::new("record", FieldType::Json),
            FieldDef::new("reasons", FieldType::ListString),
            FieldDef::new("stage", FieldType::String),
            FieldDef::new("connection", FieldType::String),
            FieldDef::new("time", FieldType::DateTime),
        ];
        let plain = Layout::new(f.clone());
        f.extend([
            FieldDef::new("source-topic", FieldType::String),
            FieldDef::new("source-partition", FieldType::Integer),
            FieldDef::new("source-offset", FieldType::Integer),
        ]);
        let kafka = Layout::new(f.clone());
        let raw_fields = [
            FieldDef::new("raw", FieldType::String),
            FieldDef::new("raw-encoding", FieldType::String),
        ];
        f.extend(raw_fields.clone());
        let mut a = f[..5].to_vec();
        a.extend([
            FieldDef::new("source-exchange", FieldType::String),
            FieldDef::new("source-routing-key", FieldType::String),
        ]);
        let amqp = Layout::new(a.clone());
        a.extend(raw_fields);
        Layouts {
            plain,
            kafka,
            raw: Layout::new(f),
            amqp,
            amqp_raw: Layout::new(a),
        }
    })
}

/// A field of `r`, if it has one and it is not null.
fn field<'r>(r: &'r Record, name: &str) -> Option<&'r Value> {
    r.get(name).ok().filter(|v| !v.is_null())
}

/// The dead letter of `rejection`, dead-lettered at `time`.
pub fn record_of(rejection: &Rejection, time: &Value) -> Record {
    let r = &rejection.record;
    let kafka = match (
        field(r, "kafka-topic"),
        field(r, "kafka-partition"),
        field(r, "kafka-offset"),
    ) {
        (Some(t), Some(p), Some(o)) => Some(vec![t.clone(), p.clone(), o.clone()]),
        _ => None,
    };
    let amqp = match (field(r, "amqp-exchange"), field(r, "amqp-routing-key")) {
        (Some(e), Some(k)) if kafka.is_none() => Some(vec![e.clone(), k.clone()]),
        _ => None,
    };
    let is_amqp = amqp.is_some();
    let source = kafka.or(amqp);
    // A Kafka consumer's message that did not parse: its payload, not a record.
    let raw = source.as_ref().and(
        field(r, "payload-base64")
            .map(|v| (v.clone(), Value::string("base64")))
            .or_else(|| field(r, "payload").map(|v| (v.clone(), Value::Null))),
    );
    let layout = match (&source, &raw, is_amqp) {
        (_, Some(_), false) => &layouts().raw,
        (_, Some(_), true) => &layouts().amqp_raw,
        (Some(_), None, false) => &layouts().kafka,
        (Some(_), None, true) => &layouts().amqp,
        _ => &layouts().plain,
    };
    let mut d = Record::new(layout.clone());
    let record = if raw.is_some() {
        Value::Null
    } else {
        Value::Json(Arc::new(r.to_json()))
    };
    let reasons: Vec<Arc<str>> = rejection
        .reasons
        .iter()
        .map(|s| s.as_str().into())
        .collect();
    let mut values = vec![
        record,
        Value::StringList(reasons.into()),
        Value::string(rejection.stage.as_str()),
        rejection
            .connection
            .as_deref()
            .map_or(Value::Null, Value::string),
        time.clone(),
    ];
    if let Some(s) = source {
        values.extend(s);
    }
    if let Some((text, encoding)) = raw {
        values.extend([text, encoding]);
    }
    for (i, v) in values.into_iter().enumerate() {
        d.set_at_unchecked(i, v);
    }
    d
}

/// The payload of a Kafka message as the fields a consumer's rejection carries: `payload` (its
/// text), and `payload-base64` when it is not UTF-8 (then `payload` is a lossy rendering).
#[cfg_attr(not(any(feature = "kafka", feature = "amqp")), allow(dead_code))]
pub fn payload_fields(payload: &[u8]) -> (Value, Option<Value>) {
    match std::str::from_utf8(payload) {
        Ok(t) => (Value::string(t), None),
        Err(_) => (
            Value::string(&String::from_utf8_lossy(payload)),
            Some(Value::string(
                &base64::engine::general_purpose::STANDARD.encode(payload),
            )),
        ),
    }
}
