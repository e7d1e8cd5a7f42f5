//! `amqp-publisher`: publishes each routed record as a JSON message to `exchange` (declared, of
//! `exchange-type`, unless `declare` is false) with `routing-key` or the record's
//! `routing-key-field`; the message is the record's JSON, or the first non-null of the
//! `value-field` fields (a JSON field as its JSON, a string as it is); persistent, `mandatory`
//! by default (an unroutable message comes back
//! rather than vanishing). The submit waits for the broker's publisher confirms (until
//! `timeout-ms`): confirmed records come back with `amqp-exchange` and `amqp-routing-key`;
//! nacked, returned and unconfirmed ones are rejections naming the connection and why.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::FieldTable;
use lapin::BasicProperties;
use serde_json::{Map, Value as Json};

use super::{amqp_fields, bool_or, exchange_kind, millis, string_or, url_of, wait, Link, Outage};
use crate::error::{Error, Result};
use crate::protocol::{Endpoint, EndpointCall, EndpointFactory, PreparedEndpoint};
use crate::record::{DerivedLayouts, Record};
use crate::schema::PluginContext;
use crate::value::Value;

pub struct AmqpPublisherFactory;

/// A submit's settings: the constructor with the request's runtime parameters applied.
struct Settings {
    url: String,
    tls_ca: Option<String>,
    exchange: String,
    exchange_type: String,
    routing_key: String,
    routing_key_field: Option<String>,
    declare: bool,
    mandatory: bool,
    persistent: bool,
    timeout: Duration,
    /// The message is the first non-null of these fields (else the whole record).
    value_fields: Vec<String>,
}

impl Settings {
    fn read(c: &Map<String, Json>) -> Result<Settings> {
        let exchange = string_or(c, "exchange", "")?;
        let exchange_type = string_or(c, "exchange-type", "topic")?;
        exchange_kind(&exchange_type)?;
        let routing_key_field = match c.get("routing-key-field") {
            None | Some(Json::Null) => None,
            Some(Json::String(f)) if !f.is_empty() => Some(f.clone()),
            Some(other) => {
                return Err(Error::Manifest(format!(
                    "constructor.routing-key-field: expected a field name, found {other}"
                )))
            }
        };
        Ok(Settings {
            url: url_of(c)?,
            tls_ca: super::tls_ca(c)?,
            declare: bool_or(c, "declare", !exchange.is_empty())?,
            exchange,
            exchange_type,
            routing_key: string_or(c, "routing-key", "")?,
            routing_key_field,
            mandatory: bool_or(c, "mandatory", true)?,
            persistent: bool_or(c, "persistent", true)?,
            timeout: millis(c, "timeout-ms", 30_000)?,
            value_fields: crate::plugins::value_fields(c)?,
        })
    }

    fn routing_key<'r>(&'r self, record: &'r Record) -> &'r str {
        if let Some(f) = &self.routing_key_field {
            if let Ok(Value::String(k)) = record.get(f) {
                return k;
            }
        }
        &self.routing_key
    }
}

struct Prepared {
    connection: String,
}

impl EndpointFactory for AmqpPublisherFactory {
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn PreparedEndpoint>> {
        let s = Settings::read(ctx.constructor)?;
        super::uri(&s.url, s.timeout)?;
        Ok(Arc::new(Prepared {
            connection: ctx.id.to_string(),
        }))
    }
}

impl PreparedEndpoint for Prepared {
    fn check_parameter(&self, _key: &str, constructor: &Map<String, Json>) -> Result<()> {
        let s = Settings::read(constructor)?;
        super::uri(&s.url, s.timeout).map(|_| ())
    }
    fn applies_fields(&self) -> bool {
        true
    }
    fn appended_fields(&self) -> usize {
        amqp_fields().len()
    }
    fn survives_fork(&self) -> bool {
        false
    }
    fn instantiate(&self) -> Result<Box<dyn Endpoint>> {
        Ok(Box::new(Instance {
            connection: self.connection.clone(),
            link: None,
            declared: HashSet::new(),
            outage: Outage::default(),
            origin: crate::runtime::fork::Origin::here(),
        }))
    }
}

