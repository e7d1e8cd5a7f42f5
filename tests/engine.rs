//! Engine behaviours on inline manifests: types, conditions, routing, transformations, stream
//! and batch mode, failures that become rejections.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use messageapi::registry::{register_endpoint, register_transformation};
use messageapi::{Error, FnEndpoint, FnTransformation, Record, Session, Value};
use serde_json::json;

fn session(manifest: serde_json::Value) -> Session {
    Session::from_json(&manifest.to_string(), None).unwrap_or_else(|e| panic!("{e}"))
}

fn typed_manifest() -> serde_json::Value {
    json!({
        "fields": [
            {"id": "s", "type": "string", "required": true},
            {"id": "i", "type": "integer", "required": false},
            {"id": "f", "type": "float", "required": false},
            {"id": "d", "type": "double", "required": false},
            {"id": "b", "type": "boolean", "required": false},
            {"id": "t", "type": "datetime", "required": false},
            {"id": "li", "type": "list(int)", "required": false, "value": [1, 2, 3]},
            {"id": "ld", "type": "list(double)", "required": false},
            {"id": "ls", "type": "list(string)", "required": false},
            {"id": "j", "type": "json", "required": false}
        ],
        "collections": [{"id": "all", "fields": ["s", "i", "f", "d", "b", "t", "li", "ld", "ls", "j"]}],
        "endpoints": [{"plugin": "evaluation", "connections": [{"id": "out", "collections": "*"}]}]
    })
}

#[test]
fn values_are_type_checked_and_integers_widen() {
    let session = session(typed_manifest());
    let mut r = session.new_record();
    assert_eq!(
        r.get("li").unwrap(),
        &Value::IntList(vec![1, 2, 3].into()),
        "default value"
    );
    assert!(matches!(
        r.set("s", Value::Integer(1)),
        Err(Error::TypeMismatch(_))
    ));
    assert!(matches!(
        r.set("i", Value::Double(1.5)),
        Err(Error::TypeMismatch(_))
    ));
    assert!(matches!(r.set("b", s("true")), Err(Error::TypeMismatch(_))));
    assert!(matches!(r.set("nope", s("x")), Err(Error::UnknownField(_))));
    r.set("d", Value::Integer(7)).unwrap();
    assert_eq!(r.get("d").unwrap(), &Value::Double(7.0));
    r.set("f", Value::Double(0.1)).unwrap();
    assert_eq!(r.get("f").unwrap(), &Value::Double(0.1f32 as f64));
    r.set("ld", Value::IntList(vec![1, 2].into())).unwrap();
    assert_eq!(
        r.get("ld").unwrap(),
        &Value::DoubleList(vec![1.0, 2.0].into())
    );
    r.set("j", Value::Integer(3)).unwrap();
    assert_eq!(r.get("j").unwrap(), &Value::Json(Arc::new(json!(3))));
    let err = r.set("s", Value::Integer(1)).unwrap_err();
    assert_eq!(
        err.message(),
        "field \"s\" is string, cannot take an integer value"
    );
}

#[test]
fn typed_getters_widen_and_name_what_the_field_holds() {
    let session = session(typed_manifest());
    let mut r = session.new_record();
    r.set("s", s("KBOS")).unwrap();
    r.set("i", Value::Integer(42)).unwrap();
    r.set("b", Value::Boolean(true)).unwrap();
    r.set_json("t", &json!("2020-01-02T03:04:05Z")).unwrap();
    assert_eq!(r.get_text("s").unwrap().as_str(), "KBOS");
    assert_eq!(r.get_text("t").unwrap().as_str(), "2020-01-02T03:04:05Z");
    assert_eq!(r.get_int("i").unwrap(), 42);
    assert_eq!(r.get_double("i").unwrap(), 42.0, "an integer widens");
    assert!(r.get_bool("b").unwrap());
    assert_eq!(r.get_int_list("li").unwrap(), &[1, 2, 3]);
    assert_eq!(&*r.get_double_list("li").unwrap(), &[1.0, 2.0, 3.0]);
    let err = r.get_int("s").unwrap_err();
    assert!(matches!(err, Error::TypeMismatch(_)));
    assert_eq!(
        err.message(),
        "field \"s\" holds a string value, not an integer"
    );
    let err = r.get_double("d").unwrap_err();
    assert!(matches!(err, Error::NullValue(_)));
    assert_eq!(err.message(), "field \"d\" is null");
    assert!(matches!(r.get_bool("nope"), Err(Error::UnknownField(_))));
}

#[test]
fn unknown_types_fail_at_open() {
    let mut m = typed_manifest();
    m["fields"][3]["type"] = json!("decimal");
    let err = Session::from_json(&m.to_string(), None).unwrap_err();
    assert!(matches!(err, Error::Manifest(_)));
    assert!(
        err.message()
            .ends_with("fields[3].type: unknown type \"decimal\""),
        "{err}"
    );
}

