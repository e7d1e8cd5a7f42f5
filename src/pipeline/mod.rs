//! A submit from start to completion. Each request has a [`Stream`]: its submits pass through
//! four stages, every one of them inside a panic boundary, and the stream keeps their order:
//!
//! 1. **prepare** (validate, factor, route): needs nothing of the request, so it overlaps the
//!    previous submit's endpoint work;
//! 2. **run** the endpoints, one submit at a time in submit order, with the request's endpoint
//!    instances (stream mode);
//! 3. **finish**: the endpoints' finishers (the Kafka producer waits for delivery reports
//!    there), which overlap the next submit's run;
//! 4. **complete**, in submit order: dead letters, statistics, the response.
//!
//! Then, once the program has let go of the response (freed it, or freed the request), the
//! commits consumers registered for the submit run, in submit order ([`CommitQueue`]): a Kafka
//! consumer commits, an AMQP consumer acknowledges, only what is in a completed response.
//!
//! No thread ever waits for another submit: a stage that cannot start yet is parked, and the
//! stage that clears its way starts it. With workers the stages run as tasks of the request's
//! group (a thread that waits on a response runs them itself when it can); with `workers: 0`
//! each submit runs all four on the calling thread before `submit` returns.

pub(crate) mod commits;
mod dead_letters;
mod stages;
mod validate;