struct Instance {
    connection: String,
    /// The connection and its channel (confirms on), made on the first submit and again after
    /// it broke.
    link: Option<Link>,
    /// Exchanges declared on this link.
    declared: HashSet<String>,
    outage: Outage,
    /// The process the link was made in (its threads are there).
    origin: crate::runtime::fork::Origin,
}

impl Drop for Instance {
    fn drop(&mut self) {
        if self.origin.is_elsewhere() {
            // A child after fork(): the link's threads are the parent's; never wait for them.
            std::mem::forget(self.link.take());
            return;
        }
        if let Some(link) = self.link.take() {
            link.close();
        }
    }
}

impl Instance {
    /// The link, opened (confirms selected) if there is none or it broke.
    fn link(&mut self, s: &Settings, deadline: Instant) -> std::result::Result<&Link, String> {
        if self.link.as_ref().is_some_and(|l| !l.usable()) {
            if let Some(old) = self.link.take() {
                old.close();
            }
            self.declared.clear();
        }
        if self.link.is_none() {
            let link = Link::open(&s.url, &self.connection, deadline, s.tls_ca.as_deref())?;
            match wait(
                link.channel.confirm_select(ConfirmSelectOptions::default()),
                deadline,
            ) {
                Some(Ok(())) => {}
                Some(Err(e)) => return Err(format!("cannot turn publisher confirms on: {e}")),
                None => return Err("no answer to confirm.select in time".into()),
            }
            self.link = Some(link);
        }
        self.link
            .as_ref()
            .ok_or_else(|| "no connection".to_string())
    }
}

