//! `fork()`: a child process has only the thread that called `fork()`. The library counts
//! forks (a `pthread_atfork` child handler, registered when the configuration is fixed) so
//! that what belongs to threads of the parent is recognised in the child: the worker pool is
//! made anew there, and objects whose threads stayed behind (broker clients) are never waited
//! for (see [`ForkBound`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

static GENERATION: AtomicU64 = AtomicU64::new(0);

extern "C" fn in_child() {
    // Async-signal-safe: one atomic add.
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// Registers the child handler (once per process; a child inherits it).
pub(crate) fn watch() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: registers a handler that only adds to an atomic.
        let rc = unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
        if rc != 0 {
            crate::log::warn(&format!(
                "pthread_atfork failed ({rc}): a child process after fork() may hang"
            ));
        }
    });
}

/// How many `fork()`s separate this process from the one that loaded the library: 0 in it,
/// 1 in its children, and so on. Values made in one generation and used in another belong to
/// a parent's threads.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}

/// A value that owns threads (a broker client, a thread's handle): usable in the process that
/// made it, and in a child after `fork()` neither used nor dropped (dropping would wait for
/// threads that are not there). It leaks there instead. (Only the broker endpoints use it.)
#[cfg_attr(not(any(feature = "kafka", feature = "amqp")), allow(dead_code))]
pub struct ForkBound<T> {
    value: std::mem::ManuallyDrop<T>,
    generation: u64,
}

#[cfg_attr(not(any(feature = "kafka", feature = "amqp")), allow(dead_code))]
impl<T> ForkBound<T> {
    pub fn new(value: T) -> ForkBound<T> {
        ForkBound {
            value: std::mem::ManuallyDrop::new(value),
            generation: generation(),
        }
    }

    /// The value, unless this is a child of the process that made it.
    pub fn get(&self) -> Option<&T> {
        (self.generation == generation()).then_some(&*self.value)
    }

    /// Whether the value was made before a `fork()` that made this process.
    pub fn is_stale(&self) -> bool {
        self.generation != generation()
    }

    /// The value, unless this is a child of the process that made it (then it leaks).
    pub fn into_inner(mut self) -> Option<T> {
        let fresh = !self.is_stale();
        // SAFETY: taken once; `self` is forgotten right after, so Drop does not see it.
        let value = unsafe { std::mem::ManuallyDrop::take(&mut self.value) };
        std::mem::forget(self);
        if fresh {
            Some(value)
        } else {
            std::mem::forget(value);
            None
        }
    }
}

impl<T> Drop for ForkBound<T> {
    fn drop(&mut self) {
        if !self.is_stale() {
            // SAFETY: dropped once, here.
            unsafe { std::mem::ManuallyDrop::drop(&mut self.value) };
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for ForkBound<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.get() {
            Some(v) => v.fmt(f),
            None => f.write_str("(left behind by fork())"),
        }
    }
}

/// Where a value was made, for values that hold threads in fields of their own: in a child
/// after `fork()`, [`Origin::is_elsewhere`] says their `Drop` must leave those fields alone
/// (`std::mem::forget` them) rather than wait for threads the child does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin(u64);

impl Origin {
    /// This process.
    pub fn here() -> Origin {
        Origin(generation())
    }

    /// Whether this process is a child, after `fork()`, of the one that made the value.
    pub fn is_elsewhere(self) -> bool {
        self.0 != generation()
    }
}
