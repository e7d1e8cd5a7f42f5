//! One submit, end to end: validate → factor → route → endpoints → outcome.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::container::eval::TransformCache;
use crate::container::factor::{self, ContainerRecords};
use crate::error::panic_message;
use crate::error::Error;
use crate::manifest::{SessionCore, SessionKind};
use crate::protocol::call::{Custody, Finisher};
use crate::protocol::Endpoint;
use crate::protocol::{self, ConnectionDef};
use crate::protocol::{EndpointCall, Finished};
use crate::record::{DerivedLayouts, Record};
use crate::record::{Rejection, Stage};
use crate::response::Outcome;
use crate::value::Value;

/// Runtime parameters of a request: connection id → constructor key → value.
pub type Parameters = HashMap<String, serde_json::Map<String, serde_json::Value>>;

/// The reason a record with a null required field gets, one per field.
pub fn required_reason(field: &str) -> String {
    format!("Required field {field} was missing a value.")
}

/// The reason a record failing its conditions gets.
pub const CONDITIONS_REASON: &str =
    "The record fields were invalidated against specified conditions.";

/// Endpoint instances and state records of one request (kept across resubmits: stream mode).
#[derive(Default)]
pub(crate) struct StreamState {
    instances: Option<Vec<ConnectionInstance>>,
}

struct ConnectionInstance {
    endpoint: Result<Box<dyn Endpoint>, Error>,
    state: Record,
}

/// Records that passed validation and those that did not.
#[derive(Default)]
struct Validated {
    accepted: Vec<Record>,
    required: Vec<Rejection>,
    conditions: Vec<Rejection>,
}

/// Why a record is rejected at submit: the one validation rule (SPEC §2), which submit and
/// `Session::validate` both apply.
pub(crate) enum Verdict {
    Accepted,
    /// Required fields without a value: one reason each, in schema order.
    Required(Vec<String>),
    /// The record's conditions fail.
    Conditions,
}

impl Verdict {
    /// The reasons the record is rejected with (none if accepted).
    pub(crate) fn reasons(self) -> Vec<String> {
        match self {
            Verdict::Accepted => Vec::new(),
            Verdict::Required(r) => r,
            Verdict::Conditions => vec![CONDITIONS_REASON.to_string()],
        }
    }
}

/// Checks `record` as a submit does: required fields first, then its condition values.
pub(crate) fn verdict(core: &SessionCore, record: &Record) -> Verdict {
    let fields = core.schema.layout.fields();
    let missing: Vec<String> = fields
        .iter()
        .zip(record.values())
        .filter(|(f, val)| f.required && val.is_null())
        .map(|(f, _)| required_reason(&f.id))
        .collect();
    if !missing.is_empty() {
        return Verdict::Required(missing);
    }
    match record.conditions() {
        Some(cv) if !core.schema.conditions.record_passes(record, cv.values()) => {
            Verdict::Conditions
        }
        _ => Verdict::Accepted,
    }
}

fn validate(core: &SessionCore, records: Vec<Record>) -> Validated {
    let mut v = Validated {
        accepted: Vec::with_capacity(records.len()),
        ..Default::default()
    };
    for record in records {
        match verdict(core, &record) {
            Verdict::Accepted => v.accepted.push(record),
            Verdict::Required(reasons) => {
                v.required
                    .push(Rejection::at(Stage::Required, record, reasons))
            }
            reject @ Verdict::Conditions => {
                v.conditions
                    .push(Rejection::at(Stage::Condition, record, reject.reasons()))
            }
        }
    }
    v
}

/// Validates `records` and factors the accepted ones into container records.
fn validate_and_factor(
    core: &SessionCore,
    records: Vec<Record>,
    request: &[Option<Value>],
    active: &[bool],
) -> (Validated, ContainerRecords) {
    let mut v = validate(core, records);
    let accepted = std::mem::take(&mut v.accepted);
    let f = factor::factor(
        &core.container,
        accepted,
        &core.schema.conditions,
        request,
        active,
    );
    (v, f)
}

