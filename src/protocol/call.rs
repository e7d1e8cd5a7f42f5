//! What an endpoint sees when it runs: its connection, its routed records (all, by collection,
//! classifier, UUID or transformation), its state record; and what it returns.

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::container::eval::TransformCache;
use crate::container::factor::ContainerRecords;
use crate::container::Container;
use crate::error::{Error, Result};
use crate::protocol::{ClassifierSel, ConnectionDef};
use crate::record::{FieldDef, Record, Rejection};
use crate::schema::PluginContext;

/// An endpoint kind: checks a connection at session open and prepares it.
pub trait EndpointFactory: Send + Sync {
    /// Checks the constructor and prepares the endpoint, when the session opens.
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn PreparedEndpoint>>;
}

/// A connection's endpoint, checked and ready to make instances.
pub trait PreparedEndpoint: Send + Sync {
    /// The fields of the records the endpoint returns (`None`: records keep their own fields).
    fn default_fields(&self) -> Option<Vec<FieldDef>> {
        None
    }
    /// The fields of the state record (`None`: an open record).
    fn state_fields(&self) -> Option<Vec<FieldDef>> {
        None
    }
    /// Whether the endpoint applies the connection's `fields` itself. An endpoint that sends
    /// records somewhere (the Kafka producer) narrows what it sends to `fields` and returns those
    /// records with fields of its own appended (delivery coordinates); the engine's narrowing
    /// would drop those, so it leaves such an endpoint's output records as they are. Default:
    /// the engine narrows outputs to `fields`.
    fn applies_fields(&self) -> bool {
        false
    }
    /// How many fields the endpoint appends to the records it is routed before returning them
    /// (the Kafka producer: topic, partition, offset). Request records are allocated with that
    /// much spare room, so appending moves no values: a reallocation per record saved on the
    /// hot path of a sink that returns its inputs (BENCHMARKS.md, "appended_fields A/B").
    /// Only a capacity hint: an endpoint that appends more still works. Default: none.
    fn appended_fields(&self) -> usize {
        0
    }
    /// Whether runtime parameter `key` may take the value it has in `constructor` (the
    /// connection's constructor with the request's runtime parameters and the new value
    /// applied). An error says what the key expects; `Request::set_parameter` (and
    /// `mapi_request_set_parameter`) then refuses the value with MAPI_ERR_INVALID_ARGUMENT.
    /// Default: any key and value (plug-ins read their parameters themselves).
    fn check_parameter(&self, key: &str, constructor: &Map<String, Json>) -> Result<()> {
        let _ = (key, constructor);
        Ok(())
    }
    /// Whether the endpoint still works in a child process after `fork()` when the session was
    /// opened in the parent. An endpoint that owns threads (a broker client's) answers `false`:
    /// such a session rejects every record submitted in a child, with a reason saying so.
    /// Default: `true` (files, callbacks, evaluation).
    fn survives_fork(&self) -> bool {
        true
    }
    /// Whether the endpoint reads from a source it commits to ([`EndpointCall::commit_later`]):
    /// when such an endpoint panics during a call, what it read may be in no response, so its
    /// request commits nothing more (the source delivers those messages again). Such an
    /// endpoint returns an error only before it reads. Default: `false`.
    fn commits_reads(&self) -> bool {
        false
    }
    /// A fresh instance: one per request (batch mode), reused on resubmit (stream mode).
    fn instantiate(&self) -> Result<Box<dyn Endpoint>>;
}

