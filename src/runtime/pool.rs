//! The worker pool: library threads that run queued tasks, started as work needs them (never
//! more than the configured `workers` while none is blocked), and one more each time work has
//! waited [`STALL`] with every worker busy, up to `max-workers`: a session whose endpoints
//! block (a callback that sleeps, a FIFO, a broker wait) does not hold up another session's
//! submits. Threads started beyond `workers` end after [`RETIRE`] without work.
//!
//! A task is taken once, by whoever comes first: a worker, or a thread that waits for it and
//! runs it itself ([`Group::wait_until`]). After `fork()` the child makes a new pool (the
//! parent's threads are not in it); tasks the parent had queued are still in their groups.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::runtime::{config, fork, threads};

type Job = Box<dyn FnOnce() + Send + 'static>;

/// How long queued work waits with every worker busy before one more worker starts.
pub const STALL: Duration = Duration::from_millis(50);
/// How long a worker started beyond `workers` waits for work before it ends.
pub const RETIRE: Duration = Duration::from_secs(10);

/// A job that runs once, on whichever thread takes it first.
pub struct Task {
    job: Mutex<Option<Job>>,
    /// Counts the group's tasks taken and not yet ended (see [`Group`]).
    running: Option<Arc<AtomicUsize>>,
}

impl Task {
    /// The job, unless another thread took it. A group's task counts as running from the
    /// moment it is taken (under the same lock: a `fork()` sees it queued or running).
    fn take(&self) -> Option<Job> {
        let mut job = lock(&self.job);
        let taken = job.take()?;
        Some(match &self.running {
            None => taken,
            Some(running) => {
                running.fetch_add(1, Ordering::SeqCst);
                let running = running.clone();
                Box::new(move || {
                    struct Ended(Arc<AtomicUsize>);
                    impl Drop for Ended {
                        fn drop(&mut self) {
                            self.0.fetch_sub(1, Ordering::SeqCst);
                        }
                    }
                    let _ended = Ended(running);
                    taken()
                })
            }
        })
    }

    fn is_taken(&self) -> bool {
        lock(&self.job).is_none()
    }

    /// Runs the job if nobody took it yet; a panic is logged (jobs answer for their own
    /// results: a submit's stages complete its response on every path).
    fn run(&self) -> bool {
        match self.take() {
            Some(job) => {
                run_job(job);
                true
            }
            None => false,
        }
    }
}

fn run_job(job: Job) {
    if let Err(p) = catch_unwind(AssertUnwindSafe(job)) {
        crate::log::error(&format!(
            "a library task panicked: {}",
            crate::error::panic_message(&*p)
        ));
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

struct PoolState {
    queue: VecDeque<(Arc<Task>, Instant)>,
    /// Worker threads alive (or being started).
    threads: usize,
    /// Workers waiting for work.
    idle: usize,
    /// Wake-ups sent to idle workers that they have not yet taken.
    woken: usize,
    /// Whether the thread that starts more workers on a stall is running.
    monitor: bool,
    /// Per worker (by index): whether it runs, and what it was given to drop ([`drop_on`]).
    slots: Vec<Slot>,
}

#[derive(Default)]
struct Slot {
    alive: bool,
    garbage: Vec<Box<dyn Send>>,
}

/// How many dropped values a worker keeps for later; beyond, they are dropped where they are
/// given up (a worker blocked in a callback must not hold responses' memory for long).
const GARBAGE_MAX: usize = 8;

/// A worker thread of this process's pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerId {
    generation: u64,
    index: usize,
}

thread_local! {
    static WORKER: std::cell::Cell<Option<WorkerId>> = const { std::cell::Cell::new(None) };
}

/// The worker the calling thread is, if it is one.
pub fn this_worker() -> Option<WorkerId> {
    WORKER.with(std::cell::Cell::get)
}

/// Has worker `worker` drop `value` when it has nothing else to do: memory a worker allocated
/// is freed fastest by that thread (its allocator's pages are its own), and off the caller's
/// thread. Dropped here when that worker is gone (or this is a child after `fork()`).
pub fn drop_on(worker: WorkerId, value: Box<dyn Send>) {
    if worker.generation == fork::generation() {
        // SAFETY: pools are leaked, never freed.
        if let Some(pool) = unsafe { POOL.load(Ordering::Acquire).as_ref() } {
            if pool.generation == worker.generation {
                let mut st = lock(&pool.state);
                if let Some(slot) = st
                    .slots
                    .get_mut(worker.index)
                    .filter(|s| s.alive && s.garbage.len() < GARBAGE_MAX)
                {
                    slot.garbage.push(value);
                    drop(st);
                    pool.work.notify_all();
                    return;
                }
            }
        }
    }
    drop(value);
}

struct Pool {
    generation: u64,
    workers: usize,
    max_workers: usize,
    state: Mutex<PoolState>,
    work: Condvar,
    stalls: Condvar,
}

static POOL: AtomicPtr<Pool> = AtomicPtr::new(std::ptr::null_mut());

/// The pool of this process (a child after `fork()` makes its own; the parent's is left as it
/// is: its threads are not here to release it).
fn pool() -> &'static Pool {
    let generation = fork::generation();
    let p = POOL.load(Ordering::Acquire);
    // SAFETY: pools are leaked, never freed: a pointer once stored stays valid.
    if let Some(pool) = unsafe { p.as_ref() } {
        if pool.generation == generation {
            return pool;
        }
    }
    crate::tune_allocator();
    let c = config::current();
    let fresh = Box::into_raw(Box::new(Pool {
        generation,
        workers: c.workers,
        max_workers: c.max_workers,
        state: Mutex::new(PoolState {
            queue: VecDeque::new(),
            threads: 0,
            idle: 0,
            woken: 0,
            monitor: false,
            slots: Vec::new(),
        }),
        work: Condvar::new(),
        stalls: Condvar::new(),
    }));
    match POOL.compare_exchange(p, fresh, Ordering::AcqRel, Ordering::Acquire) {
        // SAFETY: just stored; leaked for good.
        Ok(_) => unsafe { &*fresh },
        Err(other) => {
            // Another thread made it first.
            // SAFETY: `fresh` was never shared; `other` is a leaked pool.
            unsafe {
                drop(Box::from_raw(fresh));
                &*other
            }
        }
    }
}

