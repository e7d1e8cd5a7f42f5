//! Responses: returned at once by submit, completed by a worker with the records that came back
//! and the rejections. A response always completes.

use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::record::{Record, Rejection};

/// What a completed submit produced.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// Connection order, then endpoint order.
    pub records: Vec<Record>,
    /// Required-field rejections, then condition rejections (input order), then endpoint ones.
    pub rejections: Vec<Rejection>,
}

#[derive(Default)]
pub(crate) struct ResponseShared {
    outcome: OnceLock<Outcome>,
    done: Mutex<bool>,
    cv: Condvar,
}

/// A pending or completed submit. Cloning shares it; it may be read from any thread.
#[derive(Clone, Default)]
pub struct Response {
    shared: Arc<ResponseShared>,
}

impl Response {
    pub(crate) fn new() -> Response {
        Response::default()
    }

    /// Whether the work has finished.
    pub fn is_complete(&self) -> bool {
        self.shared.outcome.get().is_some()
    }

    /// Waits for completion (`None`: forever). `Error::TimedOut` when the time runs out first.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<&Outcome> {
        if let Some(o) = self.shared.outcome.get() {
            return Ok(o);
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut done = self.shared.done.lock().unwrap_or_else(|p| p.into_inner());
        while !*done {
            match deadline {
                None => done = self.shared.cv.wait(done).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Err(Error::TimedOut(format!(
                            "the response did not complete within {} ms",
                            timeout.map_or(0, |t| t.as_millis())
                        )));
                    }
                    done = self
                        .shared
                        .cv
                        .wait_timeout(done, d - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
            }
        }
        drop(done);
        self.shared
            .outcome
            .get()
            .ok_or_else(|| Error::Panic("response marked complete without an outcome".into()))
    }

    /// The outcome, once complete.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.shared.outcome.get()
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
        let _ = self.shared.outcome.set(outcome);
        let mut done = self.shared.done.lock().unwrap_or_else(|p| p.into_inner());
        *done = true;
        self.shared.cv.notify_all();
    }
}