/// A running endpoint.
pub trait Endpoint: Send {
    /// Processes one submit: read routed records from `call`, add output records and rejections.
    fn process(&mut self, call: &mut EndpointCall<'_>) -> Result<()>;
}

/// Records an endpoint has taken from its call ([`EndpointCall::listed_records`]). They stay in
/// the engine's custody until the endpoint hands them on: returns them (`extend` after
/// [`Taken::release`]), rejects them, or releases them once written or sent. Dropped while it
/// still holds records (the endpoint or its finisher failed, panicked or forgot them), it hands
/// them back to the engine, which rejects them with a reason naming the connection when the
/// endpoint failed. Records replaced by [`Record::empty`] placeholders count as handed on.
pub struct Taken {
    records: Vec<Record>,
    custody: Custody,
}

impl Taken {
    /// The records, out of custody: the endpoint now answers for each one (returns, rejects or
    /// has written it).
    pub fn release(mut self) -> Vec<Record> {
        std::mem::take(&mut self.records)
    }
}

impl Deref for Taken {
    type Target = Vec<Record>;
    fn deref(&self) -> &Vec<Record> {
        &self.records
    }
}

impl DerefMut for Taken {
    fn deref_mut(&mut self) -> &mut Vec<Record> {
        &mut self.records
    }
}

impl Drop for Taken {
    fn drop(&mut self) {
        self.records.retain(|r| !r.is_placeholder());
        if !self.records.is_empty() {
            self.custody.keep(std::mem::take(&mut self.records));
        }
    }
}

/// Where the records a connection's endpoint took come back to when it drops them (one per
/// connection and submit; shared with the endpoint's finisher).
#[derive(Clone, Default)]
pub(crate) struct Custody(Arc<Mutex<Vec<Record>>>);

impl Custody {
    fn keep(&self, mut records: Vec<Record>) {
        let mut held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        held.append(&mut records);
    }

    /// The records handed back so far.
    pub(crate) fn take(&self) -> Vec<Record> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// One run of a connection's endpoint for one submit.
pub struct EndpointCall<'a> {
    pub(crate) conn: &'a ConnectionDef,
    pub(crate) container: &'a Container,
    pub(crate) routed: ContainerRecords,
    pub(crate) state: &'a mut Record,
    pub(crate) cache: TransformCache,
    pub(crate) root: &'a Path,
    pub(crate) constructor: &'a Map<String, Json>,
    pub(crate) request_conditions: &'a [Option<crate::value::Value>],
    pub(crate) schema: &'a crate::schema::Schema,
    pub(crate) outputs: Vec<Record>,
    pub(crate) rejections: Vec<Rejection>,
    pub(crate) transform_error: Option<Error>,
    pub(crate) later: Option<Finisher>,
    /// Where records the endpoint took come back to (see [`Taken`]).
    pub(crate) custody: Custody,
    /// Indexes of routed records the endpoint rejected itself ([`EndpointCall::reject_copy`]):
    /// if it then fails, they keep their own rejection and are not rejected a second time.
    pub(crate) answered: Vec<usize>,
    /// What runs once this submit is complete and released ([`EndpointCall::commit_later`]).
    pub(crate) commits: Vec<Commit>,
}

/// A consumer's commit or acknowledgement of what one submit read, registered with
/// [`EndpointCall::commit_later`].
pub type Commit = Box<dyn FnOnce() + Send + 'static>;

/// The second half of an endpoint's work for one submit, registered with
/// [`EndpointCall::finish_later`]: it runs after the request's stream is released.
pub type Finisher = Box<dyn FnOnce(&mut Finished) + Send + 'static>;

/// What a finisher (see [`EndpointCall::finish_later`]) returns: output records and rejections, as on the call.
#[derive(Debug, Default)]
pub struct Finished {
    pub(crate) outputs: Vec<Record>,
    pub(crate) rejections: Vec<Rejection>,
}

impl Finished {
    /// Adds an output record.
    pub fn add_record(&mut self, record: Record) {
        self.outputs.push(record);
    }

    /// Rejects a record with a reason.
    pub fn reject(&mut self, record: Record, reason: impl Into<String>) {
        self.rejections
            .push(Rejection::new(record, vec![reason.into()]));
    }

    /// Adds output records (moved as they are when nothing was added before).
    pub fn extend(&mut self, mut records: Vec<Record>) {
        if self.outputs.is_empty() {
            self.outputs = records;
        } else {
            self.outputs.append(&mut records);
        }
    }
}

impl<'a> EndpointCall<'a> {
    /// The connection id.
    pub fn connection_id(&self) -> &str {
        &self.conn.id
    }

    /// A constructor value of the connection.
    pub fn parameter(&self, key: &str) -> Option<&Json> {
        self.constructor.get(key)
    }

    /// The connection's constructor, with this request's runtime parameters applied.
    pub fn constructor(&self) -> &Map<String, Json> {
        self.constructor
    }
    /// The session root (`{}`).
    pub fn root(&self) -> &Path {
        self.root
    }

    /// The request record's condition values (manifest values, or set by the caller).
    pub fn request_conditions(&self) -> &[Option<crate::value::Value>] {
        self.request_conditions
    }