/// Whether submits run on worker threads (`workers` > 0) or on the thread that calls them.
pub fn has_workers() -> bool {
    config::current().workers > 0
}

/// How many ways a parallel session splits work: the configured workers (1 without any).
pub fn threads() -> usize {
    config::current().workers.max(1)
}

impl Pool {
    fn push(&'static self, task: Arc<Task>) {
        let mut st = lock(&self.state);
        st.queue.push_back((task, Instant::now()));
        if st.idle > st.woken {
            st.woken += 1;
            drop(st);
            self.work.notify_one();
        } else if st.threads < self.workers {
            st.threads += 1;
            drop(st);
            self.start_worker(false);
        } else if self.max_workers > st.threads && !st.monitor {
            st.monitor = true;
            drop(st);
            self.start_monitor();
        } else {
            drop(st);
            self.stalls.notify_one();
        }
    }

    fn start_worker(&'static self, extra: bool) {
        let started = threads::spawn("mapi-worker", move || self.work_loop(extra));
        if let Err(e) = started {
            crate::log::error(&format!("cannot start a worker thread: {e}"));
            let mut st = lock(&self.state);
            st.threads -= 1;
            if st.threads == 0 {
                // No thread to run the queue: run it here rather than leave it waiting.
                let queued: Vec<_> = st.queue.drain(..).collect();
                drop(st);
                for (task, _) in queued {
                    task.run();
                }
            }
        }
    }

    fn start_monitor(&'static self) {
        if let Err(e) = threads::spawn("mapi-monitor", move || self.monitor_loop()) {
            crate::log::warn(&format!(
                "cannot start the worker monitor: {e}; blocked workers will not be relieved"
            ));
            lock(&self.state).monitor = false;
        }
    }

    fn work_loop(&'static self, extra: bool) {
        let mut st = lock(&self.state);
        let index = match st.slots.iter().position(|s| !s.alive) {
            Some(i) => i,
            None => {
                st.slots.push(Slot::default());
                st.slots.len() - 1
            }
        };
        st.slots[index].alive = true;
        let mut last_work = Instant::now();
        WORKER.with(|w| {
            w.set(Some(WorkerId {
                generation: self.generation,
                index,
            }))
        });
        loop {
            // Garbage waits for idle moments, unless it piles up.
            let piled = st.slots[index].garbage.len();
            if piled > 0 && (st.queue.is_empty() || piled > 4) {
                let garbage = std::mem::take(&mut st.slots[index].garbage);
                drop(st);
                drop(garbage);
                st = lock(&self.state);
                continue;
            }
            if let Some((task, _)) = st.queue.pop_front() {
                drop(st);
                if task.run() {
                    last_work = Instant::now();
                }
                st = lock(&self.state);
                continue;
            }
            st.idle += 1;
            if extra {
                st = self
                    .work
                    .wait_timeout(st, RETIRE.saturating_sub(last_work.elapsed()))
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            } else {
                st = self.work.wait(st).unwrap_or_else(|p| p.into_inner());
            }
            st.idle -= 1;
            st.woken = st.woken.saturating_sub(1);
            // An extra worker ends after RETIRE without work (being woken is not work).
            if extra
                && last_work.elapsed() >= RETIRE
                && st.queue.is_empty()
                && st.slots[index].garbage.is_empty()
                && st.threads > self.workers
            {
                st.threads -= 1;
                st.slots[index].alive = false;
                WORKER.with(|w| w.set(None));
                return;
            }
        }
    }

