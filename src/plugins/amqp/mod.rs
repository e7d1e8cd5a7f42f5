//! AMQP 0-9-1 endpoints (RabbitMQ): `amqp-publisher` and `amqp-consumer`, on lapin driven from
//! the library's own threads. lapin's I/O runs on its reactor and executor threads
//! (async-global-executor); an endpoint call blocks its worker thread on the futures it needs,
//! each with a deadline, so no async runtime is asked of the host program.
//!
//! Shared here: the URL (constructor `url`, else `MAPI_AMQP_URL`, else the local guest
//! account), always with a `frame_max` (a server announcing 0 would otherwise make the client
//! size frames from it), the connect and the wait with a deadline, the password kept out of
//! every message, and one warning per outage.

pub mod consumer;
pub mod publisher;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use lapin::uri::AMQPUri;
use lapin::{Channel, Connection, ConnectionProperties};
use serde_json::{Map, Value as Json};

pub(crate) use super::int_or;

use crate::error::{Error, Result};
use crate::record::FieldDef;
use crate::value::FieldType;

/// The URL when neither the constructor nor the environment gives one.
pub const DEFAULT_URL: &str = "amqp://guest:guest@localhost:5672/%2f";

/// The frame size asked for when the URL does not say (RabbitMQ's default).
const FRAME_MAX: u32 = 131_072;

/// The constructor's `url`, else `MAPI_AMQP_URL`, else [`DEFAULT_URL`].
pub(crate) fn url_of(c: &Map<String, Json>) -> Result<String> {
    match c.get("url") {
        Some(Json::String(u)) if !u.is_empty() => Ok(u.clone()),
        None | Some(Json::Null) => Ok(std::env::var("MAPI_AMQP_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| DEFAULT_URL.to_string())),
        Some(other) => Err(Error::Manifest(format!(
            "constructor.url: expected an amqp:// or amqps:// URL, found {other}"
        ))),
    }
}

/// The URL as messages show it: see [`crate::log::masked_url`].
pub(crate) fn shown(url: &str) -> String {
    crate::log::masked_url(url)
}

/// The parsed URL with a `frame_max` (unless it names one) and a connection timeout.
pub(crate) fn uri(url: &str, timeout: Duration) -> Result<AMQPUri> {
    let mut uri: AMQPUri = url.parse().map_err(|e| {
        Error::Manifest(format!(
            "constructor.url: {} is not an AMQP URL: {e}",
            shown(url)
        ))
    })?;
    if uri.query.frame_max.is_none_or(|f| f == 0) {
        uri.query.frame_max = Some(FRAME_MAX);
    }
    if uri.query.connection_timeout.is_none() {
        uri.query.connection_timeout = Some(timeout.as_millis().max(1) as u64);
    }
    Ok(uri)
}

/// Starts lapin's executor (async-global-executor) and reactor (async-io) once, with one
/// executor thread rather than one per core, from a mask with the asynchronous signals blocked
/// (their threads inherit it).
fn start_executor() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        crate::runtime::threads::with_signals_blocked(|| {
            async_global_executor::init_with_config(
                async_global_executor::GlobalExecutorConfig::default()
                    .with_min_threads(1)
                    .with_max_threads(2)
                    .with_thread_name_fn(|| "mapi-amqp-executor".to_string()),
            );
            // The reactor's driver thread starts with the first timer.
            drop(async_io::Timer::after(Duration::from_millis(0)));
            futures_executor::block_on(async_io::Timer::after(Duration::from_millis(0)));
        });
    });
}

/// Runs `f` to completion on this thread, or gives up at `deadline`.
pub(crate) fn wait<F: Future>(f: F, deadline: Instant) -> Option<F::Output> {
    let timer = async move {
        async_io::Timer::at(deadline).await;
        None
    };
    futures_executor::block_on(futures_lite::future::or(async { Some(f.await) }, timer))
}

/// An open connection and its channel.
pub(crate) struct Link {
    pub(crate) connection: Connection,
    pub(crate) channel: Channel,
}

impl Link {
    /// Connects and opens a channel, within `deadline`. `tls_ca`: a PEM file of the CA(s) to
    /// trust for `amqps://` besides the system's.
    pub(crate) fn open(
        url: &str,
        name: &str,
        deadline: Instant,
        tls_ca: Option<&str>,
    ) -> std::result::Result<Link, String> {
        let timeout = deadline.saturating_duration_since(Instant::now());
        let uri = uri(url, timeout).map_err(|e| e.message().to_string())?;
        let props = ConnectionProperties::default()
            .with_connection_name(format!("messageapi {name}").into());
        let tls = lapin::tcp::OwnedTLSConfig {
            identity: None,
            cert_chain: match tls_ca {
                None => None,
                Some(path) => Some(
                    std::fs::read_to_string(path)
                        .map_err(|e| format!("cannot read tls-ca {path}: {e}"))?,
                ),
            },
        };
        start_executor();
        let runtime = lapin::runtime::default_runtime()
            .map_err(|e| format!("no executor for the AMQP client: {e}"))?;
        // lapin starts a thread per connection from here: it inherits a mask with the
        // asynchronous signals blocked.
        let opened = crate::runtime::threads::with_signals_blocked(|| {
            wait(
                async move {
                    let connection =
                        Connection::connect_uri_with_config(uri, props, tls, runtime).await?;
                    let channel = connection.create_channel().await?;
                    Ok::<_, lapin::Error>(Link {
                        connection,
                        channel,
                    })
                },
                deadline,
            )
        });
        match opened {
            Some(Ok(link)) => Ok(link),
            Some(Err(e)) => Err(format!("cannot connect to {}: {e}", shown(url))),
            None => Err(format!(
                "cannot connect to {}: no answer within {} ms",
                shown(url),
                timeout.as_millis()
            )),
        }
    }