#[test]
fn required_fields_give_one_reason_each_in_schema_order() {
    let session = session(json!({
        "fields": [
            {"id": "a", "type": "string", "required": true},
            {"id": "b", "type": "string", "required": false},
            {"id": "c", "type": "integer", "required": true},
            {"id": "d", "type": "string", "required": true, "value": "default satisfies required"}
        ],
        "collections": [{"id": "x", "fields": ["a", "b", "c", "d"]}],
        "endpoints": [{"plugin": "evaluation", "connections": [{"id": "e", "collections": ["x"]}]}]
    }));
    let mut req = session.request();
    req.add_record().set("b", s("only b")).unwrap();
    let ok = req.add_record();
    ok.set("a", s("a")).unwrap();
    ok.set("c", Value::Integer(1)).unwrap();
    let resp = req.submit();
    let out = resp.wait(None).unwrap();
    assert_eq!(out.rejections.len(), 1);
    assert_eq!(
        out.rejections[0].reasons,
        [
            "Required field a was missing a value.",
            "Required field c was missing a value."
        ]
    );
    assert_eq!(out.records.len(), 1);
    assert_eq!(get_str(&out.records[0], "d"), "default satisfies required");
}

fn operator_session(field_type: &str, operator: &str) -> Session {
    session(json!({
        "fields": [{"id": "v", "type": field_type, "required": false}],
        "conditions": [{"id": "c", "type": "comparison", "operator": operator, "field": "v"}],
        "collections": [{"id": "x", "fields": ["v"]}],
        "endpoints": [{"plugin": "evaluation", "connections": [{"id": "e", "collections": ["x"]}]}]
    }))
}

fn passes(field_type: &str, operator: &str, field: Value, cond: Value) -> bool {
    let session = operator_session(field_type, operator);
    let mut req = session.request();
    let r = req.add_record();
    r.set("v", field).unwrap();
    r.set_condition("c", cond).unwrap();
    let resp = req.submit();
    let out = resp.wait(None).unwrap();
    assert_eq!(out.records.len() + out.rejections.len(), 1);
    out.records.len() == 1
}

#[test]
fn every_operator_on_every_comparable_type() {
    let dt = |t: &str| Value::parse_datetime(t).unwrap();
    let cases: Vec<(&str, &str, Value, Value, bool)> = vec![
        ("integer", "=", Value::Integer(5), Value::Integer(5), true),
        ("integer", "=", Value::Integer(5), Value::Integer(6), false),
        ("integer", "/=", Value::Integer(5), Value::Integer(6), true),
        ("integer", "!=", Value::Integer(5), Value::Integer(5), false),
        ("integer", "<", Value::Integer(5), Value::Integer(6), true),
        ("integer", "<", Value::Integer(6), Value::Integer(6), false),
        ("integer", ">", Value::Integer(7), Value::Integer(6), true),
        ("integer", "<=", Value::Integer(6), Value::Integer(6), true),
        ("integer", ">=", Value::Integer(5), Value::Integer(6), false),
        ("double", "<", Value::Double(1.5), Value::Integer(2), true),
        ("double", ">=", Value::Double(2.0), Value::Integer(2), true),
        ("float", "=", Value::Double(2.5), Value::Double(2.5), true),
        ("string", "<", s("apple"), s("banana"), true),
        ("string", ">", s("apple"), s("banana"), false),
        ("string", "=", s("x"), s("x"), true),
        ("string", "contains", s("hello world"), s("lo w"), true),
        ("string", "contains", s("hello"), s("xyz"), false),
        (
            "boolean",
            "<",
            Value::Boolean(false),
            Value::Boolean(true),
            true,
        ),
        (
            "boolean",
            "=",
            Value::Boolean(true),
            Value::Boolean(false),
            false,
        ),
        (
            "datetime",
            "<",
            dt("2019-05-06T00:00:00Z"),
            dt("2019-05-07T00:00:00Z"),
            true,
        ),
        (
            "datetime",
            ">",
            dt("2019-05-06T10:00:00+02:00"),
            dt("2019-05-06T09:00:00Z"),
            false,
        ),
        (
            "datetime",
            "=",
            dt("2019-05-06T10:00:00+02:00"),
            s("2019-05-06T08:00:00Z"),
            true,
        ),
        (
            "list(int)",
            "contains",
            Value::IntList(vec![1, 2, 3].into()),
            Value::Integer(2),
            true,
        ),
        (
            "list(int)",
            "contains",
            Value::IntList(vec![1, 2, 3].into()),
            Value::Integer(9),
            false,
        ),
        (
            "list(double)",
            "contains",
            Value::DoubleList(vec![1.5].into()),
            Value::Double(1.5),
            true,
        ),
        (
            "list(string)",
            "contains",
            Value::StringList(vec!["a".into(), "b".into()].into()),
            s("b"),
            true,
        ),
        (
            "string",
            "in",
            s("b"),
            Value::StringList(vec!["a".into(), "b".into()].into()),
            true,
        ),
        (
            "string",
            "in",
            s("c"),
            Value::StringList(vec!["a".into(), "b".into()].into()),
            false,
        ),
        (
            "integer",
            "in",
            Value::Integer(3),
            Value::IntList(vec![1, 3].into()),
            true,
        ),
        (
            "integer",
            "in",
            Value::Integer(4),
            Value::Json(Arc::new(json!([1, 3]))),
            false,
        ),
        (
            "integer",
            "in",
            Value::Integer(3),
            Value::Json(Arc::new(json!([1, 3]))),
            true,
        ),
        // a null field value is never "=" anything
        ("integer", "=", Value::Null, Value::Integer(1), false),
    ];
    for (ty, op, field, cond, want) in cases {
        let got = passes(ty, op, field.clone(), cond.clone());
        assert_eq!(got, want, "{ty} {field:?} {op} {cond:?}");
    }
}

