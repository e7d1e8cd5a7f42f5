//! Sessions: opened from a manifest, immutable, shared by any number of threads.

use std::path::Path;
use std::sync::Arc;

use crate::error::Result;
use crate::manifest::{self, OpenOptions};
use crate::record::{FieldDef, Record};
use crate::request::Request;
use crate::session_core::new_record;
use crate::session_core::SessionCore;

/// One connection of a session, as the manifest defined it (secret references resolved).
#[derive(Debug, Clone, Copy)]
pub struct Connection<'a> {
    /// The connection's id.
    pub id: &'a str,
    /// The endpoint plug-in, as the manifest names it.
    pub endpoint: &'a str,
    /// The constructor.
    pub constructor: &'a serde_json::Map<String, serde_json::Value>,
    /// Whether this is the session's dead-letter connection.
    pub dead_letters: bool,
}

/// An open session. Cheap to clone; immutable; `Send + Sync`.
#[derive(Clone, Debug)]
pub struct Session {
    core: Arc<SessionCore>,
}

impl Session {
    /// Opens a manifest (full form or parameter map). `root` is the `{}` expansion; without it,
    /// `MESSAGEAPI_ROOT`, else the manifest's directory.
    pub fn open(path: impl AsRef<Path>, root: Option<&Path>) -> Result<Session> {
        Session::open_with(
            path,
            &OpenOptions {
                root: root.map(Path::to_path_buf),
                ..Default::default()
            },
        )
    }

    /// Opens a manifest with all options (for example a session template and its parameter map).
    pub fn open_with(path: impl AsRef<Path>, options: &OpenOptions) -> Result<Session> {
        Ok(Session {
            core: Arc::new(manifest::load_file(path.as_ref(), options)?),
        })
    }

    /// Checks a manifest as opening it would, without loading a native library, reading a
    /// `${env:}` or `${file:}` secret or connecting anywhere (what `mapi check` does): every
    /// part is read and every plug-in checks its constructor, and the host's
    /// `native-plugin-dirs` and `confine-paths` are applied. The session describes itself
    /// (fields, collections, connections); its submits reject every record, saying it was only
    /// checked.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let manifest = dir.path().join("m.json");
    /// std::fs::write(&manifest, r#"{"fields": [{"id": "x", "type": "integer"}],
    ///     "collections": [{"id": "c", "fields": ["x"]}],
    ///     "endpoints": [{"plugin": "kafka-producer", "connections": [{"id": "out",
    ///         "collections": ["c"], "constructor": {"topic": "t",
    ///         "sasl.password": "${env:NOT_READ_WHEN_CHECKING}"}}]}]}"#).unwrap();
    /// let checked = messageapi::Session::check(&manifest, None).unwrap();
    /// assert_eq!(checked.fields()[0].id, "x");
    /// ```
    pub fn check(path: impl AsRef<Path>, root: Option<&Path>) -> Result<Session> {
        Session::open_with(
            path,
            &OpenOptions {
                root: root.map(Path::to_path_buf),
                check_only: true,
                ..Default::default()
            },
        )
    }

    /// Opens a manifest given as JSON text; `base_dir` plays the manifest's directory
    /// (default: the current directory).
    pub fn from_json(text: &str, base_dir: Option<&Path>) -> Result<Session> {
        Session::from_json_with(text, base_dir, &OpenOptions::default())
    }

    /// [`Session::from_json`] with all options.
    pub fn from_json_with(
        text: &str,
        base_dir: Option<&Path>,
        options: &OpenOptions,
    ) -> Result<Session> {
        Ok(Session {
            core: Arc::new(manifest::load_text(text, base_dir, options)?),
        })
    }

    /// A new request with fresh endpoint instances (batch mode).
    pub fn request(&self) -> Request {
        Request::new(self.core.clone())
    }

    /// What opening noticed but let pass: keys the format does not have (ignored).
    pub fn warnings(&self) -> &[String] {
        &self.core.warnings
    }

    /// The schema fields, in order.
    pub fn fields(&self) -> &[FieldDef] {
        self.core.schema.layout.fields()
    }

    /// A new record of this schema (defaults set, condition values cleared), not yet in a request.
    pub fn new_record(&self) -> Record {
        new_record(&self.core)
    }

    /// The session as text, part by part: the host's policy (where native code may come from,
    /// where paths are confined), warnings, fields, conditions, collections, transformations,
    /// connections (what each lists, receives and narrows), the native libraries and secret
    /// references their constructors name, and the dead-letter connection. What `mapi check`
    /// prints.
    ///
    /// ```
    /// let session = messageapi::Session::from_json(r#"{"fields": [{"id": "x", "type": "integer"}],
    ///     "collections": [{"id": "c", "fields": ["x"]}],
    ///     "endpoints": [{"plugin": "evaluation", "connections": [{"id": "e", "collections": ["c"]}]}]}"#,
    ///     None).unwrap();
    /// assert!(session.describe().contains("  e (evaluation): lists collections c"));
    /// ```
    pub fn describe(&self) -> String {
        let mut out = String::new();
        crate::describe::describe(&self.core, &mut out);
        out
    }

    /// The `{}` root the session's paths expanded with.
    pub fn root(&self) -> &Path {
        &self.core.root
    }

    /// The ids of the container's collections, in manifest order.
    pub fn collections(&self) -> Vec<&str> {
        self.core
            .container
            .collections
            .iter()
            .map(|c| &*c.id)
            .collect()
    }

    /// The ids of the schema's conditions (comparisons and composites), in manifest order.
    pub fn conditions(&self) -> Vec<&str> {
        self.core
            .schema
            .conditions
            .conditions()
            .iter()
            .map(|c| &*c.id)
            .collect()
    }

    /// The session's connections, in manifest order, then its dead-letter connection (if any).
    pub fn connections(&self) -> Vec<Connection<'_>> {
        let p = &self.core.protocol;
        p.connections
            .iter()
            .chain(p.dead_letter.as_ref())
            .map(|c| Connection {
                id: &c.id,
                endpoint: &c.endpoint,
                constructor: &c.constructor,
                dead_letters: c.dead_letters,
            })
            .collect()
    }

    /// The session's statistics as one JSON object: records submitted, accepted, rejected by
    /// stage, returned and dead-lettered, submit latency, and per connection records routed,
    /// returned and rejected, endpoint errors, bytes, Kafka consumer lag and librdkafka's
    /// statistics (docs/statistics.md).
    pub fn stats(&self) -> serde_json::Value {
        let mut j = self.core.stats.json();
        j["manifest"] = serde_json::Value::String(self.core.source.display().to_string());
        // No secret reaches an operator's dashboard (a broker's statistics quoting one).
        crate::log::redact_json(&mut j);
        j
    }

    /// The session's statistics as Prometheus text exposition (format 0.0.4, `messageapi_`
    /// names).
    pub fn stats_prometheus(&self) -> String {
        self.core.stats.prometheus()
    }

    /// Reads records of this schema from JSON text (one object, an array, or JSON Lines); all
    /// or nothing, errors name the line.
    pub fn read_json(&self, text: &str) -> Result<Vec<Record>> {
        crate::json::read_records(text, || new_record(&self.core))
    }

    /// Validates a record as a submit would (required fields, then its conditions) without
    /// running any endpoint: the reasons it would be rejected with, or none.
    pub fn validate(&self, record: &Record) -> Vec<String> {
        crate::pipeline::verdict(&self.core, record).reasons()
    }
}
