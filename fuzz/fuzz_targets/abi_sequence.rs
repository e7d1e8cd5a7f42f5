//! Sequences of C ABI calls: opens, adds, sets, submits, resubmits (stream mode),
//! set_parameter, waits and frees in any order, with plug-ins that fail or panic. On every
//! response that completes, the accounting invariant holds: each record routed to a connection
//! comes back returned by it, or rejected once with a reason naming it (or the plug-in's own
//! reason), and each record without its required field is rejected by validation.
//!
//! Plug-ins: `fz` (a C callback) and `fz-rust` (a Rust function) behave by their connection's
//! runtime parameter `mode`, which the program sets with mapi_request_set_parameter; `fz-copy`
//! and `fz-fail` are C transformations (copying its input; adding one record, then failing).
#![no_main]

mod common;

use std::collections::HashMap;
use std::ffi::{c_void, CStr};
use std::ptr;
use std::sync::{Arc, Once};

use arbitrary::Arbitrary;
use common::{c, last_error, ok_status};
use libfuzzer_sys::fuzz_target;
use messageapi::ffi::plugins::*;
use messageapi::ffi::record::*;
use messageapi::ffi::record_read::*;
use messageapi::ffi::request::*;
use messageapi::ffi::response::*;
use messageapi::ffi::session::*;
use messageapi::ffi::*;

use messageapi::{EndpointCall, Error, FnEndpoint, Record, Value};

const MANIFEST: &str = r#"{
  "fields": [{"id": "x", "type": "integer", "required": true},
             {"id": "tag", "type": "string", "required": false}],
  "collections": [{"id": "c", "fields": ["x", "tag"]}],
  "transformations": [
    {"id": "copy", "operator": "fz-copy", "records": {"in": {"COLLECTION": "c"}}},
    {"id": "fail", "operator": "fz-fail", "records": {"in": {"COLLECTION": "c"}}}],
  "endpoints": [
    {"plugin": "fz", "connections": [
      {"id": "c1", "collections": ["c"], "constructor": {"name": "c1", "mode": 0}},
      {"id": "c2", "collections": ["c"], "constructor": {"name": "c2", "mode": 0}},
      {"id": "t1", "transformations": ["copy"], "constructor": {"name": "t1", "mode": 0, "via": "copy"}},
      {"id": "t2", "transformations": ["fail"], "constructor": {"name": "t2", "mode": 0, "via": "fail"}}]},
    {"plugin": "fz-rust", "connections": [
      {"id": "r1", "collections": ["c"], "constructor": {"mode": 0}}]},
    {"plugin": "evaluation", "connections": [{"id": "e1", "collections": ["c"]}]}
  ]
}"#;
/// Connections whose mode the program sets, and how many modes each plug-in has.
const MODED: [(&str, u8); 5] = [("c1", 9), ("c2", 9), ("t1", 9), ("t2", 9), ("r1", 8)];
const PANIC_TEXT: &str = "fz plug-in panics on purpose";

fn mode_of(text: &str) -> u8 {
    text.trim().parse::<u8>().unwrap_or(0)
}

unsafe fn param(call: *const mapi_endpoint_call, key: &str) -> String {
    let key = c(key);
    let mut buf = [0u8; 64];
    let mut len = 0usize;
    if mapi_call_parameter(
        call,
        key.as_ptr(),
        buf.as_mut_ptr().cast(),
        buf.len(),
        &mut len,
    ) != MAPI_OK
    {
        return String::new();
    }
    String::from_utf8_lossy(&buf[..len]).into_owned()
}

unsafe fn x_of(r: *const mapi_record) -> i64 {
    let mut x = i64::MIN;
    mapi_record_get_int(r, c"x".as_ptr(), &mut x);
    x
}

/// Adds an output record tagged with the connection's name.
unsafe fn output(call: *mut mapi_endpoint_call, name: &str, x: i64) {
    let mut out = ptr::null_mut();
    assert_eq!(mapi_call_add_record(call, &mut out), MAPI_OK);
    let name = c(name);
    mapi_record_set_string(out, c"conn".as_ptr(), name.as_ptr());
    mapi_record_set_int(out, c"x".as_ptr(), x);
}