/// What one connection returned for a submit, and the work it finishes later.
struct ConnResult {
    records: Vec<Record>,
    rejections: Vec<Rejection>,
    later: Option<Finisher>,
    /// Where records the endpoint took come back to if its finisher fails.
    custody: Custody,
    /// Endpoint failures so far (0 or 1).
    errors: usize,
}

impl ConnResult {
    fn empty() -> ConnResult {
        ConnResult {
            records: Vec::new(),
            rejections: Vec::new(),
            later: None,
            custody: Custody::default(),
            errors: 0,
        }
    }
}

/// Rejections of `records` with one reason.
fn rejected(records: Vec<Record>, reason: &str) -> impl Iterator<Item = Rejection> + '_ {
    records
        .into_iter()
        .map(move |record| Rejection::new(record, vec![reason.to_string()]))
}

/// The rejections of a connection's failure: each record it still held, with the reason; when
/// it held none, one rejection of an empty record carries the reason, so that a failure always
/// shows in the response (not only in the log).
fn failure_rejections(held: Vec<Record>, reason: String) -> Vec<Rejection> {
    if held.is_empty() {
        return vec![Rejection::new(Record::open(), vec![reason])];
    }
    rejected(held, &reason).collect()
}

/// A submit whose stream work is done: [`Pending::finish`] runs the endpoints' finishers
/// (see [`crate::protocol::call::EndpointCall::finish_later`]) and gives the outcome.
pub(crate) struct Pending {
    validation: Vec<Rejection>,
    connections: Vec<ConnResult>,
}

impl Pending {
    /// Runs the finishers in connection order and assembles the outcome: the records in
    /// connection order; validation rejections, then the endpoints'.
    pub(crate) fn finish(self, core: &SessionCore) -> Outcome {
        let mut outcome = Outcome {
            records: Vec::new(),
            rejections: self.validation,
        };
        let mut endpoint_rejections = Vec::new();
        for (result, conn) in self.connections.into_iter().zip(&core.protocol.connections) {
            let (records, rejections) = complete(conn, result);
            if outcome.records.is_empty() {
                outcome.records = records;
            } else {
                outcome.records.extend(records);
            }
            endpoint_rejections.extend(rejections);
        }
        outcome.rejections.extend(endpoint_rejections);
        redact_reasons(&mut outcome.rejections);
        outcome
    }
}

/// Runs a connection's finisher, if any, and gives what the connection returned and rejected
/// (its rejections named with the connection); counts them.
fn complete(conn: &ConnectionDef, result: ConnResult) -> (Vec<Record>, Vec<Rejection>) {
    let ConnResult {
        mut records,
        mut rejections,
        later,
        custody,
        mut errors,
    } = result;
    if let Some(f) = later {
        let mut finished = Finished::default();
        let panicked = catch_unwind(AssertUnwindSafe(|| f(&mut finished))).err();
        // What the finisher returned or rejected before any panic stands.
        records.extend(narrow(conn, finished.outputs));
        rejections.extend(finished.rejections);
        if let Some(p) = panicked {
            let reason = format!(
                "connection {}: endpoint panicked while finishing: {}",
                conn.id,
                panic_message(&*p)
            );
            crate::log::error(&reason);
            rejections.extend(failure_rejections(custody.take(), reason));
            errors += 1;
        }
    }
    for r in rejections.iter_mut() {
        if r.connection.is_none() {
            r.connection = Some(conn.id.clone());
        }
    }
    conn.stats
        .add_results(records.len(), rejections.len(), errors);
    (records, rejections)
}

/// No secret value (a password in a broker's error, say) reaches the caller.
fn redact_reasons(rejections: &mut [Rejection]) {
    for r in rejections.iter_mut() {
        for reason in r.reasons.iter_mut() {
            if let std::borrow::Cow::Owned(clean) = crate::log::redact(reason) {
                *reason = clean;
            }
        }
    }
}

