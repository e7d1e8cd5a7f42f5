//! Responses: returned at once by submit, completed by the submit's last stage with the
//! records that came back and the rejections. A response always completes.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::record::{Record, Rejection, Stage};
use crate::runtime::pool::{self, Group, Waited, WorkerId};

/// What a completed submit produced.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// Connection order, then endpoint order.
    pub records: Vec<Record>,
    /// Required-field rejections, then condition rejections (input order), then endpoint ones.
    pub rejections: Vec<Rejection>,
}

impl Outcome {
    /// An outcome of one rejection, of the library's own failure (`internal` stage).
    pub(crate) fn internal(reason: String) -> Outcome {
        Outcome {
            records: Vec::new(),
            rejections: vec![Rejection::at(Stage::Internal, Record::open(), vec![reason])],
        }
    }
}

struct ResponseShared {
    outcome: OnceLock<Outcome>,
    /// The request's tasks: a waiting thread runs them, and is woken when this completes.
    group: Group,
    /// The worker that completed it (and made most of its records), if one did.
    completed_by: OnceLock<WorkerId>,
    /// Its request's commit queue and its submit number: letting go of the last handle
    /// releases the submit's commits.
    commits: Option<(Arc<crate::pipeline::commits::CommitQueue>, u64)>,
}

impl Drop for ResponseShared {
    fn drop(&mut self) {
        // Every handle is gone (the program's, and the pipeline's once it completed): the
        // consumers may commit what this submit read.
        if let Some((queue, seq)) = self.commits.take() {
            queue.released(seq);
        }
        // The records go back to the worker that made them, to be freed there when it is
        // idle: freeing is then local to its allocator, and the host's thread returns at once.
        if let (Some(outcome), Some(&worker)) = (self.outcome.take(), self.completed_by.get()) {
            if pool::this_worker() != Some(worker) && !outcome.records.is_empty() {
                pool::drop_on(worker, Box::new(outcome));
            }
        }
    }
}

/// A pending or completed submit. Cloning shares it; it may be read from any thread.
///
/// Letting go of a response (dropping its last handle; `mapi_response_free` in C) tells the
/// request's consumers the program is done with its records: they commit (Kafka) or
/// acknowledge (AMQP) its messages then, in submit order, once it is complete.
///
/// ```
/// let session = messageapi::Session::from_json(
///     r#"{"fields": [{"id": "n", "type": "integer", "required": true}],
///         "collections": [{"id": "c", "fields": ["n"]}],
///         "endpoints": [{"plugin": "evaluation", "connections": [{"id": "all", "collections": ["c"]}]}]}"#,
///     None,
/// )?;
/// let mut request = session.request();
/// request.add_record().set("n", messageapi::Value::Integer(7))?;
/// let response = request.submit(); // at once: the work runs on the library's workers
/// let outcome = response.wait(Some(std::time::Duration::from_secs(10)))?;
/// assert!(response.is_complete());
/// assert_eq!(outcome.records[0].get_int("n")?, 7);
/// # Ok::<(), messageapi::Error>(())
/// ```
#[derive(Clone)]
pub struct Response {
    shared: Arc<ResponseShared>,
}

impl Response {
    /// A pending response of a submit whose stages queue in `group`; `commits`: its request's
    /// commit queue and submit number.
    pub(crate) fn pending(
        group: Group,
        commits: Option<(Arc<crate::pipeline::commits::CommitQueue>, u64)>,
    ) -> Response {
        Response {
            shared: Arc::new(ResponseShared {
                outcome: OnceLock::new(),
                group,
                completed_by: OnceLock::new(),
                commits,
            }),
        }
    }

    /// Whether the work has finished.
    pub fn is_complete(&self) -> bool {
        if self.shared.outcome.get().is_some() {
            return true;
        }
        // In a child after fork(), work that ran on the parent's threads ends here, now.
        if !self.shared.group.survives_fork() {
            self.left_behind();
            return true;
        }
        false
    }

    /// Waits for completion (`None`: forever). `Error::TimedOut` when the time runs out first.
    /// A thread with a library thread's stack runs the request's queued work itself meanwhile.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<&Outcome> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let shared = &self.shared;
        match shared
            .group
            .wait_until(&|| shared.outcome.get().is_some(), deadline)
        {
            Waited::Done => {}
            Waited::LeftBehind => self.left_behind(),
            Waited::TimedOut => {
                return Err(Error::TimedOut(format!(
                    "the response did not complete within {} ms",
                    timeout.map_or(0, |t| t.as_millis())
                )))
            }
        }
        self.shared
            .outcome
            .get()
            .ok_or_else(|| Error::Panic("response marked complete without an outcome".into()))
    }

    /// The outcome, once complete.
    pub fn outcome(&self) -> Option<&Outcome> {
        if self.is_complete() {
            self.shared.outcome.get()
        } else {
            None
        }
    }

    /// The records, once complete.
    pub fn records(&self) -> Option<&[Record]> {
        self.outcome().map(|o| o.records.as_slice())
    }

    /// The rejections (empty until complete).
    pub fn rejections(&self) -> &[Rejection] {
        self.outcome().map_or(&[], |o| o.rejections.as_slice())
    }

    pub(crate) fn complete(&self, outcome: Outcome) {
        if let Some(worker) = pool::this_worker() {
            let _ = self.shared.completed_by.set(worker);
        }
        let _ = self.shared.outcome.set(outcome);
        self.shared.group.notify();
    }

    /// Completes a response whose work stayed with the parent process at `fork()`.
    fn left_behind(&self) {
        self.complete(Outcome::internal(
            "this submit was running on another thread when the process forked: its work \
             and its records stayed with the parent process"
                .into(),
        ));
    }
}
