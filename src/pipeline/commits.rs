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

    /// Submit `seq` completed, its dead letters written, with these commits.
    pub(crate) fn completed(self: &Arc<Self>, seq: u64, commits: Vec<Commit>) {
        {
            let mut s = lock(&self.state);
            match s.entries.iter_mut().find(|e| e.seq == seq) {
                Some(e) => e.commits = Some(commits),
                None => return,
            }
        }
        self.run_released();
    }

    /// The program let go of response `seq`: its commits may run (after the earlier ones).
    pub(crate) fn released(self: &Arc<Self>, seq: u64) {
        let ready = {
            let mut s = lock(&self.state);
            match s.entries.iter_mut().find(|e| e.seq == seq) {
                Some(e) => e.released = true,
                None => return,
            }
            s.entries
                .front()
                .is_some_and(|e| e.released && e.commits.is_some())
        };
        if ready {
            // Not on the program's thread: a commit waits for the broker.
            let me = self.clone();
            self.group.spawn(move || me.run_released());
        }
    }

    /// A stage of submit `seq` failed inside the library, its commits unknown: nothing from
    /// it on is committed, so that no message is committed past one that was never returned.
    pub(crate) fn poison(&self, seq: u64) {
        crate::log::error(&format!(
            "submit {seq} of a request failed inside the library: from it on, nothing this \
             request consumes is committed (the messages are delivered again)"
        ));
        self.close();
    }

    /// The request was freed: completed submits are released and committed now; those still
    /// pending never are (their messages are delivered again).
    pub(crate) fn request_freed(self: &Arc<Self>) {
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

    /// Nothing not committed yet ever is.
    pub(crate) fn close(&self) {
        let dropped = {
            let mut s = lock(&self.state);
            s.closed = true;
            std::mem::take(&mut s.entries)
        };
        self.discard(dropped);
    }

    /// Runs the commits of the released submits at the front, in order.
    fn run_released(&self) {
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
            if self.origin.is_elsewhere() {
                self.discard_commits(batch);
                continue;
            }
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

    fn discard(&self, entries: VecDeque<Entry>) {
        for e in entries {
            if let Some(c) = e.commits {
                self.discard_commits(c);
            }
        }
    }

    /// Drops commits that will never run; in a child after `fork()` they are forgotten
    /// instead (dropping a client there would wait for the parent's threads).
    fn discard_commits(&self, commits: Vec<Commit>) {
        if self.origin.is_elsewhere() {
            std::mem::forget(commits);
        }
    }
}