#[test]
fn condition_values_are_type_checked() {
    let session = operator_session("integer", "<");
    let mut r = session.new_record();
    let err = r.set_condition("c", s("five")).unwrap_err();
    assert!(matches!(err, Error::TypeMismatch(_)), "{err:?}");
    assert!(matches!(
        r.set_condition("zz", Value::Integer(1)),
        Err(Error::UnknownCondition(_))
    ));
    let session = operator_session("string", "in");
    let mut r = session.new_record();
    assert!(matches!(
        r.set_condition("c", s("scalar")),
        Err(Error::TypeMismatch(_))
    ));
}

fn composite_session() -> Session {
    session(json!({
        "fields": [
            {"id": "n", "type": "integer", "required": false},
            {"id": "name", "type": "string", "required": false}
        ],
        "conditions": [
            {"id": "big", "type": "comparison", "operator": ">", "field": "n"},
            {"id": "small", "type": "comparison", "operator": "<", "field": "n"},
            {"id": "named", "type": "comparison", "operator": "=", "field": "name"},
            {"id": "big-or-small", "type": "composite", "operator": "or", "conditions": ["big", "small"]},
            {"id": "all", "type": "composite", "operator": "and", "conditions": ["big-or-small", "named"]}
        ],
        "collections": [{"id": "x", "fields": ["n", "name"]}],
        "endpoints": [{"plugin": "evaluation", "connections": [{"id": "e", "collections": ["x"]}]}]
    }))
}

#[test]
fn composites_drop_unvalued_children_and_and_the_top_level() {
    let session = composite_session();
    type Setup = fn(&mut Record);
    let cases: Vec<(&str, Setup, bool)> = vec![
        ("nothing valued passes", |_r| {}, true),
        (
            "or with one valued child: fails",
            |r| r.set_condition("big", Value::Integer(100)).unwrap(),
            false,
        ),
        (
            "or with one valued child: passes",
            |r| r.set_condition("big", Value::Integer(1)).unwrap(),
            true,
        ),
        (
            "or: second child passes",
            |r| {
                r.set_condition("big", Value::Integer(100)).unwrap();
                r.set_condition("small", Value::Integer(50)).unwrap();
            },
            true,
        ),
        (
            "and: named fails",
            |r| {
                r.set_condition("big", Value::Integer(1)).unwrap();
                r.set_condition("named", s("other")).unwrap();
            },
            false,
        ),
        (
            "and: both pass",
            |r| {
                r.set_condition("small", Value::Integer(50)).unwrap();
                r.set_condition("named", s("n10")).unwrap();
            },
            true,
        ),
    ];
    for (what, setup, want) in cases {
        let mut req = session.request();
        let r = req.add_record();
        r.set("n", Value::Integer(10)).unwrap();
        r.set("name", s("n10")).unwrap();
        setup(r);
        let resp = req.submit();
        let out = resp.wait(None).unwrap();
        assert_eq!(out.records.len() == 1, want, "{what}");
        if !want {
            assert_eq!(
                out.rejections[0].reasons,
                ["The record fields were invalidated against specified conditions."]
            );
        }
    }
}

#[test]
fn a_collection_condition_drops_a_collection_silently() {
    let session = session(json!({
        "fields": [
            {"id": "station", "type": "string", "required": true},
            {"id": "temp", "type": "double", "required": false}
        ],
        "conditions": [{"id": "is-kilx", "type": "comparison", "operator": "=", "field": "station", "value": "KILX"},
                       {"id": "warm", "type": "comparison", "operator": ">", "field": "temp"}],
        "collections": [
            {"id": "kilx-only", "fields": ["station", "temp"], "conditions": ["is-kilx", "never-defined"]},
            {"id": "all", "fields": ["station"]}
        ],
        "endpoints": [{"plugin": "evaluation", "connections": [{"id": "e", "collections": "*"}]}]
    }));
    let mut req = session.request();
    req.add_record().set("station", s("KILX")).unwrap();
    req.add_record().set("station", s("KORD")).unwrap();
    let resp = req.submit();
    let out = resp.wait(None).unwrap();
    assert_eq!(out.rejections.len(), 0);
    assert_eq!(out.records.len(), 3);
    assert_eq!(field_names(&out.records[0]), ["station", "temp"]);
    assert_eq!(get_str(&out.records[0], "station"), "KILX");
    assert_eq!(field_names(&out.records[1]), ["station"]);

    // The caller may value more request-level conditions, or change the manifest's.
    let mut req = session.request();
    req.add_record().set("station", s("KORD")).unwrap();
    req.conditions()
        .set_condition("is-kilx", s("KORD"))
        .unwrap();
    let out = req.submit_and_wait().unwrap();
    assert_eq!(out.records().unwrap().len(), 2);
}

static STREAM_CALLS: AtomicUsize = AtomicUsize::new(0);

fn register_counter() {
    register_endpoint(
        "test-counter",
        Arc::new(FnEndpoint(|call: &mut messageapi::EndpointCall<'_>| {
            STREAM_CALLS.fetch_add(1, Ordering::SeqCst);
            let seen = call.records().len() as i64;
            let state = call.state();
            let count = match state.get("count") {
                Ok(Value::Integer(c)) => *c,
                _ => 0,
            } + 1;
            let total = match state.get("total") {
                Ok(Value::Integer(c)) => *c,
                _ => 0,
            } + seen;
            state.set("count", Value::Integer(count))?;
            state.set("total", Value::Integer(total))?;
            let mut out = call.new_record();
            out.set("count", Value::Integer(count))?;
            out.set("total", Value::Integer(total))?;
            call.add_record(out);
            Ok(())
        })),
    )
    .unwrap();
}