/// The request's dead-letter connection instance (kept across resubmits, like the others).
#[derive(Default)]
pub(crate) struct DeadLetterState {
    instance: Option<ConnectionInstance>,
}

/// Hands every rejection of `outcome` to the session's dead-letter connection, if it has one.
/// A dead letter the connection could not take adds a reason to its rejection saying so (the
/// connection's own rejections are never dead-lettered again). Returns how many were written.
pub(crate) fn dead_letter(
    core: &SessionCore,
    outcome: &mut Outcome,
    state: &mut DeadLetterState,
) -> usize {
    let Some(conn) = &core.protocol.dead_letter else {
        return 0;
    };
    if outcome.rejections.is_empty() {
        return 0;
    }
    let time = Value::datetime(
        chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).fixed_offset(),
    );
    let letters: Vec<Record> = outcome
        .rejections
        .iter()
        .map(|r| crate::dead_letter::record_of(r, &time))
        .collect();
    // Which rejection each dead letter is, by its content (what a failing sink hands back).
    let mut index: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
    for (i, d) in letters.iter().enumerate() {
        let mut key = Vec::new();
        d.write_json(&mut key);
        index.entry(key).or_default().push(i);
    }
    let n = letters.len();
    let routed = ContainerRecords {
        records: letters,
        coll: vec![0; n],
        uuid: vec![0; n],
        uuids: Arc::new(vec![uuid::Uuid::nil()]),
    };
    let inst = state.instance.get_or_insert_with(|| instantiate_one(conn));
    let result = run_connection(core, conn, routed, inst, &[], &Parameters::new());
    let (_, failed) = complete(conn, result);
    let mut unmatched = Vec::new();
    let mut failed_count = 0;
    for f in failed {
        let mut key = Vec::new();
        f.record.write_json(&mut key);
        let reason = format!("dead letter not written: {}", f.reasons.join("; "));
        match index.get_mut(&key).and_then(|v| v.pop()) {
            Some(i) => {
                outcome.rejections[i].reasons.push(reason);
                failed_count += 1;
            }
            None => unmatched.push(reason),
        }
    }
    if !unmatched.is_empty() {
        // A failure that names no dead letter: any of them may be unwritten; each says so.
        let reason = format!("dead letter may not be written: {}", unmatched.join("; "));
        crate::log::warn(&format!("connection {}: {reason}", conn.id));
        for r in outcome.rejections.iter_mut() {
            if !r
                .reasons
                .iter()
                .any(|x| x.starts_with("dead letter not written"))
            {
                r.reasons.push(reason.clone());
                failed_count += 1;
            }
        }
    } else if failed_count > 0 {
        crate::log::warn(&format!(
            "connection {}: {failed_count} of {n} dead letters not written",
            conn.id
        ));
    }
    redact_reasons(&mut outcome.rejections);
    let written = n - failed_count.min(n);
    core.stats.dead_letters(written, failed_count.min(n));
    written
}

/// A submit validated, factored and routed: what each connection receives. Made without the
/// request's stream, so it can overlap the previous submit's endpoint work.
pub(crate) struct Routed {
    validation: Vec<Rejection>,
    routed: Vec<ContainerRecords>,
}

/// Validates, factors and routes the records of one submit.
pub(crate) fn prepare(
    core: &SessionCore,
    records: Vec<Record>,
    request: &[Option<Value>],
) -> Routed {
    let active =
        factor::active_collection_conditions(&core.container, &core.schema.conditions, request);
    let parallel = core.kind == SessionKind::Parallel;
    let chunks = if parallel && records.len() >= 2048 {
        crate::runtime::threads()
    } else {
        1
    };

    let (validated, mut factored) = if chunks <= 1 {
        validate_and_factor(core, records, request, &active)
    } else {
        validate_and_factor_parallel(core, records, request, &active, chunks)
    };

    // Route: a collection's records move into the last connection that receives them.
    let n = core.protocol.connections.len();
    let mut routed = Vec::with_capacity(n);
    for (i, conn) in core.protocol.connections.iter().enumerate() {
        let last: Vec<bool> = (0..core.container.collections.len())
            .map(|c| {
                conn.receives[c]
                    && core.protocol.connections[i + 1..]
                        .iter()
                        .all(|later| !later.receives[c])
            })
            .collect();
        routed.push(protocol::route(conn, &mut factored, &last));
    }
    drop(factored);
    let mut validation = validated.required;
    validation.extend(validated.conditions);
    Routed { validation, routed }
}

