//! The worker pool: submits run on a fixed set of library threads fed by a crossbeam channel.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use crossbeam_channel::{unbounded, Sender};

type Job = Box<dyn FnOnce() + Send + 'static>;

struct Pool {
    tx: Sender<Job>,
    threads: usize,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        crate::tune_allocator();
        let threads = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .max(2);
        let (tx, rx) = unbounded::<Job>();
        for i in 0..threads {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("messageapi-{i}"))
                .spawn(move || {
                    for job in rx.iter() {
                        // Jobs complete their own responses; this only keeps the worker alive.
                        if let Err(p) = catch_unwind(AssertUnwindSafe(job)) {
                            crate::log::error(&format!(
                                "a worker job panicked: {}",
                                crate::error::panic_message(&*p)
                            ));
                        }
                    }
                });
            if let Err(e) = spawned {
                crate::log::error(&format!("cannot start a worker thread: {e}"));
            }
        }
        Pool { tx, threads }
    })
}

/// Runs `job` on a worker thread (in submission order of pick-up).
pub fn spawn(job: impl FnOnce() + Send + 'static) {
    if let Err(e) = pool().tx.send(Box::new(job)) {
        // The pool cannot be gone while the process runs; run inline rather than lose work.
        (e.into_inner())();
    }
}

/// How many workers the pool has (parallel sessions split work this many ways).
pub fn threads() -> usize {
    pool().threads
}
