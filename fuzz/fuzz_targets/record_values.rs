//! Typed setters and getters of the C ABI with arbitrary text and numbers, against a model:
//! a value set with its own type's setter reads back exactly with its getter; a failed set
//! leaves the field as it was; buffers too small report the length needed; nothing panics.
#![no_main]

mod common;

use std::collections::HashMap;
use std::ptr;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use common::{c, ok_status};
use libfuzzer_sys::fuzz_target;
use messageapi::ffi::record::*;
use messageapi::ffi::record_read::*;
use messageapi::ffi::request::*;
use messageapi::ffi::session::*;
use messageapi::ffi::*;

const FIELDS: [&str; 10] = ["s", "i", "f", "d", "b", "t", "li", "ld", "ls", "j"];
const CONDITIONS: [&str; 3] = ["c-i", "c-s", "c-t"];

#[derive(Arbitrary, Debug, Clone)]
enum Name {
    Known(u8),
    Other(String),
}

impl Name {
    fn of(&self, known: &[&str]) -> String {
        match self {
            Name::Known(i) => known[*i as usize % known.len()].to_string(),
            Name::Other(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    SetStringN(Name, Vec<u8>),
    SetString(Name, String),
    SetInt(Name, i64),
    SetDouble(Name, f64),
    SetBool(Name, i32),
    SetDatetime(Name, String),
    SetNull(Name),
    SetIntArray(Name, Vec<i64>),
    SetDoubleArray(Name, Vec<f64>),
    SetJson(Name, String),
    SetConditionString(Name, String),
    SetConditionInt(Name, i64),
    SetConditionDouble(Name, f64),
    SetConditionJson(Name, String),
    CopyString(Name, u8),
    GetString(Name),
    GetInt(Name),
    GetDouble(Name),
    GetBool(Name),
    GetIntArray(Name, u8),
    GetDoubleArray(Name, u8),
    GetJson(Option<Name>, u16),
    Describe(Name),
}

/// What the model knows a field holds.
#[derive(Clone, Debug, PartialEq)]
enum Known {
    Text(Vec<u8>),
    Int(i64),
    Double(u64),
    Bool(bool),
    Null,
    Ints(Vec<i64>),
    Doubles(Vec<u64>),
    /// Set some other way (coerced, parsed): read without an exact expectation.
    Unknown,
}

struct Handles(*mut mapi_session);
// SAFETY: the session is only read here, and sessions are thread-safe (header).
unsafe impl Send for Handles {}
unsafe impl Sync for Handles {}

fn session() -> *mut mapi_session {
    static S: OnceLock<Handles> = OnceLock::new();
    S.get_or_init(|| {
        let text = c(common::EVERY_TYPE_MANIFEST);
        let mut s = ptr::null_mut();
        // SAFETY: valid strings and out-pointer.
        let st = unsafe { mapi_session_open_json(text.as_ptr(), ptr::null(), &mut s) };
        assert_eq!(st, MAPI_OK);
        Handles(s)
    })
    .0
}

fn bits(v: f64) -> u64 {
    if v.is_nan() {
        f64::NAN.to_bits()
    } else {
        v.to_bits()
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let mut req = ptr::null_mut();
    // SAFETY: throughout, every pointer handed to the library is live and every buffer holds
    // the capacity given with it.
    unsafe {
        assert_eq!(mapi_request_new(session(), &mut req), MAPI_OK);
        let mut r = ptr::null_mut();
        assert_eq!(mapi_request_add_record(req, &mut r), MAPI_OK);
        let mut model: HashMap<String, Known> = HashMap::new();
        for op in ops.iter().take(64) {
            run(r, op, &mut model);
        }
        // The record serialises to JSON that parses.
        let mut len = 0usize;
        let st = mapi_record_get_json(r, ptr::null(), ptr::null_mut(), 0, &mut len);
        assert_eq!(ok_status(st, "get_json size"), MAPI_ERR_BUFFER_TOO_SMALL);
        let mut buf = vec![0u8; len + 1];
        assert_eq!(
            mapi_record_get_json(r, ptr::null(), buf.as_mut_ptr().cast(), buf.len(), &mut len),
            MAPI_OK
        );
        let text = std::str::from_utf8(&buf[..len]).expect("UTF-8 JSON");
        let json: serde_json::Value =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(json.is_object());
        mapi_request_free(req);
    }
});

unsafe fn run(r: *mut mapi_record, op: &Op, model: &mut HashMap<String, Known>) {
    // A set: on success the model learns `exact` (when the setter is the field's own), on
    // failure the field must read as before.
    let mut set = |name: &Name, own: &[&str], exact: Known, st: mapi_status| {
        let field = name.of(&FIELDS);
        ok_status(st, "a setter");
        if st == MAPI_OK {
            let k = if own.contains(&field.as_str()) {
                exact
            } else {
                Known::Unknown
            };
            model.insert(field, k);
        }
    };
    match op {
        Op::SetStringN(n, bytes) => {
            let f = c(&n.of(&FIELDS));
            let st = mapi_record_set_string_n(r, f.as_ptr(), bytes.as_ptr().cast(), bytes.len());
            if std::str::from_utf8(bytes).is_err() && st == MAPI_OK {
                panic!("set_string_n took bytes that are not UTF-8");
            }
            set(n, &["s"], Known::Text(bytes.clone()), st);
        }
        Op::SetString(n, s) => {
            let f = c(&n.of(&FIELDS));
            let v = c(s);
            let st = mapi_record_set_string(r, f.as_ptr(), v.as_ptr());
            set(n, &["s"], Known::Text(v.as_bytes().to_vec()), st);
        }
        Op::SetInt(n, v) => {
            let f = c(&n.of(&FIELDS));
            let st = mapi_record_set_int(r, f.as_ptr(), *v);
            set(n, &["i"], Known::Int(*v), st);
        }
        Op::SetDouble(n, v) => {
            let f = c(&n.of(&FIELDS));
            let st = mapi_record_set_double(r, f.as_ptr(), *v);
            set(n, &["d"], Known::Double(bits(*v)), st);
        }
        Op::SetBool(n, v) => {
            let f = c(&n.of(&FIELDS));
            let st = mapi_record_set_bool(r, f.as_ptr(), *v);
            set(n, &["b"], Known::Bool(*v != 0), st);
        }
        Op::SetDatetime(n, s) => {
            let f = c(&n.of(&FIELDS));
            let v = c(s);
            let st = mapi_record_set_datetime(r, f.as_ptr(), v.as_ptr());
            set(n, &[], Known::Unknown, st);
        }
        Op::SetNull(n) => {
            let f = c(&n.of(&FIELDS));
            let st = mapi_record_set_null(r, f.as_ptr());
            set(n, &FIELDS, Known::Null, st);
        }
        Op::SetIntArray(n, v) => {
            let f = c(&n.of(&FIELDS));
            let st = mapi_record_set_int_array(r, f.as_ptr(), v.as_ptr(), v.len());
            set(n, &["li"], Known::Ints(v.clone()), st);
        }
        Op::SetDoubleArray(n, v) => {
            let f = c(&n.of(&FIELDS));
            let st = mapi_record_set_double_array(r, f.as_ptr(), v.as_ptr(), v.len());
            set(
                n,
                &["ld"],
                Known::Doubles(v.iter().map(|x| bits(*x)).collect()),
                st,
            );
        }
        Op::SetJson(n, s) => {
            let f = c(&n.of(&FIELDS));
            let v = c(s);
            let st = mapi_record_set_json(r, f.as_ptr(), v.as_ptr());
            set(n, &[], Known::Unknown, st);
        }
        Op::SetConditionString(n, s) => {
            let (id, v) = (c(&n.of(&CONDITIONS)), c(s));
            ok_status(
                mapi_record_set_condition_string(r, id.as_ptr(), v.as_ptr()),
                "condition string",
            );
        }
        Op::SetConditionInt(n, v) => {
            let id = c(&n.of(&CONDITIONS));
            ok_status(
                mapi_record_set_condition_int(r, id.as_ptr(), *v),
                "condition int",
            );
        }
        Op::SetConditionDouble(n, v) => {
            let id = c(&n.of(&CONDITIONS));
            ok_status(
                mapi_record_set_condition_double(r, id.as_ptr(), *v),
                "condition double",
            );
        }
        Op::SetConditionJson(n, s) => {
            let (id, v) = (c(&n.of(&CONDITIONS)), c(s));
            ok_status(
                mapi_record_set_condition_json(r, id.as_ptr(), v.as_ptr()),
                "condition json",
            );
        }
        Op::CopyString(n, cap) => {
            let field = n.of(&FIELDS);
            let f = c(&field);
            let mut buf = vec![0xAAu8; *cap as usize];
            let mut len = usize::MAX;
            let st = ok_status(
                mapi_record_copy_string(
                    r,
                    f.as_ptr(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    &mut len,
                ),
                "copy_string",
            );
            if let Some(Known::Text(want)) = model.get(&field) {
                if want.len() < buf.len() {
                    assert_eq!(st, MAPI_OK);
                    assert_eq!(&buf[..len], &want[..]);
                    assert_eq!(buf[len], 0, "NUL-terminated");
                } else {
                    assert_eq!(st, MAPI_ERR_BUFFER_TOO_SMALL);
                    assert_eq!(len, want.len(), "the length needed");
                }
            }
        }
        Op::GetString(n) => {
            let field = n.of(&FIELDS);
            let f = c(&field);
            let (mut p, mut len) = (ptr::null(), 0usize);
            let st = ok_status(
                mapi_record_get_string(r, f.as_ptr(), &mut p, &mut len),
                "get_string",
            );
            if let Some(Known::Text(want)) = model.get(&field) {
                assert_eq!(st, MAPI_OK);
                assert_eq!(std::slice::from_raw_parts(p.cast::<u8>(), len), &want[..]);
            }
        }
        Op::GetInt(n) => {
            let field = n.of(&FIELDS);
            let f = c(&field);
            let mut v = 0i64;
            let st = ok_status(mapi_record_get_int(r, f.as_ptr(), &mut v), "get_int");
            match model.get(&field) {
                Some(Known::Int(want)) => assert_eq!((st, v), (MAPI_OK, *want)),
                Some(Known::Null) => assert_eq!(st, MAPI_ERR_NULL_VALUE),
                _ => {}
            }
        }
        Op::GetDouble(n) => {
            let field = n.of(&FIELDS);
            let f = c(&field);
            let mut v = 0f64;
            let st = ok_status(mapi_record_get_double(r, f.as_ptr(), &mut v), "get_double");
            if let Some(Known::Double(want)) = model.get(&field) {
                assert_eq!((st, bits(v)), (MAPI_OK, *want));
            }
        }
        Op::GetBool(n) => {
            let field = n.of(&FIELDS);
            let f = c(&field);
            let mut v = -1i32;
            let st = ok_status(mapi_record_get_bool(r, f.as_ptr(), &mut v), "get_bool");
            if let Some(Known::Bool(want)) = model.get(&field) {
                assert_eq!((st, v), (MAPI_OK, *want as i32));
            }
        }
        Op::GetIntArray(n, cap) => {
            let field = n.of(&FIELDS);
            let f = c(&field);
            let mut buf = vec![0i64; *cap as usize];
            let mut len = usize::MAX;
            let st = ok_status(
                mapi_record_get_int_array(r, f.as_ptr(), buf.as_mut_ptr(), buf.len(), &mut len),
                "get_int_array",
            );
            if let Some(Known::Ints(want)) = model.get(&field) {
                assert_eq!(len, want.len());
                if want.len() <= buf.len() {
                    assert_eq!((st, &buf[..len]), (MAPI_OK, &want[..]));
                } else {
                    assert_eq!(st, MAPI_ERR_BUFFER_TOO_SMALL);
                }
            }
        }
        Op::GetDoubleArray(n, cap) => {
            let field = n.of(&FIELDS);
            let f = c(&field);
            let mut buf = vec![0f64; *cap as usize];
            let mut len = usize::MAX;
            let st = ok_status(
                mapi_record_get_double_array(r, f.as_ptr(), buf.as_mut_ptr(), buf.len(), &mut len),
                "get_double_array",
            );
            if let Some(Known::Doubles(want)) = model.get(&field) {
                assert_eq!(len, want.len());
                if want.len() <= buf.len() {
                    assert_eq!(st, MAPI_OK);
                    let got: Vec<u64> = buf[..len].iter().map(|x| bits(*x)).collect();
                    assert_eq!(&got, want);
                } else {
                    assert_eq!(st, MAPI_ERR_BUFFER_TOO_SMALL);
                }
            }
        }
        Op::GetJson(n, cap) => {
            let field = n.as_ref().map(|n| c(&n.of(&FIELDS)));
            let fp = field.as_ref().map_or(ptr::null(), |f| f.as_ptr());
            let mut buf = vec![0u8; *cap as usize];
            let mut len = usize::MAX;
            let st = ok_status(
                mapi_record_get_json(r, fp, buf.as_mut_ptr().cast(), buf.len(), &mut len),
                "get_json",
            );
            if st == MAPI_OK {
                let text = std::str::from_utf8(&buf[..len]).expect("UTF-8 JSON");
                let v: serde_json::Value =
                    serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
                if let (Some(n), Some(Known::Int(want))) =
                    (n, n.as_ref().and_then(|n| model.get(&n.of(&FIELDS))))
                {
                    let _ = n;
                    assert_eq!(v, serde_json::json!(want));
                }
            } else if st == MAPI_ERR_BUFFER_TOO_SMALL {
                assert!(len + 1 > buf.len());
            }
        }
        Op::Describe(n) => {
            let f = c(&n.of(&FIELDS));
            let t = mapi_record_field_type(r, f.as_ptr());
            let has = mapi_record_has_field(r, f.as_ptr());
            let null = mapi_record_is_null(r, f.as_ptr());
            assert!((-1..=MAPI_TYPE_JSON).contains(&t), "type {t}");
            assert_eq!(has == 1, t >= 0, "has_field and field_type agree");
            if has == 1 && model.get(&n.of(&FIELDS)) == Some(&Known::Null) {
                assert_eq!(null, 1);
            }
            let count = mapi_record_field_count(r);
            for i in 0..count + 1 {
                let name = mapi_record_field_name(r, i);
                assert_eq!(name.is_null(), i == count);
            }
        }
    }
}