impl Endpoint for Instance {
    fn process(&mut self, call: &mut EndpointCall<'_>) -> Result<()> {
        let conn = call.connection_id().to_string();
        let s = Settings::read(call.constructor())?;
        let fields = call.fields().to_vec();
        let mut records = call.listed_records()?;
        if records.is_empty() {
            return Ok(());
        }
        // Routing keys (and `value-field`) are read from the records as routed; the message is
        // the record narrowed to `fields`, and the record returned is that, with the AMQP
        // fields appended.
        let keys: Vec<String> = records
            .iter()
            .map(|r| s.routing_key(r).to_string())
            .collect();
        let source: Option<Vec<Record>> =
            (!fields.is_empty() && !s.value_fields.is_empty()).then(|| records.to_vec());
        if !fields.is_empty() {
            let mut narrowed = DerivedLayouts::default();
            for r in records.iter_mut() {
                let target = narrowed.of(r.layout(), |l| l.narrowed(&fields));
                *r = r.project(&target);
            }
        }
        let deadline = Instant::now() + s.timeout;
        let link = match self.link(&s, deadline) {
            Ok(l) => l,
            Err(e) => {
                self.outage.failed(&conn, &e);
                let reason = format!("connection {conn}: {e}");
                for r in records.release() {
                    call.reject(r, reason.clone());
                }
                return Ok(());
            }
        };
        let channel = link.channel.clone();
        if s.declare && !self.declared.contains(&s.exchange) {
            let declared = wait(
                channel.exchange_declare(
                    s.exchange.as_str().into(),
                    exchange_kind(&s.exchange_type)?,
                    ExchangeDeclareOptions {
                        durable: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                ),
                deadline,
            );
            let failure = match declared {
                Some(Ok(())) => None,
                Some(Err(e)) => Some(format!(
                    "cannot declare exchange \"{}\" ({}): {e}",
                    s.exchange, s.exchange_type
                )),
                None => Some(format!("no answer declaring exchange \"{}\"", s.exchange)),
            };
            if let Some(e) = failure {
                // A refused declaration closes the channel: the next submit opens a new one.
                self.outage.failed(&conn, &e);
                let reason = format!("connection {conn}: {e}");
                for r in records.release() {
                    call.reject(r, reason.clone());
                }
                return Ok(());
            }
            self.declared.insert(s.exchange.clone());
        }
        // Publish every message, then wait for every confirm, in one pass on this thread.
        let n = records.len();
        let outcome: RefCell<Vec<Option<std::result::Result<(), String>>>> =
            RefCell::new(vec![None; n]);
        let properties = {
            let p = BasicProperties::default().with_content_type("application/json".into());
            if s.persistent {
                p.with_delivery_mode(2)
            } else {
                p
            }
        };
        let options = BasicPublishOptions {
            mandatory: s.mandatory,
            ..Default::default()
        };
        let mut writer = crate::json::RecordWriter::default();
        let mut payload = Vec::with_capacity(256);
        let mut sent_bytes = 0u64;
        let published = wait(
            async {
                let mut confirms = Vec::with_capacity(n);
                for (i, record) in records.iter().enumerate() {
                    payload.clear();
                    if s.value_fields.is_empty() {
                        writer.write(record, &mut payload);
                    } else {
                        let meta = source.as_ref().map_or(record, |src| &src[i]);
                        crate::plugins::write_message(
                            meta,
                            &s.value_fields,
                            &mut writer,
                            &mut payload,
                        );
                    }
                    sent_bytes += payload.len() as u64;
                    match channel
                        .basic_publish(
                            s.exchange.as_str().into(),
                            keys[i].as_str().into(),
                            options,
                            &payload,
                            properties.clone(),
                        )
                        .await
                    {
                        Ok(c) => confirms.push((i, c)),
                        Err(e) => {
                            outcome.borrow_mut()[i] = Some(Err(format!("not published: {e}")))
                        }
                    }
                }
                for (i, c) in confirms {
                    let result = match c.await {
                        Ok(lapin::Confirmation::Ack(None)) => Ok(()),
                        Ok(lapin::Confirmation::Ack(Some(returned))) => Err(format!(
                            "returned by the broker: {} {} (exchange \"{}\", routing key \"{}\")",
                            returned.reply_code, returned.reply_text, s.exchange, keys[i]
                        )),
                        Ok(lapin::Confirmation::Nack(_)) => {
                            Err("refused by the broker (nack)".to_string())
                        }
                        Ok(lapin::Confirmation::NotRequested) => Ok(()),
                        Err(e) => Err(format!("not confirmed: {e}")),
                    };
                    outcome.borrow_mut()[i] = Some(result);
                }
            },
            deadline,
        );
        call.stats().add_bytes_sent(sent_bytes);
        let outcome = outcome.into_inner();
        let unconfirmed = published.is_none();
        let mut failed = false;
        let extra = amqp_fields();
        let mut extended = DerivedLayouts::default();
        let exchange = Value::string(&s.exchange);
        let mut delivered = Vec::with_capacity(n);
        for (i, (mut record, result)) in records.release().into_iter().zip(outcome).enumerate() {
            match result {
                Some(Ok(())) => {
                    let layout = extended.of(record.layout(), |l| l.extended(&extra));
                    record.extend_layout(layout, [exchange.clone(), Value::string(&keys[i])]);
                    delivered.push(record);
                }
                Some(Err(e)) => {
                    failed |= e.starts_with("not ");
                    call.reject(record, format!("connection {conn}: {e}"));
                }
                None => {
                    failed = true;
                    call.reject(
                        record,
                        format!(
                            "connection {conn}: not confirmed by the broker within {} ms",
                            s.timeout.as_millis()
                        ),
                    );
                }
            }
        }
        call.extend(delivered);
        if unconfirmed || failed {
            if let Some(link) = &self.link {
                if !link.usable() || unconfirmed {
                    self.outage
                        .failed(&conn, "the connection broke or stopped answering");
                    if let Some(old) = self.link.take() {
                        old.close();
                    }
                    self.declared.clear();
                }
            }
        } else {
            self.outage.up();
        }
        Ok(())
    }
}
