//! Process configuration: the library's threads and stacks, chosen by the host.

use std::ffi::c_char;

use super::{copy_out, guard, mapi_status, str_arg};

/// ## Process configuration: threads, signals and fork
///
/// The library lives in the host's process and changes nothing about how it behaves. What it
/// starts, and when:
///
/// - **Worker threads** (`mapi-worker`) run submits: started one by one as submits need them,
///   never before the first submit, at most `workers` of them (default: the number of cores,
///   at most 4) while none is blocked. When every worker has been busy for 50 ms while work
///   waits (a callback that sleeps, a FIFO, a broker wait), one more starts, up to
///   `max-workers` (default 64; set it to `workers` to forbid that), so that one session's
///   blocked endpoints never hold up another's; those extra threads end after 10 s without
///   work. A `mapi-monitor` thread watches for that from the first time every worker is busy.
///   With `workers` 0 there are none: each submit's whole pipeline (validation, factoring,
///   routing, every endpoint, transformation and condition callback, dead letters,
///   statistics) runs on the thread that calls mapi_request_submit, before it returns, and
///   the response is complete then. That is the mode for MPI programs (MPI_THREAD_SINGLE or
///   FUNNELED) and for callbacks that must run on the main thread.
/// - Endpoint threads: a Kafka producer has one sender thread (`mapi-kafka-send`), an AMQP
///   consumer one reader thread (`mapi-amqp-consume`); librdkafka and lapin start their own
///   (one per broker and a few more for librdkafka; one per connection, one executor thread and
///   one reactor thread for lapin), in both modes. None of them runs your code.
/// - **Stacks.** Every thread the library starts has `stack-bytes` of stack (default 32 MiB;
///   address space is reserved, and only the pages used are committed). A callback always has
///   at least half of it (16 MiB by default) free: a thread that waits in mapi_response_wait
///   runs the request's pending work itself instead of sleeping only when it has that much
///   stack left (a worker inside a callback that waits for a nested submit may not; a main
///   thread under the usual 8 MiB `ulimit -s` does not). With `workers` 0, callbacks have the
///   calling thread's stack.
/// - **Signals.** Every thread the library starts blocks the asynchronous signals (SIGINT,
///   SIGALRM, SIGCHLD, SIGUSR1, ... ; not those a fault raises, such as SIGSEGV), as librdkafka's
///   do: the host's handlers run on the host's threads. With `workers` 0, an AMQP endpoint's
///   connect (which starts lapin's threads) runs with those signals blocked on the calling
///   thread, for at most its timeout; they are delivered when it returns.
/// - **fork().** In the child only the forking thread exists; the library starts new workers
///   there as submits need them. Sessions opened in the child work; so do the parent's sessions
///   whose endpoints own no threads (files, evaluation, callbacks), and their requests. A
///   parent's session with a Kafka or AMQP endpoint rejects every record submitted in the
///   child, with a reason saying it was opened before fork(): open it again in the child. A
///   submit that was running in the parent when it forked completes in the child at once, with
///   one rejection saying so (its records stayed with the parent). Freeing such sessions in the
///   child never waits for the parent's threads. system(), popen() and Fortran's
///   execute_command_line are fine: the child execs at once.
///
/// **What a manifest may do.** A manifest is configuration, often written by another team: by
/// default it loads no native code. A `native` endpoint, transformation or condition, and the
/// librdkafka settings that load a library (`plugin.library.paths`, `ssl.engine.location`), are
/// refused when the session opens (MAPI_ERR_NOT_ALLOWED, naming the connection, the path and
/// how to allow it) unless the library resolves, symbolic links followed and relative paths
/// taken against the manifest's directory, to a file inside a directory the host lists in
/// `native-plugin-dirs`; the library is then loaded by that absolute path, never searched for.
/// librdkafka settings that run code no directory vouches for (`ssl.providers`,
/// `sasl.kerberos.kinit.cmd`) are always refused. Callbacks the host registers itself
/// (mapi_register_*) need nothing. With `confine-paths` set, every path a manifest or a record
/// names for the file-reader, the file-writer, dead-letter files, `${file:}` secrets and the
/// TLS and keytab files of Kafka and AMQP must resolve (after `..` and symbolic links) inside
/// one of those directories: else the open is refused, or the record rejected with a reason
/// naming the path. Off by default.
///
/// MPI: one rank per core leaves no core for workers; set `"workers": 0` (each rank's submits
/// run on its own thread) or `"workers": 1`, through mapi_configure or MAPI_WORKERS.
///
/// ---
///
/// Sets the process configuration from `options_json`, a JSON object with any of the keys
/// `"workers"` (worker threads: an integer from 0 to 1024; 0 runs each submit on its caller's
/// thread), `"max-workers"` (the ceiling while workers are blocked, at least `workers`) and
/// `"stack-bytes"` (each library thread's stack: an integer from 262144 to 1073741824, or a
/// text such as "64M"; rounded up to whole pages), `"native-plugin-dirs"` and
/// `"confine-paths"` (an absolute directory or a list of them; see "What a manifest may do"
/// below). Keys a call does not name keep what an earlier call set; the environment variables
/// MAPI_WORKERS, MAPI_MAX_WORKERS, MAPI_STACK_BYTES, MAPI_NATIVE_PLUGIN_PATH and
/// MAPI_CONFINE_PATHS (colon-separated directories) fill in the ones no call set, then the
/// defaults. All or nothing: a refused
/// call changes nothing. Call it before the first session opens: the first mapi_session_open
/// (or mapi_session_open_json, or mapi_configuration) fixes the configuration for the life of
/// the process.
///
/// Returns MAPI_OK, or: MAPI_ERR_TOO_LATE (a session has opened: nothing changed);
/// MAPI_ERR_INVALID_ARGUMENT (an unknown key or a bad value, both named in the last error);
/// MAPI_ERR_JSON (not a JSON object); MAPI_ERR_NULL_ARGUMENT.
///
/// # Safety
/// `options_json` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn mapi_configure(options_json: *const c_char) -> mapi_status {
    guard(|| crate::runtime::configure_json(str_arg(options_json, "options_json")?))
}

/// Copies the configuration in effect as a JSON object and a NUL into `buf`, with every key
/// decided: `{"workers": 2, "max-workers": 64, "stack-bytes": 33554432,
/// "native-plugin-dirs": [], "confine-paths": null}` (directories resolved; `null`: nothing
/// confined). Fixes the configuration, as the first session's opening does.
///
/// `buf`: 256 bytes is enough when no directories are set. `len`: NULL, or receives the text's length without
/// the NUL, also when the buffer was too small.
///
/// Returns MAPI_OK, or: MAPI_ERR_BUFFER_TOO_SMALL; MAPI_ERR_INVALID_ARGUMENT (an environment
/// variable holds a bad value; the last error names it).
///
/// # Safety
/// `buf` is NULL or holds `cap` writable bytes; `len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mapi_configuration(
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> mapi_status {
    guard(|| {
        let json = crate::runtime::configuration_json()?;
        copy_out(json.to_string().as_bytes(), buf, cap, len)
    })
}