fn counter_session() -> Session {
    register_counter();
    session(json!({
        "fields": [{"id": "x", "type": "integer", "required": false}],
        "collections": [{"id": "c", "fields": ["x"]}],
        "endpoints": [{"plugin": "test-counter", "connections": [
            {"id": "counter", "collections": ["c"],
             "constructor": {"default-fields": [{"id": "count", "type": "integer"}, {"id": "total", "type": "integer"}],
                             "state-container": [{"id": "count", "type": "integer", "value": 0},
                                                 {"id": "total", "type": "integer", "value": 0}]}}]}]
    }))
}

fn counts(resp: &messageapi::Response) -> (i64, i64) {
    let out = resp.wait(None).unwrap();
    assert_eq!(out.records.len(), 1);
    (
        get_int(&out.records[0], "count"),
        get_int(&out.records[0], "total"),
    )
}

#[test]
fn resubmitting_streams_and_a_new_request_starts_fresh() {
    let session = counter_session();
    let mut req = session.request();
    req.add_record();
    req.add_record();
    let first = req.submit();
    req.clear();
    req.add_record();
    let second = req.submit();
    let third = req.submit();
    assert_eq!(counts(&first), (1, 2));
    assert_eq!(counts(&second), (2, 3));
    assert_eq!(counts(&third), (3, 4));
    let mut fresh = session.request();
    fresh.add_record();
    assert_eq!(counts(&fresh.submit()), (1, 1));
}

#[test]
fn every_connection_runs_even_with_nothing_routed() {
    let session = counter_session();
    let mut req = session.request();
    let resp = req.submit();
    assert_eq!(counts(&resp), (1, 0));
}

#[test]
fn submit_copies_the_records() {
    let session = counter_session();
    let mut req = session.request();
    req.add_record().set("x", Value::Integer(1)).unwrap();
    let resp = req.submit();
    req.record_mut(0)
        .unwrap()
        .set("x", Value::Integer(2))
        .unwrap();
    req.add_record();
    assert_eq!(counts(&resp), (1, 1));
}

static UUID_RUNS: AtomicUsize = AtomicUsize::new(0);
static CHAINED_RUNS: AtomicUsize = AtomicUsize::new(0);

fn transformation_session() -> Session {
    register_transformation(
        "test-per-uuid",
        Arc::new(FnTransformation(
            |call: &mut messageapi::TransformCall<'_>| {
                UUID_RUNS.fetch_add(1, Ordering::SeqCst);
                let mine = call.take_input("one-record");
                // All collection records of one container record, and only those.
                let ids: std::collections::HashSet<i64> =
                    mine.iter().map(|r| get_int(r, "id")).collect();
                assert_eq!(ids.len(), 1, "one UUID per run");
                let mut out = call.new_record();
                out.set("id", Value::Integer(*ids.iter().next().unwrap()))?;
                out.set("parts", Value::Integer(mine.len() as i64))?;
                out.set(
                    "everything",
                    Value::Integer(call.input("everything").unwrap().len() as i64),
                )?;
                call.add(out);
                Ok(())
            },
        )),
    )
    .unwrap();
    register_transformation(
        "test-chained",
        Arc::new(FnTransformation(
            |call: &mut messageapi::TransformCall<'_>| {
                CHAINED_RUNS.fetch_add(1, Ordering::SeqCst);
                let n = call.input("upstream").unwrap().len();
                let mut out = call.new_record();
                out.set("upstream-records", Value::Integer(n as i64))?;
                call.add(out);
                Ok(())
            },
        )),
    )
    .unwrap();
    session(json!({
        "fields": [{"id": "id", "type": "integer", "required": true}, {"id": "name", "type": "string", "required": false}],
        "collections": [{"id": "ids", "fields": ["id"]}, {"id": "names", "fields": ["id", "name"], "classifiers": {"kind": "named"}}],
        "transformations": [
            {"id": "per-uuid", "operator": "test-per-uuid", "records": {"one-record": "UUID", "everything": {"CLASSIFIER": ["kind", "named"]}}},
            {"id": "chained", "operator": "test-chained", "records": {"upstream": {"TRANSFORMATION": "per-uuid"}}},
            {"id": "unused", "operator": "test-chained", "records": {"upstream": {"COLLECTION": "ids"}}}
        ],
        "endpoints": [{"plugin": "evaluation", "connections": [
            {"id": "a", "transformations": ["per-uuid", "chained"]},
            {"id": "b", "transformations": ["chained"]}
        ]}]
    }))
}

#[test]
fn uuid_transformations_run_once_per_record_lazily_once_per_connection() {
    let session = transformation_session();
    let before_uuid = UUID_RUNS.load(Ordering::SeqCst);
    let before_chained = CHAINED_RUNS.load(Ordering::SeqCst);
    let mut req = session.request();
    for i in 0..4 {
        let r = req.add_record();
        r.set("id", Value::Integer(i)).unwrap();
        r.set("name", s(&format!("n{i}"))).unwrap();
    }
    let resp = req.submit();
    let out = resp.wait(None).unwrap();
    assert_eq!(
        out.rejections.len(),
        0,
        "{:?}",
        out.rejections.first().map(|r| &r.reasons)
    );
    // Connection a: 4 per-uuid outputs then 1 chained; connection b: 1 chained.
    assert_eq!(out.records.len(), 6);
    for (i, r) in out.records[..4].iter().enumerate() {
        assert_eq!(get_int(r, "id"), i as i64);
        assert_eq!(get_int(r, "parts"), 2);
        assert_eq!(get_int(r, "everything"), 4);
    }
    assert_eq!(get_int(&out.records[4], "upstream-records"), 4);
    assert_eq!(get_int(&out.records[5], "upstream-records"), 4);
    // per-uuid: 4 records × 2 connections (a asks directly and via chained: evaluated once).
    assert_eq!(UUID_RUNS.load(Ordering::SeqCst) - before_uuid, 8);
    // chained: once per connection; "unused" never runs.
    assert_eq!(CHAINED_RUNS.load(Ordering::SeqCst) - before_chained, 2);
}