/// The C endpoint. Modes: 0 returns every record; 1 fails before reading; 2 fails after
/// reading; 3 adds outputs, then fails; 4 rejects its first record and returns the others;
/// 5 rejects its first record, then fails; 6 a sink (returns nothing, succeeds); 7 returns a
/// status outside the enum; 8 returns MAPI_ERR_PANIC (what a C plug-in has for a panic).
unsafe extern "C" fn fz(call: *mut mapi_endpoint_call, _ud: *mut c_void) -> mapi_status {
    let name = param(call, "name");
    let mode = mode_of(&param(call, "mode"));
    let via = param(call, "via");
    if mode == 1 {
        mapi_call_set_error(call, c"refused".as_ptr());
        return MAPI_ERR_ENDPOINT;
    }
    let list = if via.is_empty() {
        mapi_call_records(call)
    } else {
        let mut l = ptr::null();
        let v = c(&via);
        let st = mapi_call_records_by_transformation(call, v.as_ptr(), &mut l);
        if st != MAPI_OK {
            return st;
        }
        l
    };
    let n = mapi_record_list_count(list);
    let record = |i: usize| mapi_record_list_get(list, i);
    match mode {
        0 | 4 => {
            let skip = usize::from(mode == 4 && n > 0);
            if skip == 1 {
                let reason = c(&format!("fz own {name}"));
                mapi_call_reject(call, record(0), reason.as_ptr());
            }
            for i in skip..n {
                output(call, &name, x_of(record(i)));
            }
            MAPI_OK
        }
        2 => MAPI_ERR_IO,
        3 => {
            for i in 0..n / 2 {
                output(call, &name, x_of(record(i)));
            }
            MAPI_ERR_ENDPOINT
        }
        5 => {
            if n > 0 {
                let reason = c(&format!("fz own {name}"));
                mapi_call_reject(call, record(0), reason.as_ptr());
            }
            MAPI_ERR_ENDPOINT
        }
        6 => MAPI_OK,
        7 => 77,
        _ => MAPI_ERR_PANIC,
    }
}

unsafe extern "C" fn fz_copy(call: *mut mapi_transform_call, _ud: *mut c_void) -> mapi_status {
    let mut list = ptr::null();
    let st = mapi_transform_input(call, c"in".as_ptr(), &mut list);
    if st != MAPI_OK {
        return st;
    }
    for i in 0..mapi_record_list_count(list) {
        let mut out = ptr::null_mut();
        mapi_transform_add_record(call, mapi_record_list_get(list, i), &mut out);
    }
    MAPI_OK
}

unsafe extern "C" fn fz_fail(call: *mut mapi_transform_call, _ud: *mut c_void) -> mapi_status {
    let mut out = ptr::null_mut();
    mapi_transform_add_record(call, ptr::null(), &mut out);
    mapi_transform_set_error(call, c"transformation refused".as_ptr());
    MAPI_ERR_ENDPOINT
}

/// The Rust endpoint. Modes: 0 returns every record; 1 panics before taking; 2 takes, then
/// panics; 3 returns one, then panics; 4 its finisher panics holding the records; 5 its
/// finisher returns one, then panics; 6 takes, then fails; 7 a sink.
fn fz_rust(call: &mut EndpointCall<'_>) -> messageapi::Result<()> {
    let mode = call
        .parameter("mode")
        .map_or(0, |v| mode_of(&v.to_string()));
    let tag = |r: &Record| {
        let mut out = Record::open();
        out.set("conn", Value::String("r1".into())).unwrap();
        out.set("x", r.get("x").cloned().unwrap_or(Value::Null))
            .unwrap();
        out
    };
    if mode == 1 {
        panic!("{PANIC_TEXT}");
    }
    let mut taken = call.listed_records()?;
    match mode {
        0 => {
            let out: Vec<Record> = taken.release().iter().map(tag).collect();
            call.extend(out);
            Ok(())
        }
        2 => panic!("{PANIC_TEXT}"),
        3 => {
            if !taken.is_empty() {
                let first = taken.remove(0);
                call.add_record(tag(&first));
            }
            panic!("{PANIC_TEXT}")
        }
        4 => {
            call.finish_later(move |_| {
                let _held = taken;
                panic!("{PANIC_TEXT}")
            });
            Ok(())
        }
        5 => {
            call.finish_later(move |out| {
                if !taken.is_empty() {
                    let first = taken.remove(0);
                    out.add_record(tag(&first));
                }
                panic!("{PANIC_TEXT}")
            });
            Ok(())
        }
        6 => Err(Error::Endpoint("rust refused".into())),
        _ => {
            drop(taken.release());
            Ok(())
        }
    }
}

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // libFuzzer's hook aborts on any panic; the plug-ins' deliberate ones must unwind to
        // the library's boundary instead (that is what is under test).
        let abort_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let text = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or("");
            if text != PANIC_TEXT {
                abort_hook(info);
            }
        }));
        unsafe extern "C" fn quiet(
            _level: i32,
            _message: *const std::ffi::c_char,
            _ud: *mut c_void,
        ) {
        }
        unsafe {
            // The plug-ins' failures are logged as warnings: thousands a second, unread.
            assert_eq!(
                messageapi::ffi::log::mapi_set_log_callback(Some(quiet), ptr::null_mut()),
                MAPI_OK
            );
            assert_eq!(
                mapi_register_endpoint(c"fz".as_ptr(), Some(fz), ptr::null_mut()),
                MAPI_OK
            );
            assert_eq!(
                mapi_register_transformation(c"fz-copy".as_ptr(), Some(fz_copy), ptr::null_mut()),
                MAPI_OK
            );
            assert_eq!(
                mapi_register_transformation(c"fz-fail".as_ptr(), Some(fz_fail), ptr::null_mut()),
                MAPI_OK
            );
        }
        messageapi::registry::register_endpoint("fz-rust", Arc::new(FnEndpoint(fz_rust))).unwrap();
    });
}