use std::collections::{BTreeMap, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::error::panic_message;
use crate::protocol::call::Commit;
use crate::record::{Record, Rejection, Stage};
use crate::response::{Outcome, Response};
use crate::runtime::pool::{lock, Group};
use crate::session_core::SessionCore;
use crate::value::Value;
pub(crate) use commits::CommitQueue;
use dead_letters::{dead_letter, DeadLetterState};
use stages::{Pending, Routed, StreamState};
pub(crate) use validate::verdict;

/// Runtime parameters of a request: connection id → constructor key → value.
pub type Parameters = HashMap<String, serde_json::Map<String, serde_json::Value>>;

/// One request's submits in flight, their order, and what they share: the endpoint instances
/// and the dead-letter connection's instance (kept across resubmits: stream mode).
pub(crate) struct Stream {
    core: Arc<SessionCore>,
    group: Group,
    order: Mutex<Order>,
    /// The consumers' commits of each submit, until the program lets go of its response.
    commits: Arc<CommitQueue>,
}

struct Order {
    /// The number the next submit gets.
    next: u64,
    /// The submit whose endpoints run next, and the instances they run with (taken while a
    /// submit's endpoints run).
    run_turn: u64,
    instances: Option<StreamState>,
    /// Prepared submits waiting for their turn to run.
    to_run: BTreeMap<u64, Submit>,
    /// The submit that completes next, and the dead-letter instance (taken meanwhile).
    complete_turn: u64,
    dead_letters: Option<DeadLetterState>,
    /// Finished submits waiting for their turn to complete.
    to_complete: BTreeMap<u64, Submit>,
}

/// One submit on its way through the stages.
struct Submit {
    seq: u64,
    work: Work,
    request_values: Vec<Option<Value>>,
    parameters: Parameters,
    response: Response,
    submitted: usize,
    started: Instant,
    /// The endpoints' commits, once they ran.
    commits: Vec<Commit>,
}

enum Work {
    Records(Vec<Record>),
    Routed(Routed),
    Done(Outcome),
}

impl Stream {
    pub(crate) fn new(core: Arc<SessionCore>) -> Arc<Stream> {
        let group = Group::default();
        Arc::new(Stream {
            core,
            order: Mutex::new(Order {
                next: 0,
                run_turn: 0,
                instances: Some(StreamState::default()),
                to_run: BTreeMap::new(),
                complete_turn: 0,
                dead_letters: Some(DeadLetterState::default()),
                to_complete: BTreeMap::new(),
            }),
            commits: CommitQueue::new(group.clone()),
            group,
        })
    }

    /// The request is freed: completed responses' commits run now, pending ones' never.
    pub(crate) fn request_freed(&self) {
        self.commits.request_freed();
    }

    /// The request is abandoned: nothing not yet released is committed, ever.
    pub(crate) fn abandon(&self) {
        self.commits.abandon();
    }

    /// Submits `records`: returns the response at once (complete already without workers).
    pub(crate) fn submit(
        self: &Arc<Stream>,
        records: Vec<Record>,
        request_values: Vec<Option<Value>>,
        parameters: Parameters,
    ) -> Response {
        let core = &self.core;
        let submitted = records.len();
        core.stats.submitted(submitted);
        if let Some(outcome) = self.refusal(&records) {
            let response = Response::pending(self.group.clone(), None);
            // In a child after fork(): answered at once, never queued behind work that stayed
            // with the parent.
            core.stats
                .completed(0, count_stages(&outcome), 0, std::time::Duration::ZERO);
            response.complete(outcome);
            return response;
        }
        let seq = {
            let mut order = lock(&self.order);
            order.next += 1;
            // Entered in submit order.
            self.commits.submitted(order.next - 1);
            order.next - 1
        };
        let response = Response::pending(self.group.clone(), Some((self.commits.clone(), seq)));
        let submit = Submit {
            seq,
            work: Work::Records(records),
            request_values,
            parameters,
            response: response.clone(),
            submitted,
            started: Instant::now(),
            commits: Vec::new(),
        };
        let me = self.clone();
        self.group.spawn(move || me.prepare(submit));
        response
    }

    /// Why this submit cannot run at all: a session only checked, in a child after `fork()`, a session whose broker
    /// clients stayed with the parent (every record rejected), or a request whose work did.
    fn refusal(&self, records: &[Record]) -> Option<Outcome> {
        let (connection, reason) = match self.core.left_behind_by_fork() {
            Some((conn, reason)) => (Some(conn), reason),
            None if self.core.checked_only => (
                None,
                "this session was only checked (mapi check): it loaded no native library, \
                 read no secret and connects nowhere, so it runs nothing; open it to submit"
                    .to_string(),
            ),
            None if !self.group.survives_fork() => (
                None,
                "this request was in use on another thread when the process forked; make a \
                 new request in this process"
                    .to_string(),
            ),
            None => return None,
        };
        let stage = if connection.is_some() {
            Stage::Endpoint
        } else {
            Stage::Internal
        };
        let rejected = |record: Record| {
            let mut r = Rejection::at(stage, record, vec![reason.clone()]);
            r.connection = connection.as_deref().map(Arc::from);
            r
        };
        let rejections = if records.is_empty() {
            vec![rejected(Record::open())]
        } else {
            records.iter().cloned().map(rejected).collect()
        };
        Some(Outcome {
            records: Vec::new(),
            rejections,
        })
    }

    /// Stage 1: validate, factor and route (no stream needed), then run when it is this
    /// submit's turn.
    fn prepare(self: Arc<Stream>, mut submit: Submit) {
        let n = submit.submitted;
        submit.work = match std::mem::replace(&mut submit.work, Work::Done(Outcome::default())) {
            Work::Records(records) => match catch_unwind(AssertUnwindSafe(|| {
                stages::prepare(&self.core, records, &submit.request_values)
            })) {
                Ok(routed) => Work::Routed(routed),
                Err(p) => Work::Done(internal_error(n, &*p)),
            },
            other => other,
        };
        let mut order = lock(&self.order);
        if order.run_turn == submit.seq {
            if let Some(instances) = order.instances.take() {
                drop(order);
                return self.run(submit, instances);
            }
        }
        order.to_run.insert(submit.seq, submit);
    }

    /// Stages 2 and 3: the endpoints on the request's instances, then (the instances handed
    /// to the next submit) the endpoints' finishers.
    fn run(self: Arc<Stream>, mut submit: Submit, mut instances: StreamState) {
        let n = submit.submitted;
        let pending: Option<Pending> =
            match std::mem::replace(&mut submit.work, Work::Done(Outcome::default())) {
                Work::Routed(routed) => match catch_unwind(AssertUnwindSafe(|| {
                    stages::run(
                        &self.core,
                        routed,
                        &submit.request_values,
                        &submit.parameters,
                        &mut instances,
                    )
                })) {
                    Ok(mut p) => {
                        if let Some(conn) = p.lost_reads() {
                            self.commits.poison(
                                submit.seq,
                                &format!("connection {conn} failed after reading messages"),
                            );
                        }
                        submit.commits = p.take_commits();
                        Some(p)
                    }
                    Err(p) => {
                        self.commits
                            .poison(submit.seq, "its endpoints failed inside the library");
                        submit.work = Work::Done(internal_error(n, &*p));
                        None
                    }
                },
                done => {
                    submit.work = done;
                    None
                }
            };
        // The next submit's endpoints may run now, beside this one's finishers.
        let next = {
            let mut order = lock(&self.order);
            let turn = submit.seq + 1;
            order.run_turn = turn;
            match order.to_run.remove(&turn) {
                Some(next) => Some((next, instances)),
                None => {
                    order.instances = Some(instances);
                    None
                }
            }
        };
        if let Some((next, instances)) = next {
            let me = self.clone();
            self.group.spawn(move || me.run(next, instances));
        }
        if let Some(pending) = pending {
            submit.work = Work::Done(
                catch_unwind(AssertUnwindSafe(|| pending.finish(&self.core))).unwrap_or_else(|p| {
                    self.commits
                        .poison(submit.seq, "its finishers failed inside the library");
                    internal_error(n, &*p)
                }),
            );
        }
        let mut order = lock(&self.order);
        if order.complete_turn == submit.seq {
            if let Some(letters) = order.dead_letters.take() {
                drop(order);
                return self.complete(submit, letters);
            }
        }
        order.to_complete.insert(submit.seq, submit);
    }

    /// Stage 4, in submit order: dead letters, statistics, the response; then each finished
    /// submit whose turn comes next.
    fn complete(self: Arc<Stream>, mut submit: Submit, mut letters: DeadLetterState) {
        loop {
            let outcome = match std::mem::replace(&mut submit.work, Work::Done(Outcome::default()))
            {
                Work::Done(o) => o,
                _ => Outcome::internal(
                    "internal error: a submit reached completion unfinished".into(),
                ),
            };
            // The turn passes on whatever happens here: a panic completes the response with
            // the library's error instead of leaving the request's later submits parked.
            let finished = catch_unwind(AssertUnwindSafe(|| {
                self.finish_submit(&mut submit, outcome, &mut letters)
            }));
            if let Err(p) = finished {
                self.commits
                    .poison(submit.seq, "its completion failed inside the library");
                submit
                    .response
                    .complete(internal_error(submit.submitted, &*p));
            }
            // (The release normally comes when the pipeline's own handle of the response goes,
            // just below; this covers a response whose handles were all gone already.)
            self.commits.kick();
            let mut order = lock(&self.order);
            let turn = submit.seq + 1;
            order.complete_turn = turn;
            match order.to_complete.remove(&turn) {
                Some(next) => submit = next,
                None => {
                    order.dead_letters = Some(letters);
                    return;
                }
            }
        }
    }

    fn finish_submit(
        &self,
        submit: &mut Submit,
        mut outcome: Outcome,
        letters: &mut DeadLetterState,
    ) {
        let core = &self.core;
        // Counted before dead-lettering adds reasons.
        let by_stage = count_stages(&outcome);
        let invalid = by_stage[Stage::Required.index()] + by_stage[Stage::Condition.index()];
        let accepted = if by_stage[Stage::Internal.index()] > 0 {
            0
        } else {
            submit.submitted.saturating_sub(invalid)
        };
        let mut letters_written = true;
        if core.protocol.dead_letter.is_some() {
            let rejected = outcome.rejections.len();
            let lettered = catch_unwind(AssertUnwindSafe(|| {
                dead_letter(core, &mut outcome, letters)
            }));
            match lettered {
                Ok(written) => letters_written = written >= rejected,
                Err(p) => {
                    letters_written = false;
                    let reason = format!(
                        "dead letter not written: internal error: {}",
                        panic_message(&*p)
                    );
                    crate::log::error(&reason);
                    for r in outcome.rejections.iter_mut() {
                        r.reasons.push(reason.clone());
                    }
                }
            }
        }
        // The commits wait with the response (before it completes: a program woken by it
        // may free the request at once); a dead letter not written keeps its message, and so
        // every later one, uncommitted.
        let commits = std::mem::take(&mut submit.commits);
        if !letters_written {
            self.commits
                .poison(submit.seq, "a dead letter was not written");
        }
        core.stats.completed(
            accepted,
            by_stage,
            outcome.records.len(),
            submit.started.elapsed(),
        );
        let response = &submit.response;
        self.commits
            .store_and_complete(submit.seq, commits, || response.complete(outcome));
    }
}

/// How many rejections of each stage an outcome has.
fn count_stages(outcome: &Outcome) -> [usize; 4] {
    let mut by_stage = [0usize; 4];
    for r in &outcome.rejections {
        by_stage[r.stage.index()] += 1;
    }
    by_stage
}

/// The outcome of a submit whose stage panicked (a bug of the library): one rejection saying so.
fn internal_error(submitted: usize, p: &(dyn std::any::Any + Send)) -> Outcome {
    let msg = format!(
        "internal error: a submit of {submitted} records failed: {}",
        panic_message(p)
    );
    crate::log::error(&msg);
    Outcome::internal(msg)
}
