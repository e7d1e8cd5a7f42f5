//! The threads the library starts: each with the configured stack, named `mapi-…`, and with
//! every asynchronous signal blocked (so a host's handlers run on the host's threads; the
//! signals a fault raises stay deliverable). The mask is set in the starting thread around the
//! start, as librdkafka does, so the new thread never runs with signals open.

use std::cell::Cell;
use std::io;
use std::thread::JoinHandle;

thread_local! {
    /// Whether this thread was started by the library (and so has the configured stack).
    static LIBRARY_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Signals a fault raises in the thread that caused it: never blocked (blocking them would
/// make the kernel kill the process instead of running a handler).
const SYNCHRONOUS: [libc::c_int; 6] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGILL,
    libc::SIGTRAP,
    libc::SIGSYS,
];

/// Runs `f` with every asynchronous signal blocked on this thread, then restores the mask.
/// Threads started inside (by the library or by a client library it calls) inherit the
/// blocked mask. Signals that arrive meanwhile wait for the restore (or go to another thread).
pub fn with_signals_blocked<R>(f: impl FnOnce() -> R) -> R {
    // SAFETY: plain sigset manipulation on local values; pthread_sigmask on this thread.
    let old = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        for s in SYNCHRONOUS {
            libc::sigdelset(&mut set, s);
        }
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
        old
    };
    struct Restore(libc::sigset_t);
    impl Drop for Restore {
        fn drop(&mut self) {
            // SAFETY: restores the mask saved above, on the same thread.
            unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, std::ptr::null_mut()) };
        }
    }
    let _restore = Restore(old);
    f()
}

/// Starts a library thread named `name` with the configured stack and asynchronous signals
/// blocked.
pub fn spawn<F>(name: &str, f: F) -> io::Result<JoinHandle<()>>
where
    F: FnOnce() + Send + 'static,
{
    let stack = crate::runtime::config::current().stack_bytes;
    with_signals_blocked(|| {
        std::thread::Builder::new()
            .name(name.to_string())
            .stack_size(stack)
            .spawn(move || {
                LIBRARY_THREAD.with(|t| t.set(true));
                f()
            })
    })
}

/// Whether the calling thread was started by the library.
#[cfg(test)]
pub fn is_library_thread() -> bool {
    LIBRARY_THREAD.with(Cell::get)
}

/// What the library's own frames may take below a callback (the pipeline, the C call).
const LIBRARY_FRAMES: usize = 1 << 20;

/// Whether the calling thread can run pipeline work (plug-in callbacks included) and leave a
/// callback what the library promises: at least half of `stack-bytes` (16 MiB of the default
/// 32). A library thread deep in a callback that waits (a nested submit) may not qualify; a
/// thread whose stack cannot be read does not.
pub fn has_library_stack() -> bool {
    let promised = crate::runtime::config::current().stack_bytes / 2;
    stack_left().is_some_and(|left| left >= promised + LIBRARY_FRAMES)
}

/// How many bytes of stack the calling thread has left below the current frame.
fn stack_left() -> Option<usize> {
    thread_local! {
        static LOWEST: Cell<Option<usize>> = const { Cell::new(None) };
    }
    let lowest = match LOWEST.with(Cell::get) {
        Some(l) => l,
        None => {
            let l = stack_lowest()?;
            LOWEST.with(|c| c.set(Some(l)));
            l
        }
    };
    let here = &lowest as *const usize as usize;
    here.checked_sub(lowest)
}

/// The lowest usable address of the calling thread's stack (glibc reports the main thread's
/// as its RLIMIT_STACK allows).
#[cfg(target_os = "linux")]
fn stack_lowest() -> Option<usize> {
    // SAFETY: pthread_getattr_np fills `attr` for the calling thread, which is destroyed after.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let mut guard: libc::size_t = 0;
        let rc = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_getguardsize(&attr, &mut guard);
        libc::pthread_attr_destroy(&mut attr);
        (rc == 0 && !addr.is_null()).then(|| addr as usize + guard)
    }
}

#[cfg(not(target_os = "linux"))]
fn stack_lowest() -> Option<usize> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(sig: libc::c_int) -> bool {
        // SAFETY: reads this thread's mask.
        unsafe {
            let mut cur: libc::sigset_t = std::mem::zeroed();
            libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut cur);
            libc::sigismember(&cur, sig) == 1
        }
    }

    #[test]
    fn library_threads_block_asynchronous_signals_and_restore_the_caller() {
        assert!(!blocked(libc::SIGUSR1));
        let t = spawn("mapi-test", || {
            assert!(blocked(libc::SIGALRM) && blocked(libc::SIGINT) && blocked(libc::SIGCHLD));
            assert!(!blocked(libc::SIGSEGV) && !blocked(libc::SIGBUS));
            assert!(is_library_thread() && has_library_stack());
            // Deep in its stack, a library thread no longer qualifies.
            fn deep(n: usize) -> bool {
                let pad = [0u8; 64 << 10];
                std::hint::black_box(&pad);
                let r = if n == 0 {
                    has_library_stack()
                } else {
                    deep(n - 1)
                };
                std::hint::black_box(&pad);
                r
            }
            assert!(!deep(300), "20 MiB down, less than 17 MiB is left");
        })
        .unwrap();
        t.join().unwrap();
        assert!(!blocked(libc::SIGUSR1), "the caller's mask is restored");
        assert!(!is_library_thread());
        assert!(stack_left().is_some_and(|l| l > 0));
    }
}