#[derive(Arbitrary, Debug)]
enum Op {
    OpenSession,
    FreeSession,
    NewRequest,
    FreeRequest,
    AddRecords(u8),
    AddRecord(Option<i16>, Option<String>),
    AddJson(String),
    SetX(u8, Option<i16>),
    PopRecord,
    Clear,
    SetMode(u8, u8),
    SetModes([u8; 5]),
    SetParameter(u8, String, String),
    Submit,
    SubmitAndClear,
    Wait(u8, u8),
    FreeResponse(u8),
}

/// What a submit must give: per connection, how many records it returns and rejects.
struct Expect {
    valid: Vec<i64>,
    invalid: usize,
    modes: HashMap<&'static str, u8>,
}

struct Pending {
    response: *mut mapi_response,
    expect: Expect,
}

/// Returned and rejected counts of a connection in `mode` given `n` routed records. A failed
/// connection rejects each record it still held; holding none, it shows its failure once (a
/// rejection of an empty record).
fn expected(conn: &str, mode: u8, n: usize) -> (usize, usize) {
    let failed = |held: usize| held.max(1);
    if conn == "r1" {
        return match mode {
            0 => (n, 0),
            // Returned one, then panicked (in the call or in its finisher).
            3 | 5 if n > 0 => (1, failed(n - 1)),
            7 => (0, 0),
            _ => (0, failed(n)),
        };
    }
    if conn == "t2" {
        // Its transformation fails whatever the endpoint does.
        return (0, failed(n));
    }
    match mode {
        0 => (n, 0),
        4 if n > 0 => (n - 1, 1),
        4 | 6 => (0, 0),
        // Rejected a transformation's output record (not a routed one), then failed: that
        // rejection, and each routed record rejected for the failure.
        5 if n > 0 && conn == "t1" => (0, 1 + n),
        // Rejected one routed record itself, then failed: that one keeps its own rejection.
        5 if n > 0 => (0, 1 + failed(n - 1)),
        _ => (0, failed(n)),
    }
}

unsafe fn check(resp: *mut mapi_response, e: &Expect) {
    let n = e.valid.len();
    let mut returned: HashMap<String, usize> = HashMap::new();
    for i in 0..mapi_response_record_count(resp) {
        let r = mapi_response_record(resp, i);
        let mut p = ptr::null();
        let mut len = 0;
        let conn = if mapi_record_get_string(r, c"conn".as_ptr(), &mut p, &mut len) == MAPI_OK {
            String::from_utf8_lossy(std::slice::from_raw_parts(p.cast::<u8>(), len)).into_owned()
        } else {
            "e1".to_string()
        };
        let x = x_of(r);
        assert!(
            e.valid.contains(&x),
            "{conn} returned x = {x}, never submitted as valid"
        );
        *returned.entry(conn).or_default() += 1;
    }
    let mut rejected: HashMap<String, usize> = HashMap::new();
    for i in 0..mapi_response_rejection_count(resp) {
        assert_eq!(mapi_response_rejection_reason_count(resp, i), 1);
        let reason = CStr::from_ptr(mapi_response_rejection_reason(resp, i, 0)).to_string_lossy();
        let who = if reason == "Required field x was missing a value." {
            "validation".to_string()
        } else if let Some(own) = reason.strip_prefix("fz own ") {
            own.to_string()
        } else if let Some(rest) = reason.strip_prefix("connection ") {
            rest.split(':').next().unwrap_or("").to_string()
        } else {
            panic!("a rejection whose reason names no connection: {reason}")
        };
        *rejected.entry(who).or_default() += 1;
    }
    assert_eq!(
        rejected.get("validation").copied().unwrap_or(0),
        e.invalid,
        "validation rejections"
    );
    assert_eq!(
        returned.get("e1").copied().unwrap_or(0),
        n,
        "the evaluation connection returns all"
    );
    for (conn, _) in MODED {
        let mode = e.modes[conn];
        let (ret, rej) = expected(conn, mode, n);
        let got = (
            returned.get(conn).copied().unwrap_or(0),
            rejected.get(conn).copied().unwrap_or(0),
        );
        assert_eq!(
            got,
            (ret, rej),
            "connection {conn} in mode {mode} with {n} records"
        );
    }
}