fn filter_transformation() {
    register_transformation(
        "test-role-filter",
        Arc::new(FnTransformation(
            |call: &mut messageapi::TransformCall<'_>| {
                let role = call
                    .parameter("role")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string();
                let keep: Vec<Record> = call
                    .take_input("in")
                    .into_iter()
                    .filter(|r| get_str(r, "role") == role)
                    .collect();
                call.extend(keep);
                Ok(())
            },
        )),
    )
    .unwrap();
}

#[test]
fn join_semantics() {
    filter_transformation();
    let session = session(json!({
        "fields": [
            {"id": "key", "type": "string", "required": false},
            {"id": "role", "type": "string", "required": true},
            {"id": "v", "type": "integer", "required": false}
        ],
        "collections": [{"id": "all", "fields": ["key", "role", "v"]}],
        "transformations": [
            {"id": "j", "operator": "gov.noaa.messageapi.transformations.joins.StringFieldJoin",
             "constructor": {"join-field": "key", "collection-field": "children"},
             "records": {"parent": {"TRANSFORMATION": "parents"}, "child": {"TRANSFORMATION": "kids"}}},
            {"id": "parents", "operator": "test-role-filter", "constructor": {"role": "parent"}, "records": {"in": {"COLLECTION": "all"}}},
            {"id": "kids", "operator": "test-role-filter", "constructor": {"role": "child"}, "records": {"in": {"COLLECTION": "all"}}},
            {"id": "r", "operator": "reduce", "records": {"reduce-list": {"TRANSFORMATION": "j"}}}
        ],
        "endpoints": [{"plugin": "evaluation", "connections": [{"id": "e", "transformations": ["r"]}]}]
    }));
    let mut req = session.request();
    let rows: [(Option<&str>, &str, i64); 6] = [
        (Some("k1"), "parent", 1),
        (Some("k2"), "parent", 2),
        (None, "parent", 3),
        (Some("k1"), "child", 10),
        (Some("k1"), "child", 11),
        (None, "child", 12),
    ];
    for (key, role, v) in rows {
        let r = req.add_record();
        r.set("key", key.map_or(Value::Null, s)).unwrap();
        r.set("role", s(role)).unwrap();
        r.set("v", Value::Integer(v)).unwrap();
    }
    let resp = req.submit();
    let out = resp.wait(None).unwrap();
    assert_eq!(
        out.rejections.len(),
        0,
        "{:?}",
        out.rejections.first().map(|r| &r.reasons)
    );
    assert_eq!(out.records.len(), 3);
    assert_eq!(
        field_names(&out.records[0]),
        ["key", "role", "v", "children"]
    );
    let children = |i: usize| out.records[i].get("children").unwrap().to_json();
    assert_eq!(
        children(0),
        json!([{"key": "k1", "role": "child", "v": 10}, {"key": "k1", "role": "child", "v": 11}])
    );
    assert_eq!(children(1), json!([]));
    assert_eq!(
        children(2),
        json!([]),
        "a null join value matches nothing, not other nulls"
    );
}

#[test]
fn routing_by_collection_classifier_and_fields_narrowing() {
    let session = session(json!({
        "fields": [
            {"id": "a", "type": "string", "required": false},
            {"id": "b", "type": "string", "required": false},
            {"id": "c", "type": "string", "required": false}
        ],
        "collections": [
            {"id": "ab", "fields": ["b", "a"], "classifiers": {"colour": ["red", "blue"], "size": "big"}},
            {"id": "bc", "fields": ["b", "c"], "classifiers": {"colour": "blue"}},
            {"id": "ca", "fields": ["c", "a"]}
        ],
        "endpoints": [
            {"plugin": "evaluation", "connections": [
                {"id": "listed", "collections": ["ca", "ab"]},
                {"id": "blue", "classifiers": {"colour": ["blue"]}},
                {"id": "any-size", "classifiers": {"size": "*"}, "fields": ["b", "zzz"]}
            ]},
            {"plugin": "evaluation", "connections": [
                {"id": "both", "collections": "ab", "classifiers": {"colour": "red"}}
            ]}
        ]
    }));
    let mut req = session.request();
    let r = req.add_record();
    r.set("a", s("A")).unwrap();
    r.set("b", s("B")).unwrap();
    r.set("c", s("C")).unwrap();
    let resp = req.submit();
    let out = resp.wait(None).unwrap();
    let shapes: Vec<Vec<String>> = out.records.iter().map(field_names).collect();
    let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        shapes,
        vec![
            // listed: collection order as listed by the connection (ca, then ab); fields in schema order
            v(&["a", "c"]),
            v(&["a", "b"]),
            // blue: ab and bc carry colour=blue
            v(&["a", "b"]),
            v(&["b", "c"]),
            // any-size: ab, narrowed to b (unknown ids ignored)
            v(&["b"]),
            // both: the collection, then the classifier: the same record twice, as in the original
            v(&["a", "b"]),
            v(&["a", "b"]),
        ]
    );
}

