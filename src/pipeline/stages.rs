//! The stages of one submit: prepare (validate → factor → route), run (the endpoints, on the
//! request's stream) and finish (the endpoints' finishers → the outcome).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use super::validate::{validate, Validated};
use super::Parameters;
use crate::container::eval::TransformCache;
use crate::container::factor::{self, ContainerRecords};
use crate::error::panic_message;
use crate::error::Error;
use crate::protocol::call::{Commit, Custody, Finisher};
use crate::protocol::Endpoint;
use crate::protocol::{self, ConnectionDef};
use crate::protocol::{EndpointCall, Finished};
use crate::record::Rejection;
use crate::record::{DerivedLayouts, Record};
use crate::response::Outcome;
use crate::session_core::{SessionCore, SessionKind};
use crate::value::Value;

/// Endpoint instances and state records of one request (kept across resubmits: stream mode).
#[derive(Default)]
pub(crate) struct StreamState {
    instances: Option<Vec<ConnectionInstance>>,
}

pub(super) struct ConnectionInstance {
    endpoint: Result<Box<dyn Endpoint>, Error>,
    state: Record,
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
pub(super) struct ConnResult {
    records: Vec<Record>,
    rejections: Vec<Rejection>,
    later: Option<Finisher>,
    /// Where records the endpoint took come back to if its finisher fails.
    custody: Custody,
    /// Endpoint failures so far (0 or 1).
    errors: usize,
    /// The endpoint's commits of what it read (run once the submit is complete and released).
    commits: Vec<Commit>,
    /// A committing endpoint failed during the call: what it read may be in no response.
    lost_reads: bool,
}

impl ConnResult {
    fn empty() -> ConnResult {
        ConnResult {
            records: Vec::new(),
            rejections: Vec::new(),
            later: None,
            custody: Custody::default(),
            errors: 0,
            commits: Vec::new(),
            lost_reads: false,
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
    /// The connections' ids, in the same order.
    connection_ids: Vec<Arc<str>>,
}

impl Pending {
    /// The first connection whose committing endpoint failed after it may have read messages.
    pub(crate) fn lost_reads(&self) -> Option<&str> {
        self.connections
            .iter()
            .zip(&self.connection_ids)
            .find(|(c, _)| c.lost_reads)
            .map(|(_, id)| id.as_ref())
    }

    /// The endpoints' commits, in connection order (taken before [`Pending::finish`]).
    pub(crate) fn take_commits(&mut self) -> Vec<Commit> {
        let mut all = Vec::new();
        for c in self.connections.iter_mut() {
            all.append(&mut c.commits);
        }
        all
    }

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
pub(super) fn complete(conn: &ConnectionDef, result: ConnResult) -> (Vec<Record>, Vec<Rejection>) {
    let ConnResult {
        mut records,
        mut rejections,
        later,
        custody,
        mut errors,
        commits,
        lost_reads: _,
    } = result;
    // A submit's commits were taken before (`Pending::take_commits`); a dead-letter sink
    // reads nothing it could commit.
    drop(commits);
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
pub(super) fn redact_reasons(rejections: &mut [Rejection]) {
    for r in rejections.iter_mut() {
        for reason in r.reasons.iter_mut() {
            if let std::borrow::Cow::Owned(clean) = crate::log::redact(reason) {
                *reason = clean;
            }
        }
    }
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
    let chunks = if parallel && records.len() >= 2048 && crate::runtime::pool::has_workers() {
        crate::runtime::pool::threads()
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
    let results: Vec<ConnResult> = if parallel && n > 1 && crate::runtime::pool::has_workers() {
        let mut slots: Vec<Option<std::thread::Result<ConnResult>>> =
            (0..n).map(|_| None).collect();
        crate::runtime::pool::scope(|s| {
            for (((conn, r), inst), slot) in core
                .protocol
                .connections
                .iter()
                .zip(routed)
                .zip(instances.iter_mut())
                .zip(slots.iter_mut())
            {
                s.spawn(move || {
                    *slot = Some(catch_unwind(AssertUnwindSafe(|| {
                        run_connection(core, conn, r, inst, request, parameters)
                    })));
                });
            }
        });
        slots
            .into_iter()
            .zip(core.protocol.connections.iter())
            .map(|(slot, conn)| match slot {
                Some(Ok(result)) => result,
                failed => {
                    let why = match failed {
                        Some(Err(p)) => panic_message(&*p),
                        _ => "it did not run".to_string(),
                    };
                    let reason = format!("connection {}: worker panicked: {why}", conn.id);
                    crate::log::error(&reason);
                    // The connection's records went down with the worker: the failure
                    // shows in the response rather than vanishing.
                    ConnResult {
                        rejections: vec![Rejection::new(Record::open(), vec![reason])],
                        errors: 1,
                        lost_reads: conn.prepared.commits_reads(),
                        ..ConnResult::empty()
                    }
                }
            })
            .collect()
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
        connection_ids: core
            .protocol
            .connections
            .iter()
            .map(|c| c.id.clone())
            .collect(),
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
    let mut results: Vec<Option<(Validated, ContainerRecords)>> =
        (0..parts.len()).map(|_| None).collect();
    // A panic here is a bug of the library: the scope raises it again, and the submit's handler
    // reports the submit as failed, instead of dropping this chunk's records silently.
    crate::runtime::pool::scope(|s| {
        for (chunk, slot) in parts.into_iter().zip(results.iter_mut()) {
            s.spawn(move || *slot = Some(validate_and_factor(core, chunk, request, active)));
        }
    });
    let mut validated = Validated::default();
    let mut factored = ContainerRecords::default();
    for (v, f) in results.into_iter().flatten() {
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

pub(super) fn instantiate_one(conn: &ConnectionDef) -> ConnectionInstance {
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

pub(super) fn run_connection(
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
        commits: Vec::new(),
    };
    let result = catch_unwind(AssertUnwindSafe(|| endpoint.process(&mut call)));
    // A committing endpoint returns an error only before it reads (the built-in consumers);
    // one that panicked may have read messages it never returned.
    let lost_reads = result.is_err() && conn.prepared.commits_reads();
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
    let commits = std::mem::take(&mut call.commits);
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
        commits,
        lost_reads,
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