#[derive(Default)]
struct World {
    session: Option<*mut mapi_session>,
    /// A request and the session that made it (kept alive by the request itself).
    request: Option<*mut mapi_request>,
    modes: HashMap<&'static str, u8>,
    pending: Vec<Pending>,
    /// The x of the next record AddRecords adds.
    next_x: i64,
}

impl World {
    unsafe fn session(&mut self) -> *mut mapi_session {
        if let Some(s) = self.session {
            return s;
        }
        let text = c(MANIFEST);
        let mut s = ptr::null_mut();
        let st = mapi_session_open_json(text.as_ptr(), ptr::null(), &mut s);
        assert_eq!(st, MAPI_OK, "{}", last_error());
        self.session = Some(s);
        s
    }

    unsafe fn request(&mut self) -> *mut mapi_request {
        if let Some(r) = self.request {
            return r;
        }
        let s = self.session();
        let mut r = ptr::null_mut();
        assert_eq!(mapi_request_new(s, &mut r), MAPI_OK);
        self.request = Some(r);
        // A new request starts with the manifest's parameters.
        self.modes = MODED.iter().map(|(c, _)| (*c, 0)).collect();
        r
    }

    unsafe fn free_request(&mut self) {
        if let Some(r) = self.request.take() {
            mapi_request_free(r);
        }
    }

    unsafe fn expectation(&mut self) -> Expect {
        let req = self.request();
        let mut valid = Vec::new();
        let mut invalid = 0;
        for i in 0..mapi_request_record_count(req) {
            let r = mapi_request_record(req, i);
            if mapi_record_is_null(r, c"x".as_ptr()) == 0 {
                valid.push(x_of(r));
            } else {
                invalid += 1;
            }
        }
        Expect {
            valid,
            invalid,
            modes: self.modes.clone(),
        }
    }

