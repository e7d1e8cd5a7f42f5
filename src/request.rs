//! Requests: records to submit, the request record (request-level conditions), and the endpoint
//! instances that persist while the same request is resubmitted (stream mode).

use std::sync::Arc;

use crate::error::Result;
use crate::json;
use crate::pipeline::{Parameters, Stream};
use crate::record::ConditionValues;
use crate::record::Layout;
use crate::record::Record;
use crate::response::Response;
use crate::session_core::{new_record_of, record_room, SessionCore};

/// A request: the records to submit. Used by one thread at a time; a pending response does
/// not borrow it. Submitting it again (after adding or replacing records) streams: its
/// endpoints keep their state; a new request starts fresh.
///
/// ```
/// let session = messageapi::Session::from_json(
///     r#"{"fields": [{"id": "n", "type": "integer", "required": true}],
///         "collections": [{"id": "c", "fields": ["n"]}],
///         "endpoints": [{"plugin": "evaluation", "connections": [{"id": "all", "collections": ["c"]}]}]}"#,
///     None,
/// )?;
/// use messageapi::Value;
/// let mut request = session.request();
/// request.add_record().set("n", Value::Integer(1))?;
/// request.add_record(); // no n: rejected
/// let outcome = request.submit().wait(None)?.clone();
/// assert_eq!(outcome.records.len(), 1);
/// assert_eq!(outcome.rejections[0].reasons, ["Required field n was missing a value."]);
/// # Ok::<(), messageapi::Error>(())
/// ```
pub struct Request {
    core: Arc<SessionCore>,
    records: RecordStore,
    conditions: Box<Record>,
    /// The layout new records get: a copy of the schema's, replaced at each submit, so that
    /// the records being built and those being processed update different reference counts.
    layout: Arc<Layout>,
    /// Room request records keep for fields endpoints add (`session::record_room`).
    room: usize,
    /// The submits in flight and the endpoint instances they share (kept across resubmits).
    stream: Arc<Stream>,
    parameters: Parameters,
}

impl Request {
    pub(crate) fn new(core: Arc<SessionCore>) -> Request {
        let mut conditions = Record::new(core.schema.layout.clone());
        conditions.attach_conditions(ConditionValues::from_manifest(
            core.schema.conditions.clone(),
        ));
        Request {
            layout: Arc::new(Layout::clone(&core.schema.layout)),
            room: record_room(&core),
            stream: Stream::new(core.clone()),
            core,
            records: RecordStore::default(),
            conditions: Box::new(conditions),
            parameters: Parameters::new(),
        }
    }

    /// Adds a new record (schema defaults, conditions cleared) and returns it for setting.
    pub fn add_record(&mut self) -> &mut Record {
        self.records
            .push(new_record_of(&self.core, self.layout.clone(), self.room))
    }

    /// Adds records from one JSON object, a JSON array of objects, or JSON Lines. All or
    /// nothing: on error nothing is added and the message names the line.
    pub fn add_json(&mut self, text: &str) -> Result<usize> {
        let (core, layout, room) = (&self.core, &self.layout, self.room);
        let new = json::read_records(text, || new_record_of(core, layout.clone(), room))?;
        let n = new.len();
        for r in new {
            self.records.push(r);
        }
        Ok(n)
    }

    /// Adds a record made by this request's session (`Session::new_record`, `Session::read_json`).
    pub fn push(&mut self, record: Record) -> Result<()> {
        if !record.layout().same_as(&self.core.schema.layout) {
            return Err(crate::error::Error::InvalidArgument(
                "the record is not of this session's schema".into(),
            ));
        }
        self.records.push(record);
        Ok(())
    }

    /// How many records the request holds.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the request holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Record `i`.
    pub fn record(&self, i: usize) -> Option<&Record> {
        self.records.get(i)
    }

    /// Record `i` (0-based, in the order added), to change before the next submit.
    pub fn record_mut(&mut self, i: usize) -> Option<&mut Record> {
        self.records.get_mut(i)
    }

    /// Removes and returns the last record added.
    pub fn pop(&mut self) -> Option<Record> {
        self.records.pop()
    }

