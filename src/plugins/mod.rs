//! The built-in plug-ins, one concept per file: endpoints (`evaluation`, `file-reader`,
//! `file-writer`, `kafka-producer`, `kafka-consumer`, `amqp-publisher`, `amqp-consumer`),
//! transformations (`join`, `reduce`), the
//! `native` endpoint, transformation and condition (dlopen), the C callback adapters, and
//! plug-ins made of Rust functions. They register through the same calls as host plug-ins.

#[cfg(feature = "amqp")]
pub mod amqp;
pub mod evaluation;
pub mod file_reader;
pub mod file_writer;
pub mod function;
pub mod join;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod native;

use std::sync::{Arc, Once};

use crate::error::{Error, Result};

use crate::registry::{
    register_condition_with, register_endpoint_with, register_transformation_with, Replace,
};

/// Registers every built-in under its short name, once per process (the manifest loader calls
/// it when the first session opens). A host plugin registered earlier under the same name
/// keeps it; one registered later replaces the built-in, as any registration does.
pub fn register_builtins() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let endpoints = builtin_endpoint_table();
        // Names are non-empty and the lock is only poisoned by a panic inside the registry,
        // which cannot happen before the first session opens; nothing to report.
        for (name, factory) in endpoints {
            let _ = register_endpoint_with(name, factory, Replace::No);
        }
        let _ = register_transformation_with("join", Arc::new(join::JoinFactory), Replace::No);
        let _ = register_transformation_with("reduce", Arc::new(join::ReduceFactory), Replace::No);
        let _ = register_transformation_with(
            "native",
            Arc::new(native::dlopen::NativeTransformation),
            Replace::No,
        );
        let _ = register_condition_with(
            "native",
            Arc::new(native::dlopen::NativeCondition),
            Replace::No,
        );
    });
}

/// The built-in endpoints, by short name (as built: `kafka` and `amqp` are features).
fn builtin_endpoint_table() -> Vec<(&'static str, Arc<dyn crate::protocol::EndpointFactory>)> {
    vec![
        ("evaluation", Arc::new(evaluation::EvaluationFactory)),
        ("file-reader", Arc::new(file_reader::FileReaderFactory)),
        ("file-writer", Arc::new(file_writer::FileWriterFactory)),
        #[cfg(feature = "kafka")]
        (
            "kafka-producer",
            Arc::new(kafka::producer::KafkaProducerFactory),
        ),
        #[cfg(feature = "kafka")]
        (
            "kafka-consumer",
            Arc::new(kafka::consumer::KafkaConsumerFactory),
        ),
        #[cfg(feature = "amqp")]
        (
            "amqp-publisher",
            Arc::new(amqp::publisher::AmqpPublisherFactory),
        ),
        #[cfg(feature = "amqp")]
        (
            "amqp-consumer",
            Arc::new(amqp::consumer::AmqpConsumerFactory),
        ),
        ("native", Arc::new(native::dlopen::NativeEndpoint)),
    ]
}

/// The short names of the built-in endpoint plug-ins this build has, in the order the docs
/// list them.
///
/// ```
/// assert!(messageapi::builtin_endpoints().contains(&"file-writer"));
/// ```
pub fn builtin_endpoints() -> Vec<&'static str> {
    builtin_endpoint_table()
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// The answer of built-in endpoints that read their whole constructor when the session opens:
/// a runtime parameter would not change what they do, so it is refused rather than ignored.
pub(crate) fn fixed_at_open(endpoint: &str) -> Result<()> {
    Err(Error::InvalidArgument(format!(
        "the {endpoint} endpoint reads its constructor when the session opens; runtime parameters do not change it"
    )))
}

#[cfg(any(feature = "kafka", feature = "amqp"))]
/// A sink's `value-field`: one field or a list; the message is the first of them that is not
/// null (as [`crate::value::Value::message_text`] renders it), else the whole record as JSON.
pub(crate) fn value_fields(c: &serde_json::Map<String, serde_json::Value>) -> Result<Vec<String>> {
    use serde_json::Value as Json;
    match c.get("value-field") {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(Json::String(f)) if !f.is_empty() => Ok(vec![f.clone()]),
        Some(Json::Array(a)) if a.iter().all(|f| f.as_str().is_some_and(|f| !f.is_empty())) => {
            Ok(a.iter()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect())
        }
        Some(other) => Err(Error::Manifest(format!(
            "constructor.value-field: expected a field or a list of fields, found {other}"
        ))),
    }
}

#[cfg(any(feature = "kafka", feature = "amqp"))]
/// The message of `record` as a sink with `value_fields` sends it (see [`value_fields`]).
pub(crate) fn write_message(
    record: &crate::record::Record,
    value_fields: &[String],
    writer: &mut crate::json::RecordWriter,
    out: &mut Vec<u8>,
) {
    let value = value_fields.iter().find_map(|f| {
        record
            .get(f)
            .ok()
            .and_then(crate::value::Value::message_text)
    });
    match value {
        Some(v) => out.extend_from_slice(v.as_bytes()),
        None => writer.write(record, out),
    }
}

/// An integer constructor value (default when absent; a numeric string is taken too).
pub(crate) fn int_or(
    c: &serde_json::Map<String, serde_json::Value>,
    key: &str,
    default: i64,
) -> Result<i64> {
    match c.get(key) {
        None | Some(serde_json::Value::Null) => Ok(default),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| {
                Error::Manifest(format!("constructor.{key}: expected an integer, found {v}"))
            }),
    }
}