    /// Starts one more worker whenever the oldest queued task has waited [`STALL`] with no
    /// worker free, up to `max-workers`.
    fn monitor_loop(&'static self) {
        let mut st = lock(&self.state);
        loop {
            // Tasks a waiting thread took itself are not waiting.
            while st.queue.front().is_some_and(|(t, _)| t.is_taken()) {
                st.queue.pop_front();
            }
            let waited = st.queue.front().map(|(_, at)| at.elapsed());
            let wait = match waited {
                None => None,
                Some(w) if w >= STALL && st.idle <= st.woken => {
                    if st.threads < self.max_workers {
                        st.threads += 1;
                        drop(st);
                        self.start_worker(true);
                        st = lock(&self.state);
                    }
                    Some(STALL)
                }
                Some(w) => Some(STALL.saturating_sub(w).max(Duration::from_millis(1))),
            };
            st = match wait {
                None => self.stalls.wait(st).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    self.stalls
                        .wait_timeout(st, d)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
    }
}

/// The queued tasks of one request: a thread waiting for one of its responses runs them
/// itself rather than sleeping until a worker is free, which keeps the request's stages in
/// their order (they queue here in order) and costs no thread wake-up.
#[derive(Clone, Default)]
pub struct Group {
    inner: Arc<GroupInner>,
}

#[derive(Default)]
struct GroupInner {
    tasks: Mutex<Vec<Arc<Task>>>,
    changed: Condvar,
    /// Tasks taken and not yet ended.
    running: Arc<AtomicUsize>,
    /// The `fork()` generation whose pool holds the queued tasks.
    generation: AtomicU64,
    /// Set in a child after `fork()` when the group's work was running on the parent's threads:
    /// it never ends here, and nothing new may queue behind it.
    left_behind: std::sync::atomic::AtomicBool,
}

/// How a [`Group::wait_until`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    Done,
    TimedOut,
    /// This process is a child, after `fork()`, of the one where the group's work was
    /// running: it ran on threads the child does not have and will never end here.
    LeftBehind,
}

impl Group {
    /// Queues `job` for a worker, and for whoever waits on this group; without workers, runs
    /// it at once on this thread.
    pub fn spawn(&self, job: impl FnOnce() + Send + 'static) {
        let task = Arc::new(Task {
            job: Mutex::new(Some(Box::new(job))),
            running: Some(self.inner.running.clone()),
        });
        if !has_workers() {
            task.run();
            return;
        }
        {
            let mut tasks = lock(&self.inner.tasks);
            tasks.retain(|t| !t.is_taken());
            tasks.push(task.clone());
            self.inner
                .generation
                .store(fork::generation(), Ordering::SeqCst);
        }
        self.inner.changed.notify_all();
        pool().push(task);
    }

    /// Queues `job` in the group only, never for a worker (tests of the waiter's help).
    #[cfg(test)]
    fn queue_unpooled(&self, job: impl FnOnce() + Send + 'static) {
        let task = Arc::new(Task {
            job: Mutex::new(Some(Box::new(job))),
            running: Some(self.inner.running.clone()),
        });
        lock(&self.inner.tasks).push(task);
    }

    /// Wakes the threads waiting in [`Group::wait_until`] (something they wait for changed).
    pub fn notify(&self) {
        if self.inner.left_behind.load(Ordering::SeqCst) {
            // A child after fork(): the lock may have been held by one of the parent's threads;
            // nobody from before the fork waits here.
            if let Ok(_tasks) = self.inner.tasks.try_lock() {
                self.inner.changed.notify_all();
            }
            return;
        }
        let _tasks = lock(&self.inner.tasks);
        self.inner.changed.notify_all();
    }