    /// Drops the records; endpoint state is kept (stream mode).
    pub fn clear(&mut self) {
        self.records.clear();
    }

    /// The request record: set request-level condition values on it.
    pub fn conditions(&mut self) -> &mut Record {
        &mut self.conditions
    }
    /// Overrides constructor value `key` of connection `connection_id` for later submits of
    /// this request (runtime parameters: a consumer whose `topics` change re-subscribes).
    pub fn set_parameter(
        &mut self,
        connection_id: &str,
        key: &str,
        value: serde_json::Value,
    ) -> Result<()> {
        let conn = self
            .core
            .protocol
            .connections
            .iter()
            .find(|c| &*c.id == connection_id)
            .ok_or_else(|| {
                crate::error::Error::InvalidArgument(format!(
                    "no connection \"{connection_id}\" in this session"
                ))
            })?;
        // `${env:NAME}` and `${file:PATH}` (relative to the working directory) resolve now.
        let checking = self.core.checked_only;
        let value = crate::manifest::secrets::resolve_value(
            key,
            &value,
            std::path::Path::new("."),
            checking,
        )
        .map_err(|e| {
            let text = format!(
                "connection {connection_id}: parameter \"{key}\": {}",
                e.message()
                    .strip_prefix(&format!("constructor.{key}: "))
                    .unwrap_or(e.message())
            );
            match e {
                // What the host has not allowed stays that (a path outside confine-paths).
                crate::error::Error::NotAllowed(_) => crate::error::Error::NotAllowed(text),
                _ => crate::error::Error::InvalidArgument(text),
            }
        })?;
        // The constructor the next submit would see, with the new value.
        let mut constructor = conn.constructor.clone();
        if let Some(set) = self.parameters.get(connection_id) {
            constructor.extend(set.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        constructor.insert(key.to_string(), value.clone());
        conn.prepared
            .check_parameter(key, &constructor)
            .map_err(|e| {
                let m = e.message();
                let what = m
                    .strip_prefix(&format!("constructor.{key}: "))
                    .or_else(|| m.strip_prefix("constructor: "))
                    .unwrap_or(m);
                let text = format!("connection {connection_id}: parameter \"{key}\": {what}");
                match e {
                    crate::error::Error::NotAllowed(_) => crate::error::Error::NotAllowed(text),
                    _ => crate::error::Error::InvalidArgument(text),
                }
            })?;
        self.parameters
            .entry(connection_id.to_string())
            .or_default()
            .insert(key.to_string(), value);
        Ok(())
    }

    /// Submits a copy of the records and returns at once. Resubmitting the same request runs
    /// after the previous submit of it has done its stream work, with the same endpoint
    /// instances and state; responses of one request complete in submit order.
    pub fn submit(&mut self) -> Response {
        let records: Vec<Record> = self
            .records
            .iter()
            .map(|r| r.clone_with_room(self.room))
            .collect();
        self.submit_records(records)
    }

    /// Submits the records and clears the request, as `submit` then `clear` do, but moves the
    /// records instead of copying them: the fast path for programs that build each batch once.
    pub fn submit_and_clear(&mut self) -> Response {
        let records = self.records.take_all();
        self.submit_records(records)
    }

    fn submit_records(&mut self, records: Vec<Record>) -> Response {
        // The records being built next and those being processed update different reference
        // counts.
        self.layout = Arc::new(Layout::clone(&self.core.schema.layout));
        let request_values = self
            .conditions
            .conditions()
            .map(|c| c.values().to_vec())
            .unwrap_or_default();
        self.stream
            .submit(records, request_values, self.parameters.clone())
    }

    /// Submits and waits (convenience for programs that do not overlap work).
    pub fn submit_and_wait(&mut self) -> Result<Response> {
        let r = self.submit();
        r.wait(None)?;
        Ok(r)
    }

    /// Frees the request without committing or acknowledging anything its consumers read
    /// that is not committed yet: the broker delivers those messages again (to this program's
    /// next run, or another member of the group). For a program that could not keep what the
    /// last responses returned (a write that failed, say).
    pub fn abandon(self) {
        self.stream.abandon();
    }
}

impl Drop for Request {
    /// Freeing a request commits what its completed responses returned (a Kafka consumer's
    /// offsets, an AMQP consumer's acknowledgements); nothing of a response still pending.
    fn drop(&mut self) {
        self.stream.request_freed();
    }
}

/// Records in segments of fixed capacity: a record's address stays put while more are added
/// (the C ABI hands out pointers to them), without an allocation per record.
#[derive(Default)]
struct RecordStore {
    /// Every segment but the last holds exactly SEGMENT records; none is ever empty.
    segments: Vec<Vec<Record>>,
    len: usize,
}

const SEGMENT: usize = 1024;

impl RecordStore {
    fn push(&mut self, record: Record) -> &mut Record {
        if self.segments.last().is_none_or(|s| s.len() == SEGMENT) {
            self.segments.push(Vec::with_capacity(SEGMENT));
        }
        let segment = self.segments.last_mut().expect("just ensured");
        // Never beyond the capacity reserved above: the segment does not move its records.
        segment.push(record);
        self.len += 1;
        segment.last_mut().expect("just pushed")
    }

    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn get(&self, i: usize) -> Option<&Record> {
        self.segments.get(i / SEGMENT)?.get(i % SEGMENT)
    }

    fn get_mut(&mut self, i: usize) -> Option<&mut Record> {
        self.segments.get_mut(i / SEGMENT)?.get_mut(i % SEGMENT)
    }

    fn pop(&mut self) -> Option<Record> {
        let segment = self.segments.last_mut()?;
        let record = segment.pop();
        if segment.is_empty() {
            self.segments.pop();
        }
        self.len -= usize::from(record.is_some());
        record
    }

    fn clear(&mut self) {
        self.segments.clear();
        self.len = 0;
    }

    fn iter(&self) -> impl Iterator<Item = &Record> {
        self.segments.iter().flatten()
    }

    /// Every record, in order, leaving the store empty.
    fn take_all(&mut self) -> Vec<Record> {
        if self.segments.len() == 1 {
            self.len = 0;
            return self.segments.pop().unwrap_or_default();
        }
        let mut all = Vec::with_capacity(self.len);
        for segment in self.segments.drain(..) {
            all.extend(segment);
        }
        self.len = 0;
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn numbered(i: i64) -> Record {
        let mut r = Record::open();
        r.set("n", Value::Integer(i)).unwrap();
        r
    }

    fn n(r: &Record) -> i64 {
        r.get_int("n").unwrap()
    }

    #[test]
    fn record_store_keeps_addresses_and_order_across_segments() {
        let mut store = RecordStore::default();
        let first: *const Record = store.push(numbered(0));
        let mut addresses = vec![first];
        for i in 1..(2 * SEGMENT as i64 + 5) {
            addresses.push(store.push(numbered(i)));
        }
        assert_eq!(store.len(), 2 * SEGMENT + 5);
        // No record moved while the others were added.
        for (i, &a) in addresses.iter().enumerate() {
            assert!(std::ptr::eq(store.get(i).unwrap(), a));
            assert_eq!(n(store.get(i).unwrap()), i as i64);
        }
        assert!(store.get(2 * SEGMENT + 5).is_none());
        // Popping back across a segment boundary, then pushing again.
        for i in (2 * SEGMENT - 3..2 * SEGMENT + 5).rev() {
            assert_eq!(n(&store.pop().unwrap()), i as i64);
        }
        store.push(numbered(-1));
        assert_eq!(store.len(), 2 * SEGMENT - 2);
        assert_eq!(n(store.get(2 * SEGMENT - 3).unwrap()), -1);
        let all = store.take_all();
        assert!(store.is_empty() && store.get(0).is_none());
        let ns: Vec<i64> = all.iter().map(n).collect();
        let mut expected: Vec<i64> = (0..2 * SEGMENT as i64 - 3).collect();
        expected.push(-1);
        assert_eq!(ns, expected);
        assert!(store.pop().is_none());
    }
}
