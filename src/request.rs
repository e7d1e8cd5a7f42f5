//! Requests: records to submit, the request record (request-level conditions), and the endpoint
//! instances that persist while the same request is resubmitted (stream mode).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use crate::container::eval::panic_message;
use crate::error::Result;
use crate::json;
use crate::pipeline::{self, Parameters, StreamState};
use crate::record::Record;
use crate::response::{Outcome, Rejection, Response};
use crate::schema::condition::ConditionValues;
use crate::session::{new_record, SessionCore};

/// A request. Used by one thread at a time; a pending response does not borrow it.
pub struct Request {
    core: Arc<SessionCore>,
    /// Boxed so that record addresses stay put while more are added (the C ABI hands them out).
    #[allow(clippy::vec_box)]
    records: Vec<Box<Record>>,
    conditions: Box<Record>,
    stream: Arc<Mutex<StreamState>>,
    last: Option<Response>,
    parameters: Parameters,
}

impl Request {
    pub(crate) fn new(core: Arc<SessionCore>) -> Request {
        let mut conditions = Record::new(core.schema.layout.clone());
        conditions.attach_conditions(ConditionValues::from_manifest(
            core.schema.conditions.clone(),
        ));
        Request {
            core,
            records: Vec::new(),
            conditions: Box::new(conditions),
            stream: Arc::new(Mutex::new(StreamState::default())),
            last: None,
            parameters: Parameters::new(),
        }
    }

    /// Adds a new record (schema defaults, conditions cleared) and returns it for setting.
    pub fn add_record(&mut self) -> &mut Record {
        self.records.push(Box::new(new_record(&self.core)));
        self.records.last_mut().expect("just pushed")
    }

    /// Adds records from one JSON object, a JSON array of objects, or JSON Lines. All or
    /// nothing: on error nothing is added and the message names the line.
    pub fn add_json(&mut self, text: &str) -> Result<usize> {
        let core = &self.core;
        let new = json::read_records(text, || new_record(core))?;
        let n = new.len();
        self.records.extend(new.into_iter().map(Box::new));
        Ok(n)
    }

    /// Adds a record made by this request's session (`Session::new_record`, `Session::read_json`).
    pub fn push(&mut self, record: Record) -> Result<()> {
        if !Arc::ptr_eq(record.layout(), &self.core.schema.layout) {
            return Err(crate::error::Error::InvalidArgument(
                "the record is not of this session's schema".into(),
            ));
        }
        self.records.push(Box::new(record));
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Record `i`.
    pub fn record(&self, i: usize) -> Option<&Record> {
        self.records.get(i).map(|b| &**b)
    }

    pub fn record_mut(&mut self, i: usize) -> Option<&mut Record> {
        self.records.get_mut(i).map(|b| &mut **b)
    }

    /// Removes and returns the last record added.
    pub fn pop(&mut self) -> Option<Record> {
        self.records.pop().map(|b| *b)
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
        if !self
            .core
            .protocol
            .connections
            .iter()
            .any(|c| &*c.id == connection_id)
        {
            return Err(crate::error::Error::InvalidArgument(format!(
                "no connection \"{connection_id}\" in this session"
            )));
        }
        self.parameters
            .entry(connection_id.to_string())
            .or_default()
            .insert(key.to_string(), value);
        Ok(())
    }

    /// Submits a copy of the records and returns at once. Resubmitting the same request runs
    /// after the previous submit of it, with the same endpoint instances and state.
    pub fn submit(&mut self) -> Response {
        let records: Vec<Record> = self.records.iter().map(|b| (**b).clone()).collect();
        let request_values = self
            .conditions
            .conditions()
            .map(|c| c.values().to_vec())
            .unwrap_or_default();
        let response = Response::new();
        let previous = self.last.replace(response.clone());
        let core = self.core.clone();
        let stream = self.stream.clone();
        let parameters = self.parameters.clone();
        let done = response.clone();
        crate::runtime::spawn(move || {
            if let Some(p) = previous {
                let _ = p.wait(None);
            }
            let submitted = records.len();
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let mut state = stream.lock().unwrap_or_else(|p| p.into_inner());
                pipeline::run(&core, records, &request_values, &parameters, &mut state)
            }));
            let outcome = outcome.unwrap_or_else(|p| {
                let msg = format!(
                    "internal error: a submit of {submitted} records failed: {}",
                    panic_message(&*p)
                );
                crate::log::error(&msg);
                Outcome {
                    records: Vec::new(),
                    rejections: vec![Rejection {
                        record: Record::open(),
                        reasons: vec![msg],
                    }],
                }
            });
            done.complete(outcome);
        });
        response
    }

    /// Submits and waits (convenience for programs that do not overlap work).
    pub fn submit_and_wait(&mut self) -> Result<Response> {
        let r = self.submit();
        r.wait(None)?;
        Ok(r)
    }

    pub fn session_core(&self) -> &SessionCore {
        &self.core
    }
}