    /// Every routed record, once each.
    pub fn records(&self) -> &[Record] {
        &self.routed.records
    }

    /// Takes the routed records (for endpoints that consume them). Afterwards `records()` is
    /// empty and transformations not yet evaluated see no input: evaluate them first.
    pub(crate) fn take_routed(&mut self) -> ContainerRecords {
        std::mem::take(&mut self.routed)
    }

    /// The ids of the connection's listed collections (`"*"` expanded).
    pub fn listed_collections(&self) -> Vec<&str> {
        self.conn
            .collections
            .iter()
            .map(|&c| &*self.container.collections[c].id)
            .collect()
    }

    /// The connection's listed classifiers.
    pub(crate) fn listed_classifiers(&self) -> &[ClassifierSel] {
        &self.conn.classifiers
    }

    /// The ids of the connection's listed transformations.
    pub fn listed_transformations(&self) -> Vec<&str> {
        self.conn
            .transformations
            .iter()
            .map(|&t| &*self.container.transformations[t].id)
            .collect()
    }

    /// The routed records of collection `id`.
    pub fn records_by_collection(&self, id: &str) -> Result<Vec<&Record>> {
        let c = self
            .container
            .collection_index(id)
            .ok_or_else(|| Error::InvalidArgument(format!("unknown collection \"{id}\"")))?;
        Ok(self.by_collection_index(c).collect())
    }

    pub(crate) fn by_collection_index(&self, c: usize) -> impl Iterator<Item = &Record> + '_ {
        let r = &self.routed;
        (0..r.len())
            .filter(move |&i| r.coll[i] as usize == c)
            .map(move |i| &r.records[i])
    }

    /// The routed records of every collection labelled `key` = `value` (`None`: any value).
    pub fn records_by_classifier(&self, key: &str, value: Option<&str>) -> Vec<&Record> {
        let r = &self.routed;
        (0..r.len())
            .filter(|&i| self.container.collections[r.coll[i] as usize].has_label(key, value))
            .map(|i| &r.records[i])
            .collect()
    }

    /// The distinct UUIDs of the routed records, in order.
    pub fn uuids(&self) -> Vec<Uuid> {
        let mut seen = Vec::new();
        for &u in &self.routed.uuid {
            let id = self.routed.uuids[u as usize];
            if seen.last() != Some(&id) && !seen.contains(&id) {
                seen.push(id);
            }
        }
        seen
    }

    /// The routed records of container record `uuid`.
    pub fn records_by_uuid(&self, uuid: &Uuid) -> Vec<&Record> {
        let r = &self.routed;
        (0..r.len())
            .filter(|&i| r.uuids[r.uuid[i] as usize] == *uuid)
            .map(|i| &r.records[i])
            .collect()
    }

    /// The output of transformation `id`, evaluated now if this connection has not yet asked.
    /// A failure also fails the connection (its records are rejected).
    pub fn records_by_transformation(&mut self, id: &str) -> Result<Arc<Vec<Record>>> {
        let t = self
            .container
            .transformation_index(id)
            .ok_or_else(|| Error::InvalidArgument(format!("unknown transformation \"{id}\"")))?;
        self.transformation_index_records(t)
    }

    pub(crate) fn transformation_index_records(&mut self, t: usize) -> Result<Arc<Vec<Record>>> {
        let r = self
            .cache
            .evaluate(t, self.container, &self.routed, self.root);
        if let Err(e) = &r {
            if self.transform_error.is_none() {
                self.transform_error = Some(e.clone());
            }
        }
        r
    }
    /// The records a writing endpoint sends: those of the listed collections and classifiers
    /// (once each, in routed order), then the outputs of the listed transformations. Takes the
    /// routed records (transformations are evaluated first): call it once, at the end.
    pub fn listed_records(&mut self) -> Result<Taken> {
        let mut transformed = Vec::new();
        for t in self.conn.transformations.clone() {
            transformed.push(self.transformation_index_records(t)?);
        }
        let routed = std::mem::take(&mut self.routed);
        let container = self.container;
        let conn = self.conn;
        let mut records: Vec<Record> = routed
            .records
            .into_iter()
            .zip(routed.coll)
            .filter(|(_, c)| {
                if conn.dead_letters {
                    return true;
                }
                let c = *c as usize;
                let coll = &container.collections[c];
                conn.collections.contains(&c)
                    || conn
                        .classifiers
                        .iter()
                        .any(|s| coll.has_label(&s.key, s.value.as_deref()))
            })
            .map(|(r, _)| r)
            .collect();
        for t in transformed {
            records.extend(t.iter().cloned());
        }
        Ok(Taken {
            records,
            custody: self.custody.clone(),
        })
    }