    unsafe fn run(&mut self, op: &Op) {
        match op {
            Op::OpenSession => {
                if let Some(s) = self.session.take() {
                    mapi_session_free(s);
                }
                self.session();
            }
            Op::FreeSession => {
                if let Some(s) = self.session.take() {
                    mapi_session_free(s);
                }
            }
            Op::NewRequest => {
                self.free_request();
                self.request();
            }
            Op::FreeRequest => self.free_request(),
            Op::AddRecords(k) => {
                let req = self.request();
                for _ in 0..=k % 8 {
                    let mut r = ptr::null_mut();
                    assert_eq!(mapi_request_add_record(req, &mut r), MAPI_OK);
                    self.next_x += 1;
                    assert_eq!(mapi_record_set_int(r, c"x".as_ptr(), self.next_x), MAPI_OK);
                }
            }
            Op::AddRecord(x, tag) => {
                let req = self.request();
                let mut r = ptr::null_mut();
                assert_eq!(mapi_request_add_record(req, &mut r), MAPI_OK);
                if let Some(x) = x {
                    assert_eq!(
                        mapi_record_set_int(r, c"x".as_ptr(), i64::from(*x)),
                        MAPI_OK
                    );
                }
                if let Some(t) = tag {
                    let t = c(t);
                    assert_eq!(
                        mapi_record_set_string(r, c"tag".as_ptr(), t.as_ptr()),
                        MAPI_OK
                    );
                }
            }
            Op::AddJson(text) => {
                let req = self.request();
                let before = mapi_request_record_count(req);
                let mut added = usize::MAX;
                let st = ok_status(
                    mapi_request_add_json(req, text.as_ptr().cast(), text.len(), &mut added),
                    "add_json",
                );
                let after = mapi_request_record_count(req);
                if st == MAPI_OK {
                    assert_eq!(after, before + added);
                } else {
                    assert_eq!(after, before, "add_json is all or nothing");
                }
            }
            Op::SetX(i, x) => {
                let req = self.request();
                let n = mapi_request_record_count(req);
                if n > 0 {
                    let r = mapi_request_record(req, *i as usize % n);
                    let st = match x {
                        Some(x) => mapi_record_set_int(r, c"x".as_ptr(), i64::from(*x)),
                        None => mapi_record_set_null(r, c"x".as_ptr()),
                    };
                    assert_eq!(st, MAPI_OK);
                }
            }
            Op::PopRecord => {
                let req = self.request();
                let n = mapi_request_record_count(req);
                let st = ok_status(mapi_request_pop_record(req), "pop");
                assert_eq!(mapi_request_record_count(req), n.saturating_sub(1));
                assert_eq!(st == MAPI_OK, n > 0);
            }
            Op::Clear => {
                let req = self.request();
                assert_eq!(mapi_request_clear(req), MAPI_OK);
                assert_eq!(mapi_request_record_count(req), 0);
            }
            Op::SetMode(conn, mode) => {
                let req = self.request();
                let (id, modes) = MODED[*conn as usize % MODED.len()];
                let mode = mode % modes;
                let (idc, v) = (c(id), c(&mode.to_string()));
                assert_eq!(
                    mapi_request_set_parameter(req, idc.as_ptr(), c"mode".as_ptr(), v.as_ptr()),
                    MAPI_OK
                );
                self.modes.insert(id, mode);
            }
            Op::SetModes(modes) => {
                for (i, m) in modes.iter().enumerate() {
                    self.run(&Op::SetMode(i as u8, *m));
                }
            }
            Op::SetParameter(conn, key, json) => {
                let req = self.request();
                let ids = ["c1", "c2", "t1", "t2", "r1", "e1", "nope"];
                if key == "mode" || key == "name" || key == "via" {
                    return;
                }
                let (id, k, v) = (c(ids[*conn as usize % ids.len()]), c(key), c(json));
                ok_status(
                    mapi_request_set_parameter(req, id.as_ptr(), k.as_ptr(), v.as_ptr()),
                    "set_parameter",
                );
            }
            Op::Submit | Op::SubmitAndClear => {
                let expect = self.expectation();
                let req = self.request();
                let mut resp = ptr::null_mut();
                let st = if matches!(op, Op::Submit) {
                    mapi_request_submit(req, &mut resp)
                } else {
                    mapi_request_submit_and_clear(req, &mut resp)
                };
                assert_eq!(st, MAPI_OK);
                if matches!(op, Op::SubmitAndClear) {
                    assert_eq!(mapi_request_record_count(req), 0);
                }
                self.pending.push(Pending {
                    response: resp,
                    expect,
                });
            }
            Op::Wait(i, ms) => {
                if self.pending.is_empty() {
                    return;
                }
                let p = &self.pending[*i as usize % self.pending.len()];
                let st = mapi_response_wait(p.response, i64::from(*ms % 3));
                assert!(st == MAPI_OK || st == MAPI_ERR_TIMED_OUT, "wait gave {st}");
                if st == MAPI_OK {
                    assert_eq!(mapi_response_is_complete(p.response), 1);
                    check(p.response, &p.expect);
                }
            }
            Op::FreeResponse(i) => {
                if self.pending.is_empty() {
                    return;
                }
                let p = self.pending.swap_remove(*i as usize % self.pending.len());
                mapi_response_free(p.response);
            }
        }
    }

    unsafe fn finish(mut self) {
        self.free_request();
        if let Some(s) = self.session.take() {
            mapi_session_free(s);
        }
        for p in self.pending.drain(..) {
            assert_eq!(
                mapi_response_wait(p.response, 30_000),
                MAPI_OK,
                "a response never completed"
            );
            check(p.response, &p.expect);
            mapi_response_free(p.response);
        }
    }
}

fuzz_target!(|ops: Vec<Op>| {
    setup();
    let mut world = World::default();
    // SAFETY: the world hands the library only live handles it made, freed once.
    unsafe {
        for op in ops.iter().take(48) {
            world.run(op);
        }
        world.finish();
    }
});