/// How a consumer turns a message into a record: the schema's fields from the JSON body
/// (`"format": "json"`, the default), or the body as text (`"raw"`).
#[cfg(any(feature = "kafka", feature = "amqp"))]
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum MessageFormat {
    Json,
    Raw,
}

#[cfg(any(feature = "kafka", feature = "amqp"))]
impl MessageFormat {
    /// The constructor's `format`.
    pub(crate) fn of(c: &serde_json::Map<String, serde_json::Value>) -> Result<MessageFormat> {
        match c.get("format").and_then(serde_json::Value::as_str) {
            None | Some("json") => Ok(MessageFormat::Json),
            Some("raw") => Ok(MessageFormat::Raw),
            Some(other) => Err(Error::Manifest(format!(
                "constructor.format: \"{other}\" (use \"json\" or \"raw\")"
            ))),
        }
    }
}

/// What a consumer (Kafka or AMQP) returns, read from its constructor at open: the message
/// format, the fields of its records (the schema's for JSON messages, `raw` for raw ones, then
/// the broker's own `broker_fields`) and its `filter`.
#[cfg(any(feature = "kafka", feature = "amqp"))]
pub(crate) struct ConsumerShape {
    pub(crate) format: MessageFormat,
    pub(crate) layout: Arc<crate::record::Layout>,
    pub(crate) filter: Vec<usize>,
}

#[cfg(any(feature = "kafka", feature = "amqp"))]
impl ConsumerShape {
    pub(crate) fn of(
        ctx: &crate::schema::PluginContext<'_>,
        endpoint: &str,
        raw: Vec<crate::record::FieldDef>,
        broker_fields: Vec<crate::record::FieldDef>,
    ) -> Result<ConsumerShape> {
        let c = ctx.constructor;
        let format = MessageFormat::of(c)?;
        let schema = ctx
            .schema
            .ok_or_else(|| Error::Manifest(format!("{endpoint} needs a schema")))?;
        let mut fields = match format {
            MessageFormat::Json => schema.layout.fields().to_vec(),
            MessageFormat::Raw => raw,
        };
        fields.extend(broker_fields);
        Ok(ConsumerShape {
            format,
            layout: crate::record::Layout::new(fields),
            filter: condition_filter(c, schema)?,
        })
    }
}

/// A consumer's `filter`: the schema conditions (ids, one or a list) a record must pass.
#[cfg(any(feature = "kafka", feature = "amqp"))]
pub(crate) fn condition_filter(
    c: &serde_json::Map<String, serde_json::Value>,
    schema: &crate::schema::Schema,
) -> Result<Vec<usize>> {
    use serde_json::Value as Json;
    let Some(f) = c.get("filter") else {
        return Ok(Vec::new());
    };
    let ids: Vec<&str> = match f {
        Json::String(s) => vec![s.as_str()],
        Json::Array(a) => a.iter().filter_map(Json::as_str).collect(),
        _ => {
            return Err(Error::Manifest(
                "constructor.filter: expected a list of condition ids".into(),
            ))
        }
    };
    ids.into_iter()
        .map(|id| {
            schema.conditions.position(id).ok_or_else(|| {
                Error::UnknownCondition(format!("constructor.filter: unknown condition \"{id}\""))
            })
        })
        .collect()
}

/// A consumed message whose body did not fit the schema, as the rejection that holds it:
/// `payload` (its text), `payload-base64` when it is not UTF-8, and the message's coordinates
/// (the consumer's own fields, `fields` with their `values`), which dead letters keep.
#[cfg(any(feature = "kafka", feature = "amqp"))]
pub(crate) fn unparsed_message(
    payload: &[u8],
    fields: &[crate::record::FieldDef],
    values: impl IntoIterator<Item = crate::value::Value>,
) -> Result<crate::record::Record> {
    let mut rejected = crate::record::Record::open();
    let (text, base64) = crate::dead_letter::payload_fields(payload);
    rejected.set("payload", text)?;
    if let Some(b) = base64 {
        rejected.set("payload-base64", b)?;
    }
    for (f, v) in fields.iter().zip(values) {
        rejected.set(&f.id, v)?;
    }
    Ok(rejected)
}

/// What a checked session (`OpenOptions::check_only`) has in place of a native library it did
/// not load, or a plug-in whose constructor could not be checked without the secrets it
/// references: it runs nothing (a checked session's submits never reach it).
pub(crate) struct Unchecked;

pub(crate) fn unchecked() -> Error {
    Error::Endpoint(
        "the session was only checked: its plug-ins were not prepared nor native libraries loaded"
            .into(),
    )
}

impl crate::protocol::PreparedEndpoint for Unchecked {
    fn instantiate(&self) -> Result<Box<dyn crate::protocol::Endpoint>> {
        Err(unchecked())
    }
}

impl crate::container::Transformation for Unchecked {
    fn run(&self, _call: &mut crate::container::TransformCall<'_>) -> Result<()> {
        Err(unchecked())
    }
}

impl crate::schema::ConditionPlugin for Unchecked {
    fn check(
        &self,
        _record: &crate::record::Record,
        _field: &str,
        _value: &crate::value::Value,
    ) -> std::result::Result<bool, String> {
        Err(unchecked().to_string())
    }
}