/// Runs the endpoints of a prepared submit on the request's stream (everything but the
/// endpoints' finishers). Never panics outward: endpoint and transformation failures become
/// rejections.
pub(crate) fn run(
    core: &SessionCore,
    prepared: Routed,
    request: &[Option<Value>],
    parameters: &Parameters,
    stream: &mut StreamState,
) -> Pending {
    let instances = stream.instances.get_or_insert_with(|| instantiate(core));
    let Routed { validation, routed } = prepared;
    let parallel = core.kind == SessionKind::Parallel;
    let n = core.protocol.connections.len();
    let results: Vec<ConnResult> = if parallel && n > 1 {
        std::thread::scope(|s| {
            let handles: Vec<_> = core
                .protocol
                .connections
                .iter()
                .zip(routed)
                .zip(instances.iter_mut())
                .map(|((conn, r), inst)| {
                    s.spawn(move || run_connection(core, conn, r, inst, request, parameters))
                })
                .collect();
            handles
                .into_iter()
                .zip(core.protocol.connections.iter())
                .map(|(h, conn)| {
                    h.join().unwrap_or_else(|p| {
                        let reason = format!(
                            "connection {}: worker panicked: {}",
                            conn.id,
                            panic_message(&*p)
                        );
                        crate::log::error(&reason);
                        // The connection's records went down with the worker: the failure
                        // shows in the response rather than vanishing.
                        ConnResult {
                            rejections: vec![Rejection::new(Record::open(), vec![reason])],
                            errors: 1,
                            ..ConnResult::empty()
                        }
                    })
                })
                .collect()
        })
    } else {
        core.protocol
            .connections
            .iter()
            .zip(routed)
            .zip(instances.iter_mut())
            .map(|((conn, r), inst)| run_connection(core, conn, r, inst, request, parameters))
            .collect()
    };

    Pending {
        validation,
        connections: results,
    }
}

fn validate_and_factor_parallel(
    core: &SessionCore,
    records: Vec<Record>,
    request: &[Option<Value>],
    active: &[bool],
    chunks: usize,
) -> (Validated, ContainerRecords) {
    let size = records.len().div_ceil(chunks);
    let mut parts: Vec<Vec<Record>> = Vec::with_capacity(chunks);
    let mut it = records.into_iter();
    loop {
        let chunk: Vec<Record> = it.by_ref().take(size).collect();
        if chunk.is_empty() {
            break;
        }
        parts.push(chunk);
    }
    let results: Vec<(Validated, ContainerRecords)> = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|chunk| s.spawn(move || validate_and_factor(core, chunk, request, active)))
            .collect();
        handles
            .into_iter()
            // A panic here is a bug of the library: it goes on to the submit's handler, which
            // reports the submit as failed, instead of dropping this chunk's records silently.
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut validated = Validated::default();
    let mut factored = ContainerRecords::default();
    for (v, f) in results {
        validated.required.extend(v.required);
        validated.conditions.extend(v.conditions);
        factored.append(f);
    }
    (validated, factored)
}

fn instantiate(core: &SessionCore) -> Vec<ConnectionInstance> {
    core.protocol
        .connections
        .iter()
        .map(instantiate_one)
        .collect()
}