#[test]
fn endpoint_failures_and_panics_reject_the_connections_records() {
    register_endpoint(
        "test-fails",
        Arc::new(FnEndpoint(|_: &mut messageapi::EndpointCall<'_>| {
            Err(Error::Endpoint("disk on fire".into()))
        })),
    )
    .unwrap();
    register_endpoint(
        "test-panics",
        Arc::new(FnEndpoint(
            |_: &mut messageapi::EndpointCall<'_>| -> messageapi::Result<()> { panic!("boom") },
        )),
    )
    .unwrap();
    register_transformation(
        "test-bad-transformation",
        Arc::new(FnTransformation(|_: &mut messageapi::TransformCall<'_>| {
            Err(Error::Endpoint("no can do".into()))
        })),
    )
    .unwrap();
    let session = session(json!({
        "fields": [{"id": "x", "type": "integer", "required": true}],
        "collections": [{"id": "c", "fields": ["x"]}],
        "transformations": [{"id": "bad", "operator": "test-bad-transformation", "records": {"in": {"COLLECTION": "c"}}}],
        "endpoints": [
            {"plugin": "test-fails", "connections": [{"id": "failing", "collections": ["c"]}]},
            {"plugin": "evaluation", "connections": [{"id": "fine", "collections": ["c"]}, {"id": "via-bad", "transformations": ["bad"]}]},
            {"plugin": "test-panics", "connections": [{"id": "panicking", "collections": ["c"]}]}
        ]
    }));
    let mut req = session.request();
    req.add_record().set("x", Value::Integer(1)).unwrap();
    req.add_record().set("x", Value::Integer(2)).unwrap();
    let resp = req.submit();
    let out = resp.wait(Some(Duration::from_secs(10))).unwrap();
    assert_eq!(
        out.records.len(),
        2,
        "the healthy connection still delivers"
    );
    let reasons: Vec<&str> = out
        .rejections
        .iter()
        .map(|r| r.reasons[0].as_str())
        .collect();
    assert_eq!(
        reasons,
        [
            "connection failing: disk on fire",
            "connection failing: disk on fire",
            "connection via-bad: transformation bad failed: no can do",
            "connection via-bad: transformation bad failed: no can do",
            "connection panicking: endpoint panicked: boom",
            "connection panicking: endpoint panicked: boom",
        ]
    );
    assert_eq!(get_int(&out.rejections[1].record, "x"), 2);
}

#[test]
fn wait_times_out_and_the_response_still_completes() {
    register_endpoint(
        "test-slow",
        Arc::new(FnEndpoint(|_: &mut messageapi::EndpointCall<'_>| {
            std::thread::sleep(Duration::from_millis(300));
            Ok(())
        })),
    )
    .unwrap();
    let session = session(json!({
        "fields": [{"id": "x", "type": "integer", "required": false}],
        "collections": [{"id": "c", "fields": ["x"]}],
        "endpoints": [{"plugin": "test-slow", "connections": [{"id": "slow", "collections": ["c"]}]}]
    }));
    let mut req = session.request();
    let resp = req.submit();
    assert!(!resp.is_complete());
    assert!(matches!(
        resp.wait(Some(Duration::from_millis(10))),
        Err(Error::TimedOut(_))
    ));
    assert!(resp.wait(Some(Duration::from_secs(10))).is_ok());
    assert!(resp.is_complete());
}

#[test]
fn parallel_sessions_give_the_same_results_in_the_same_order() {
    let m = |kind: &str| {
        json!({
            "plugin": kind,
            "constructor": {
                "schema": {"plugin": "default", "constructor": {"fields": [
                    {"id": "n", "type": "integer", "required": true}, {"id": "tag", "type": "string", "required": false}],
                    "conditions": [{"id": "small", "type": "comparison", "operator": "<", "field": "n"}]}},
                "container": {"plugin": "default", "constructor": {"collections": [
                    {"id": "x", "fields": ["n"]}, {"id": "y", "fields": ["n", "tag"]}]}},
                "protocol": {"plugin": "default", "constructor": {"endpoints": [
                    {"plugin": "evaluation", "connections": [{"id": "one", "collections": ["x"]}, {"id": "two", "collections": ["y", "x"]}]}]}}
            }
        })
    };
    let run = |kind: &str| {
        let session = session(m(kind));
        let mut req = session.request();
        for i in 0..10_000 {
            let r = req.add_record();
            if i % 1000 != 7 {
                r.set("n", Value::Integer(i)).unwrap();
            }
            r.set("tag", s("t")).unwrap();
            r.set_condition("small", Value::Integer(9_000)).unwrap();
        }
        let resp = req.submit();
        let out = resp.wait(None).unwrap();
        let records: Vec<serde_json::Value> = out.records.iter().map(Record::to_json).collect();
        let rejections: Vec<(serde_json::Value, Vec<String>)> = out
            .rejections
            .iter()
            .map(|r| (r.record.to_json(), r.reasons.clone()))
            .collect();
        (records, rejections)
    };
    let (seq_r, seq_j) = run("sequential");
    let (par_r, par_j) = run("gov.noaa.messageapi.sessions.ParallelSession");
    // 10 missing n (required) + 990 with n >= 9000 minus the missing ones among them.
    assert_eq!(seq_j.len(), 10 + 999);
    assert_eq!(seq_r.len(), (10_000 - seq_j.len()) * 3);
    assert_eq!(seq_j[0].1, ["Required field n was missing a value."]);
    assert_eq!(
        seq_j[10].1,
        ["The record fields were invalidated against specified conditions."]
    );
    assert_eq!(seq_r, par_r);
    assert_eq!(seq_j, par_j);
}