    /// After `fork()`, in the child: `false` when some of the group's work was running (on
    /// the parent's threads) and so will never end here; otherwise the tasks the parent had
    /// queued are queued again in this process's pool, and `true`.
    pub fn survives_fork(&self) -> bool {
        if self.inner.left_behind.load(Ordering::SeqCst) {
            return false;
        }
        let now = fork::generation();
        if self.inner.generation.load(Ordering::SeqCst) == now {
            return true;
        }
        if self.inner.running.load(Ordering::SeqCst) > 0 {
            self.inner.left_behind.store(true, Ordering::SeqCst);
            return false;
        }
        let tasks: Vec<Arc<Task>> = {
            let mut t = lock(&self.inner.tasks);
            t.retain(|t| !t.is_taken());
            self.inner.generation.store(now, Ordering::SeqCst);
            t.clone()
        };
        if has_workers() {
            for t in tasks {
                pool().push(t);
            }
        } else {
            for t in tasks {
                t.run();
            }
        }
        true
    }

    /// Waits until `done()` holds (checked again after each [`Group::notify`]), running this
    /// group's queued tasks meanwhile when this thread has a library thread's stack, until
    /// `deadline`.
    pub fn wait_until(&self, done: &dyn Fn() -> bool, deadline: Option<Instant>) -> Waited {
        if done() {
            return Waited::Done;
        }
        if !self.survives_fork() {
            return Waited::LeftBehind;
        }
        let help = threads::has_library_stack() || !has_workers();
        let mut tasks = lock(&self.inner.tasks);
        loop {
            if done() {
                return Waited::Done;
            }
            if help {
                tasks.retain(|t| !t.is_taken());
                if let Some(job) = tasks.iter().find_map(|t| t.take()) {
                    drop(tasks);
                    run_job(job);
                    tasks = lock(&self.inner.tasks);
                    continue;
                }
            }
            tasks = match deadline {
                None => self
                    .inner
                    .changed
                    .wait(tasks)
                    .unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Waited::TimedOut;
                    }
                    self.inner
                        .changed
                        .wait_timeout(tasks, d - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
    }
}

/// Runs `f` with a [`Scope`] whose spawned closures may borrow from the caller: they run on
/// workers, or on this thread, which runs those still queued once `f` returns and then waits
/// for the others. A panic in one is raised again here after all have ended.
pub fn scope<'env, R>(f: impl FnOnce(&Scope<'env>) -> R) -> R {
    let scope = Scope {
        group: Group::default(),
        running: Arc::new((Mutex::new(0usize), Condvar::new())),
        panic: Arc::new(Mutex::new(None)),
        _env: std::marker::PhantomData,
    };
    // Wait for every spawned closure on every path: they may borrow what `f` borrowed.
    struct Join<'a, 'env>(&'a Scope<'env>);
    impl Drop for Join<'_, '_> {
        fn drop(&mut self) {
            self.0.join();
        }
    }
    let result = {
        let _join = Join(&scope);
        f(&scope)
    };
    if let Some(p) = lock(&scope.panic).take() {
        std::panic::resume_unwind(p);
    }
    result
}

/// Spawns closures that borrow from the enclosing [`scope`].
pub struct Scope<'env> {
    group: Group,
    running: Arc<(Mutex<usize>, Condvar)>,
    panic: Arc<Mutex<Option<Box<dyn std::any::Any + Send>>>>,
    _env: std::marker::PhantomData<&'env mut &'env ()>,
}

impl<'env> Scope<'env> {
    /// Runs `f` on a worker or, without workers, at once on this thread.
    pub fn spawn(&self, f: impl FnOnce() + Send + 'env) {
        if !has_workers() {
            if let Err(p) = catch_unwind(AssertUnwindSafe(f)) {
                lock(&self.panic).get_or_insert(p);
            }
            return;
        }
        *lock(&self.running.0) += 1;
        let running = self.running.clone();
        let panic = self.panic.clone();
        let job: Box<dyn FnOnce() + Send + 'env> = Box::new(move || {
            if let Err(p) = catch_unwind(AssertUnwindSafe(f)) {
                lock(&panic).get_or_insert(p);
            }
            let mut n = lock(&running.0);
            *n -= 1;
            if *n == 0 {
                running.1.notify_all();
            }
        });
        // SAFETY: the scope waits for every job it spawned before it returns (or unwinds),
        // so nothing the job borrows ends before the job does.
        let job: Box<dyn FnOnce() + Send + 'static> = unsafe { std::mem::transmute(job) };
        self.group.spawn(job);
    }

    fn join(&self) {
        // Run here what no worker has taken yet, then wait for the rest.
        let tasks: Vec<Arc<Task>> = lock(&self.group.inner.tasks).drain(..).collect();
        for t in tasks {
            t.run();
        }
        let mut n = lock(&self.running.0);
        while *n > 0 {
            n = self.running.1.wait(n).unwrap_or_else(|p| p.into_inner());
        }
    }
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
