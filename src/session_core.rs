//! What a session is made of, checked and ready: the model the manifest loader builds and
//! every request of the session shares. Below the session, request and pipeline modules, which
//! all use it.

use std::path::PathBuf;
use std::sync::Arc;

use crate::container::Container;
use crate::protocol::Protocol;
use crate::record::{ConditionValues, Layout, Record};
use crate::schema::Schema;

/// The session kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Sequential,
    Parallel,
}

/// Everything a manifest defines, checked and ready: what a session is made of.
#[derive(Debug)]
pub struct SessionCore {
    pub kind: SessionKind,
    pub schema: Schema,
    pub container: Container,
    pub protocol: Protocol,
    /// The `{}` root.
    pub root: PathBuf,
    /// The manifest file (or `<json>` for manifests given as text).
    pub source: PathBuf,
    /// Keys the manifest has that the format does not (ignored, as the original did).
    pub warnings: Vec<String>,
    /// The session's counters.
    pub stats: Arc<crate::stats::SessionStats>,
    /// The `fork()` generation the session was opened in (`runtime::fork::generation`).
    pub generation: u64,
    /// Opened only to be checked (`OpenOptions::check_only`): its submits run nothing.
    pub checked_only: bool,
}

impl SessionCore {
    /// When this process is a child, after `fork()`, of the one that opened the session and
    /// one of the session's connections owns threads (a broker client's), why the session
    /// cannot run here: its reason names that connection.
    pub(crate) fn left_behind_by_fork(&self) -> Option<(String, String)> {
        if self.generation == crate::runtime::fork::generation() {
            return None;
        }
        let conn = self
            .protocol
            .connections
            .iter()
            .chain(self.protocol.dead_letter.as_ref())
            .find(|c| !c.prepared.survives_fork())?;
        Some((
            conn.id.to_string(),
            format!(
                "connection {}: this session was opened before fork() and its {} endpoint's \
                 broker client has threads that are not in this process; open the session \
                 again after fork()",
                conn.id, conn.endpoint
            ),
        ))
    }
}

/// A new record of the session's schema (defaults set, condition values cleared).
pub(crate) fn new_record(core: &SessionCore) -> Record {
    new_record_of(core, core.schema.layout.clone(), 0)
}

/// How many fields the session's endpoints add to the records they return (the Kafka
/// producer adds three): request records keep that much room.
pub(crate) fn record_room(core: &SessionCore) -> usize {
    core.protocol
        .connections
        .iter()
        .map(|c| c.prepared.appended_fields())
        .max()
        .unwrap_or(0)
}

/// A new record of the schema with `layout` (the schema's layout or a copy of it) and room for
/// `room` more fields (see [`record_room`]).
pub(crate) fn new_record_of(core: &SessionCore, layout: Arc<Layout>, room: usize) -> Record {
    let mut r = Record::with_room(layout, room);
    // Records carry condition values only when the schema has conditions (setting one on a
    // schema without conditions is an unknown condition either way).
    if !core.schema.conditions.is_empty() {
        r.attach_conditions(ConditionValues::cleared(core.schema.conditions.clone()));
    }
    r
}