fn instantiate_one(conn: &ConnectionDef) -> ConnectionInstance {
    let endpoint = match catch_unwind(AssertUnwindSafe(|| conn.prepared.instantiate())) {
        Ok(r) => r,
        Err(p) => Err(Error::Panic(format!(
            "endpoint panicked while starting: {}",
            panic_message(&*p)
        ))),
    };
    ConnectionInstance {
        endpoint,
        state: Record::new(conn.state_layout.clone()),
    }
}

fn run_connection(
    core: &SessionCore,
    conn: &ConnectionDef,
    routed: ContainerRecords,
    inst: &mut ConnectionInstance,
    request: &[Option<Value>],
    parameters: &Parameters,
) -> ConnResult {
    // Runtime parameters of the request override the manifest's constructor values.
    let merged;
    let constructor = match parameters.get(&*conn.id) {
        Some(overrides) if !overrides.is_empty() => {
            let mut m = conn.constructor.clone();
            m.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
            merged = m;
            &merged
        }
        _ => &conn.constructor,
    };
    conn.stats.add_routed(routed.records.len());
    let endpoint = match &mut inst.endpoint {
        Ok(e) => e,
        Err(err) => {
            let reason = format!("connection {}: {}", conn.id, err.message());
            return ConnResult {
                rejections: failure_rejections(routed.records, reason),
                errors: 1,
                ..ConnResult::empty()
            };
        }
    };
    let mut call = EndpointCall {
        conn,
        container: &core.container,
        routed,
        state: &mut inst.state,
        cache: TransformCache::default(),
        root: &core.root,
        constructor,
        request_conditions: request,
        schema: &core.schema,
        outputs: Vec::new(),
        rejections: Vec::new(),
        transform_error: None,
        later: None,
        custody: Custody::default(),
        answered: Vec::new(),
    };
    let result = catch_unwind(AssertUnwindSafe(|| endpoint.process(&mut call)));
    let failure = match result {
        Ok(Ok(())) => call.transform_error.take(),
        // A transformation that failed during the call is the root cause.
        Ok(Err(e)) => Some(call.transform_error.take().unwrap_or(e)),
        Err(p) => Some(Error::Panic(format!(
            "endpoint panicked: {}",
            panic_message(&*p)
        ))),
    };
    let outputs = std::mem::take(&mut call.outputs);
    let unanswered = call.take_unanswered();
    let mut rejections = std::mem::take(&mut call.rejections);
    // A finisher registered before a failure still runs: it owns records already handed on.
    let later = call.later.take();
    let custody = call.custody.clone();
    drop(call);
    let errors = usize::from(failure.is_some());
    if let Some(err) = failure {
        // Every record routed to the connection ends returned (what the endpoint returned
        // before it failed) or rejected: those it was not yet given and those it took and
        // dropped, with a reason naming the connection.
        let reason = format!("connection {}: {}", conn.id, err.message());
        crate::log::warn(&reason);
        let mut held = unanswered;
        held.append(&mut custody.take());
        rejections.extend(failure_rejections(held, reason));
    } else if later.is_none() {
        // A successful endpoint answers for what it took: records it dropped were consumed.
        drop(custody.take());
    }
    ConnResult {
        records: narrow(conn, outputs),
        rejections,
        later,
        custody,
        errors,
    }
}

/// Applies the connection's `fields` narrowing (unless the endpoint applies it itself) to
/// output records that do not already have the connection's output layout.
fn narrow(conn: &ConnectionDef, mut outputs: Vec<Record>) -> Vec<Record> {
    if conn.fields.is_empty() || conn.prepared.applies_fields() {
        return outputs;
    }
    let mut narrowed = DerivedLayouts::default();
    for r in outputs.iter_mut() {
        if conn
            .output_layout
            .as_ref()
            .is_some_and(|l| Arc::ptr_eq(l, r.layout()))
        {
            continue;
        }
        let target = narrowed.of(r.layout(), |l| l.narrowed(&conn.fields));
        if target.len() != r.len() {
            *r = r.project(&target);
        }
    }
    outputs
}