    /// Whether `record` passes the schema conditions `filter` (positions; empty: all pass),
    /// valued on the request record: a consumer's `filter`.
    pub fn passes(&self, filter: &[usize], record: &Record) -> bool {
        filter.is_empty()
            || self
                .schema
                .conditions
                .subset_passes(filter, record, self.request_conditions)
    }

    /// The connection's counters: endpoints add the bytes they write, send or receive.
    pub(crate) fn stats(&self) -> &Arc<crate::stats::ConnectionStats> {
        &self.conn.stats
    }

    /// The connection's `fields` narrowing (empty: none).
    pub fn fields(&self) -> &[String] {
        &self.conn.fields
    }

    /// The state record: persists while the same request is resubmitted.
    pub fn state(&mut self) -> &mut Record {
        self.state
    }

    /// A new output record with the endpoint's default fields (narrowed by `fields`), or an
    /// open record when the endpoint has none.
    pub fn new_record(&self) -> Record {
        match &self.conn.output_layout {
            Some(l) => Record::new(l.clone()),
            None => Record::open(),
        }
    }

    /// Adds an output record.
    pub fn add_record(&mut self, record: Record) {
        self.outputs.push(record);
    }

    /// Adds output records.
    pub fn extend(&mut self, records: impl IntoIterator<Item = Record>) {
        self.outputs.extend(records);
    }

    /// Rejects a record with a reason.
    pub fn reject(&mut self, record: Record, reason: impl Into<String>) {
        self.rejections
            .push(Rejection::new(record, vec![reason.into()]));
    }

    /// Rejects a copy of `record` with a reason. When `record` is one of the routed records
    /// ([`EndpointCall::records`]), the endpoint has answered for it: should the endpoint then
    /// fail, that record keeps this rejection and is not rejected again.
    pub fn reject_copy(&mut self, record: &Record, reason: impl Into<String>) {
        let routed = self.routed.records.as_ptr_range();
        let p: *const Record = record;
        if routed.contains(&p) {
            // In the slice, so the offset is a whole number of records.
            let i = (p as usize - routed.start as usize) / std::mem::size_of::<Record>();
            self.answered.push(i);
        }
        self.reject(record.clone(), reason);
    }

    /// The routed records still unanswered (for the engine when the endpoint failed): those
    /// the endpoint neither took nor rejected itself.
    pub(crate) fn take_unanswered(&mut self) -> Vec<Record> {
        let records = std::mem::take(&mut self.routed.records);
        if self.answered.is_empty() {
            return records;
        }
        let mut answered = vec![false; records.len()];
        for &i in &self.answered {
            answered[i] = true;
        }
        records
            .into_iter()
            .zip(answered)
            .filter_map(|(r, done)| (!done).then_some(r))
            .collect()
    }

    /// The output records added so far.
    pub fn outputs(&self) -> &[Record] {
        &self.outputs
    }

    /// Finishes this call later: `f` runs once `process` has returned and the request's stream
    /// is released, so the next submit of the same request can start while `f` waits (for
    /// acknowledgements, say). This submit's response completes after `f`, with what it adds
    /// after what `process` added. Submits of one request still complete in order.
    pub fn finish_later(&mut self, f: impl FnOnce(&mut Finished) + Send + 'static) {
        self.later = Some(Box::new(f));
    }

    /// Commits (or acknowledges) what this call read from its source, at the one moment the
    /// library allows: `f` runs once this submit's response is complete (its records returned,
    /// its rejections dead-lettered) **and** the program has let go of it (freed the response,
    /// or the request). It never runs if the request is abandoned, freed before the response
    /// completed, or the process ends first: the source then delivers the messages again.
    /// Commits of one request run in submit order, one at a time, on any thread.
    pub fn commit_later(&mut self, f: impl FnOnce() + Send + 'static) {
        self.commits.push(Box::new(f));
    }
}