#[test]
fn an_endpoint_finishing_later_lets_the_next_submit_run_and_responses_complete_in_order() {
    use std::sync::{Condvar, Mutex};
    static PROCESSED: AtomicUsize = AtomicUsize::new(0);
    static GATE: Mutex<bool> = Mutex::new(false);
    static OPENED: Condvar = Condvar::new();
    register_endpoint(
        "test-deferred",
        Arc::new(FnEndpoint(|call: &mut messageapi::EndpointCall<'_>| {
            PROCESSED.fetch_add(1, Ordering::SeqCst);
            let records: Vec<Record> = call.records().to_vec();
            // The second half waits for the test to open the gate, then returns the records.
            call.finish_later(move |out| {
                let mut open = GATE.lock().unwrap();
                while !*open {
                    open = OPENED.wait(open).unwrap();
                }
                for r in records {
                    out.add_record(r);
                }
            });
            Ok(())
        })),
    )
    .unwrap();
    let session = session(json!({
        "fields": [{"id": "x", "type": "integer", "required": true}],
        "collections": [{"id": "c", "fields": ["x"]}],
        "endpoints": [{"plugin": "test-deferred", "connections": [{"id": "d", "collections": ["c"]}]}]
    }));
    let mut req = session.request();
    req.add_record().set("x", Value::Integer(1)).unwrap();
    let first = req.submit_and_clear();
    req.add_record().set("x", Value::Integer(2)).unwrap();
    let second = req.submit_and_clear();
    // The second submit's endpoint runs while the first one's finisher still waits.
    let start = std::time::Instant::now();
    while PROCESSED.load(Ordering::SeqCst) < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the second submit did not run"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(!first.is_complete() && !second.is_complete());
    *GATE.lock().unwrap() = true;
    OPENED.notify_all();
    let out = second.wait(Some(Duration::from_secs(10))).unwrap();
    assert!(
        first.is_complete(),
        "responses of one request complete in submit order"
    );
    assert_eq!(out.records.len(), 1);
    assert_eq!(get_int(&out.records[0], "x"), 2);
    let out = first.wait(None).unwrap();
    assert_eq!(out.records.len(), 1);
    assert_eq!(get_int(&out.records[0], "x"), 1);
}

/// Every record routed to a connection ends returned or rejected, wherever its endpoint fails:
/// after taking its records, after returning some, in its finisher, holding them or not.
#[test]
fn records_an_endpoint_took_are_rejected_when_it_fails() {
    type Call<'a> = messageapi::EndpointCall<'a>;
    let fail = || Error::Endpoint("gave up".into());
    register_endpoint(
        "test-takes-then-fails",
        Arc::new(FnEndpoint(move |call: &mut Call<'_>| {
            let _taken = call.listed_records()?;
            Err(fail())
        })),
    )
    .unwrap();
    register_endpoint(
        "test-takes-then-panics",
        Arc::new(FnEndpoint(
            |call: &mut Call<'_>| -> messageapi::Result<()> {
                let taken = call.listed_records()?;
                panic!("lost {} records?", taken.len())
            },
        )),
    )
    .unwrap();
    register_endpoint(
        "test-returns-one-then-fails",
        Arc::new(FnEndpoint(move |call: &mut Call<'_>| {
            let mut taken = call.listed_records()?;
            let first = taken.remove(0);
            call.add_record(first);
            Err(fail())
        })),
    )
    .unwrap();
    register_endpoint(
        "test-finisher-panics",
        Arc::new(FnEndpoint(|call: &mut Call<'_>| {
            let taken = call.listed_records()?;
            call.finish_later(move |_out| {
                let _held = taken;
                panic!("late")
            });
            Ok(())
        })),
    )
    .unwrap();
    register_endpoint(
        "test-finisher-returns-one-then-panics",
        Arc::new(FnEndpoint(|call: &mut Call<'_>| {
            let mut taken = call.listed_records()?;
            call.finish_later(move |out| {
                out.add_record(taken.remove(0));
                panic!("late")
            });
            Ok(())
        })),
    )
    .unwrap();
    register_endpoint(
        "test-consumes",
        Arc::new(FnEndpoint(|call: &mut Call<'_>| {
            drop(call.listed_records()?);
            Ok(())
        })),
    )
    .unwrap();
    let connections = [
        ("test-takes-then-fails", "a"),
        ("test-takes-then-panics", "b"),
        ("test-returns-one-then-fails", "c"),
        ("test-finisher-panics", "d"),
        ("test-finisher-returns-one-then-panics", "e"),
        ("test-consumes", "f"),
    ];
    let endpoints: Vec<serde_json::Value> = connections
        .iter()
        .map(|(plugin, id)| json!({"plugin": plugin, "connections": [{"id": id, "collections": ["c"]}]}))
        .collect();
    let session = session(json!({
        "fields": [{"id": "x", "type": "integer", "required": true}],
        "collections": [{"id": "c", "fields": ["x"]}],
        "endpoints": endpoints
    }));
    let mut req = session.request();
    for x in 1..=3 {
        req.add_record().set("x", Value::Integer(x)).unwrap();
    }
    let resp = req.submit();
    let out = resp.wait(Some(Duration::from_secs(10))).unwrap();
    let rejected = |prefix: &str| -> Vec<i64> {
        let mut xs: Vec<i64> = out
            .rejections
            .iter()
            .filter(|r| r.reasons[0].starts_with(prefix))
            .map(|r| get_int(&r.record, "x"))
            .collect();
        xs.sort();
        xs
    };
    assert_eq!(rejected("connection a: gave up"), [1, 2, 3]);
    assert_eq!(
        rejected("connection b: endpoint panicked: lost 3 records?"),
        [1, 2, 3]
    );
    assert_eq!(rejected("connection c: gave up"), [2, 3]);
    assert_eq!(
        rejected("connection d: endpoint panicked while finishing: late"),
        [1, 2, 3]
    );
    assert_eq!(
        rejected("connection e: endpoint panicked while finishing: late"),
        [2, 3]
    );
    assert_eq!(
        out.rejections.len(),
        3 + 3 + 2 + 3 + 2,
        "no other rejection"
    );
    // Returned before failing: c's first record and e's first record, nothing else.
    let returned: Vec<i64> = out.records.iter().map(|r| get_int(r, "x")).collect();
    assert_eq!(returned, [1, 1]);
}