    /// Whether the connection and channel are still usable.
    pub(crate) fn usable(&self) -> bool {
        self.connection.status().connected() && self.channel.status().connected()
    }

    /// Closes the channel and connection (best effort, within a second).
    pub(crate) fn close(self) {
        let deadline = Instant::now() + Duration::from_secs(1);
        let _ = wait(
            async move {
                let _ = self.channel.close(200, "bye".into()).await;
                let _ = self.connection.close(200, "bye".into()).await;
            },
            deadline,
        );
    }
}

/// One warning per outage: the first failure warns, later ones are logged at debug level until
/// the broker answers again.
#[derive(Default)]
pub(crate) struct Outage(AtomicBool);

impl Outage {
    pub(crate) fn failed(&self, connection: &str, what: &str) {
        let what = crate::log::redact(what).into_owned();
        if self.0.swap(true, Ordering::Relaxed) {
            crate::log::debug(&format!("connection {connection}: {what}"));
        } else {
            crate::log::warn(&format!(
                "connection {connection}: cannot use the AMQP broker ({what}); later submits reconnect"
            ));
        }
    }

    pub(crate) fn up(&self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

/// The fields AMQP records carry after their own.
pub(crate) fn amqp_fields() -> Vec<FieldDef> {
    vec![
        FieldDef::new("amqp-exchange", FieldType::String),
        FieldDef::new("amqp-routing-key", FieldType::String),
    ]
}

/// A milliseconds constructor value as a duration.
pub(crate) fn millis(c: &Map<String, Json>, key: &str, default: i64) -> Result<Duration> {
    Ok(Duration::from_millis(int_or(c, key, default)?.max(0) as u64))
}

/// The constructor's `tls-ca`: a PEM file of CA certificates trusted for `amqps://`.
pub(crate) fn tls_ca(c: &Map<String, Json>) -> Result<Option<String>> {
    match c.get("tls-ca") {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(p)) if !p.is_empty() => {
            let path = crate::paths::confine(std::path::Path::new(p), "constructor.tls-ca")?;
            Ok(Some(path.to_string_lossy().into_owned()))
        }
        Some(other) => Err(Error::Manifest(format!(
            "constructor.tls-ca: expected the path of a PEM file, found {other}"
        ))),
    }
}

/// A boolean constructor value (default when absent).
pub(crate) fn bool_or(c: &Map<String, Json>, key: &str, default: bool) -> Result<bool> {
    match c.get(key) {
        None | Some(Json::Null) => Ok(default),
        Some(Json::Bool(b)) => Ok(*b),
        Some(other) => Err(Error::Manifest(format!(
            "constructor.{key}: expected true or false, found {other}"
        ))),
    }
}

/// A string constructor value (default when absent).
pub(crate) fn string_or(c: &Map<String, Json>, key: &str, default: &str) -> Result<String> {
    match c.get(key) {
        None | Some(Json::Null) => Ok(default.to_string()),
        Some(Json::String(s)) => Ok(s.clone()),
        Some(other) => Err(Error::Manifest(format!(
            "constructor.{key}: expected a string, found {other}"
        ))),
    }
}

/// An exchange type name as lapin's.
pub(crate) fn exchange_kind(name: &str) -> Result<lapin::ExchangeKind> {
    use lapin::ExchangeKind as K;
    Ok(match name {
        "topic" => K::Topic,
        "direct" => K::Direct,
        "fanout" => K::Fanout,
        "headers" => K::Headers,
        other if !other.is_empty() => K::Custom(other.to_string()),
        _ => {
            return Err(Error::Manifest(
                "constructor.exchange-type: empty (use topic, direct, fanout or headers)".into(),
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_password() {
        assert_eq!(
            shown("amqp://ingest:s3cret@rabbit:5672/%2f"),
            "amqp://ingest:***@rabbit:5672/%2f"
        );
        assert_eq!(shown("amqp://localhost"), "amqp://localhost");
        assert_eq!(shown("amqps://u@h/v"), "amqps://u@h/v");
        // Whatever the password holds.
        for (url, masked) in [
            ("amqp://u:pa/ss@h:5672/%2f", "amqp://u:***@h:5672/%2f"),
            ("amqp://u:p@ss:w@h/v", "amqp://u:***@h/v"),
            ("amqp://u:a:b/c?d#e@h", "amqp://u:***@h"),
            ("amqps://u:p%2Fq%40r@h/v", "amqps://u:***@h/v"),
        ] {
            assert_eq!(shown(url), masked, "{url}");
        }
        assert_eq!(
            crate::log::redact("auth pa/ss and p/q@r refused"),
            "auth [redacted] and [redacted] refused"
        );
        assert_eq!(
            crate::log::redact("auth s3cret refused"),
            "auth [redacted] refused"
        );
    }

    #[test]
    fn frame_max_is_always_set() {
        let u = uri("amqp://h/%2f", Duration::from_secs(2)).unwrap();
        assert_eq!(u.query.frame_max, Some(FRAME_MAX));
        assert_eq!(u.query.connection_timeout, Some(2000));
        let u = uri("amqp://h/%2f?frame_max=0", Duration::from_secs(2)).unwrap();
        assert_eq!(u.query.frame_max, Some(FRAME_MAX));
        let u = uri("amqp://h/%2f?frame_max=8192", Duration::from_secs(2)).unwrap();
        assert_eq!(u.query.frame_max, Some(8192));
    }
}
