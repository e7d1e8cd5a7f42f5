//! When a consumer's commits run: the messages of submit N are committed (Kafka) or
//! acknowledged (AMQP) once response N is complete, its dead letters written, and the program
//! has let go of it (freed the response, or freed the request); in submit order, one batch at a
//! time. A request abandoned, or freed while a response is pending, commits nothing more.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use crate::error::panic_message;
use crate::protocol::call::Commit;
use crate::runtime::fork::Origin;
use crate::runtime::pool::{lock, Group};

/// One request's submits, from submit to commit.
pub(crate) struct CommitQueue {
    state: Mutex<State>,
    /// Held while commits run: one batch at a time, in submit order.
    committing: Mutex<()>,
    /// Where a release made on the program's thread runs the commits (a worker, or at once).
    group: Group,
    /// The consumers' clients live in this process; a child after `fork()` never commits.
    origin: Origin,
}

#[derive(Default)]
struct State {
    /// Submits not committed yet, in submit order.
    entries: VecDeque<Entry>,
    /// Abandoned, or freed: nothing more is committed.
    closed: bool,
}

struct Entry {
    seq: u64,
    /// The consumers' commits, once the submit completed.
    commits: Option<Vec<Commit>>,
    /// The program let go of the response.
    released: bool,
}

impl CommitQueue {
    pub(crate) fn new(group: Group) -> Arc<CommitQueue> {
        Arc::new(CommitQueue {
            state: Mutex::new(State::default()),
            committing: Mutex::new(()),
            group,
            origin: Origin::here(),
        })
    }

    /// Submit `seq` was made (called in submit order).
    pub(crate) fn submitted(&self, seq: u64) {
        let mut s = lock(&self.state);
        if !s.closed {
            s.entries.push_back(Entry {
                seq,
                commits: None,
                released: false,
            });
        }
    }

    /// Submit `seq` is about to complete, its dead letters written, with these commits: stored
    /// before its response completes, so that a program woken by the completion finds them
    /// (freeing the request at once commits them). [`CommitQueue::kick`] runs them once released.
    ///
    /// `complete` (the response's completion) runs under the queue's lock, so that a request
    /// freed meanwhile sees the submit either pending (nothing committed) or complete with its
    /// commits, never in between.
    pub(crate) fn store_and_complete(
        &self,
        seq: u64,
        commits: Vec<Commit>,
        complete: impl FnOnce(),
    ) {
        if self.origin.is_elsewhere() {
            std::mem::forget(commits);
            return complete();
        }
        let mut s = lock(&self.state);
        if let Some(e) = s.entries.iter_mut().find(|e| e.seq == seq) {
            e.commits = Some(commits);
        } else {
            drop(commits);
        }
        complete();
    }

    /// Runs (on the request's group: not on the completing thread, a commit waits for the
    /// broker) the commits that are released and next in order, if any.
    pub(crate) fn kick(self: &Arc<Self>) {
        if self.origin.is_elsewhere() {
            return;
        }
        let ready = {
            let s = lock(&self.state);
            s.entries
                .front()
                .is_some_and(|e| e.released && e.commits.is_some())
        };
        if ready {
            let me = self.clone();
            self.group.spawn(move || me.run_released());
        }
    }

    /// The program let go of response `seq`: its commits may run (after the earlier ones).
    pub(crate) fn released(self: &Arc<Self>, seq: u64) {
        if self.origin.is_elsewhere() {
            return;
        }
        {
            let mut s = lock(&self.state);
            match s.entries.iter_mut().find(|e| e.seq == seq) {
                Some(e) => e.released = true,
                None => return,
            }
        }
        self.kick();
    }

    /// Submit `seq` read messages it could not account for (a stage failed inside the library,
    /// a consumer failed after reading, a dead letter was not written): nothing this request
    /// read and did not commit yet is committed any more, since a later commit would cover
    /// those messages too. They are delivered again, to the next consumer.
    pub(crate) fn poison(&self, seq: u64, why: &str) {
        crate::log::error(&format!(
            "submit {seq} of a request: {why}; nothing more this request reads is committed (the \
             messages are delivered again to the next consumer)"
        ));
        self.close();
    }

    /// The request was freed: completed submits are released and committed now; those still
    /// pending never are (their messages are delivered again).
    pub(crate) fn request_freed(self: &Arc<Self>) {
        if self.origin.is_elsewhere() {
            return self.forget_in_child();
        }
        {
            let mut s = lock(&self.state);
            for e in s.entries.iter_mut() {
                if e.commits.is_some() {
                    e.released = true;
                }
            }
        }
        self.run_released();
        self.close();
    }

    /// The request is abandoned: commits already released still run (their responses were
    /// freed); nothing else not committed yet ever is.
    pub(crate) fn abandon(&self) {
        if self.origin.is_elsewhere() {
            return self.forget_in_child();
        }
        self.run_released();
        self.close();
    }

    /// In a child after `fork()`: the commits are the parent's (their clients' threads are
    /// there); forgotten without waiting on a lock a parent's thread may have held.
    fn forget_in_child(&self) {
        if let Ok(mut s) = self.state.try_lock() {
            s.closed = true;
            std::mem::forget(std::mem::take(&mut s.entries));
        }
    }

    /// Nothing not committed yet ever is.
    pub(crate) fn close(&self) {
        if self.origin.is_elsewhere() {
            return self.forget_in_child();
        }
        let dropped = {
            let mut s = lock(&self.state);
            s.closed = true;
            std::mem::take(&mut s.entries)
        };
        // (Outside the lock: dropping a commit may drop a broker client.)
        drop(dropped);
    }

    /// Runs the commits of the released submits at the front, in order.
    fn run_released(&self) {
        if self.origin.is_elsewhere() {
            return self.forget_in_child();
        }
        let _turn = lock(&self.committing);
        loop {
            let batch = {
                let mut s = lock(&self.state);
                match s.entries.front() {
                    Some(e) if e.released && e.commits.is_some() && !s.closed => {
                        s.entries.pop_front().and_then(|e| e.commits)
                    }
                    _ => return,
                }
            };
            let Some(batch) = batch else { continue };
            for commit in batch {
                if let Err(p) = catch_unwind(AssertUnwindSafe(commit)) {
                    crate::log::error(&format!(
                        "internal error: a consumer's commit panicked ({}); its messages are delivered again",
                        panic_message(&*p)
                    ));
                }
            }
        }
    }
}

impl Drop for CommitQueue {
    /// In a child after `fork()`, the commits (and the broker clients they hold) are forgotten:
    /// dropping a client there would wait for the parent's threads.
    fn drop(&mut self) {
        if self.origin.is_elsewhere() {
            let state = match self.state.get_mut() {
                Ok(s) => s,
                Err(p) => p.into_inner(),
            };
            std::mem::forget(std::mem::take(&mut state.entries));
        }
    }
}