/// Runtime parameters are checked when set: a value the endpoint cannot use, or a key an
/// endpoint fixed at open would ignore, is refused with a message naming the key.
#[test]
fn runtime_parameters_are_checked_when_set() {
    register_endpoint(
        "test-reads-parameters",
        Arc::new(FnEndpoint(|_: &mut messageapi::EndpointCall<'_>| Ok(()))),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let session = session(json!({
        "fields": [{"id": "x", "type": "integer", "required": true}],
        "collections": [{"id": "c", "fields": ["x"]}],
        "endpoints": [
            {"plugin": "file-writer", "connections": [{"id": "out", "collections": ["c"],
              "constructor": {"path": dir.path().join("out.jsonl").to_str().unwrap()}}]},
            {"plugin": "test-reads-parameters", "connections": [{"id": "mine", "collections": ["c"]}]}
        ]
    }));
    let mut req = session.request();
    let err = req
        .set_parameter("out", "path", json!("/elsewhere.jsonl"))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert_eq!(
        err.message(),
        "connection out: parameter \"path\": the file-writer endpoint reads its constructor when the session opens; runtime parameters do not change it"
    );
    let err = req.set_parameter("nope", "x", json!(1)).unwrap_err();
    assert_eq!(err.message(), "no connection \"nope\" in this session");
    // A plug-in reads its parameters itself: any key and value.
    req.set_parameter("mine", "anything", json!({"a": 1}))
        .unwrap();
    req.add_record().set("x", Value::Integer(1)).unwrap();
    let resp = req.submit();
    let out = resp.wait(Some(Duration::from_secs(10))).unwrap();
    assert_eq!(
        out.records.len(),
        1,
        "the refused parameter changed nothing"
    );
    let written = std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap();
    assert_eq!(
        written, "{\"x\":1}\n",
        "the writer kept the path it opened with"
    );
}

/// The case that lost a record: a producer's topic set to null at run time is refused when it
/// is set, not discovered by the endpoint later.
#[cfg(feature = "kafka")]
#[test]
fn kafka_runtime_parameters_are_checked_when_set() {
    let session = session(json!({
        "fields": [{"id": "a", "type": "integer", "required": true}],
        "collections": [{"id": "c", "fields": ["a"]}],
        "endpoints": [
            {"plugin": "kafka-producer", "connections": [{"id": "p", "collections": ["c"],
              "constructor": {"topic": "t", "bootstrap.servers": "127.0.0.1:1"}}]},
            {"plugin": "kafka-consumer", "connections": [{"id": "k",
              "constructor": {"topics": ["t"], "bootstrap.servers": "127.0.0.1:1"}}]}
        ]
    }));
    let mut req = session.request();
    let refused = |r: messageapi::Result<()>| match r {
        Err(Error::InvalidArgument(m)) => m,
        other => panic!("expected InvalidArgument, got {other:?}"),
    };
    assert_eq!(
        refused(req.set_parameter("p", "topic", serde_json::Value::Null)),
        "connection p: parameter \"topic\": kafka-producer needs \"topic\" or \"topic-field\""
    );
    assert_eq!(
        refused(req.set_parameter("p", "topic", json!(5))),
        "connection p: parameter \"topic\": expected a non-empty string, found 5"
    );
    assert_eq!(
        refused(req.set_parameter("p", "create-topic-partitions", json!("many"))),
        "connection p: parameter \"create-topic-partitions\": expected an integer, found \"many\""
    );
    req.set_parameter("p", "topic-field", json!("a")).unwrap();
    req.set_parameter("p", "topic", serde_json::Value::Null)
        .expect("with a topic-field, no topic is fine");
    assert_eq!(
        refused(req.set_parameter("k", "topics", json!(5))),
        "connection k: parameter \"topics\": expected a topic or a list of topics, found 5"
    );
    assert_eq!(
        refused(req.set_parameter("k", "timeout-ms", json!("soon"))),
        "connection k: parameter \"timeout-ms\": expected an integer, found \"soon\""
    );
    req.set_parameter("k", "topics", json!([])).unwrap();
}
