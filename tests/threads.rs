//! The process configuration from Rust, and what a manifest may nest: conditions evaluated
//! without recursion (a chain 10,000 deep, a DAG of 40 levels whose composites each name the
//! next twice), transformation chains limited at open, naming the transformation.
//! (The C tests run the thread modes themselves: each needs a process of its own.)

use messageapi::{Configuration, Error, Session, Value};
use serde_json::{json, Value as Json};

/// Conditions c_0 (x > value) and composites c_1 .. c_depth, each an `and` of the one before
/// (`twice`: naming it twice).
fn manifest(depth: usize, twice: bool) -> Json {
    let mut conditions =
        vec![json!({"id": "c_0", "type": "comparison", "operator": ">", "field": "x"})];
    for k in 1..=depth {
        let prev = format!("c_{}", k - 1);
        let children = if twice {
            json!([prev, prev])
        } else {
            json!([prev])
        };
        conditions.push(
            json!({"id": format!("c_{k}"), "type": "composite", "operator": "and",
                               "conditions": children}),
        );
    }
    json!({
        "fields": [{"id": "x", "type": "integer", "required": true}],
        "conditions": conditions,
        "collections": [{"id": "c", "fields": ["x"]}],
        "endpoints": [{"plugin": "evaluation", "connections": [{"id": "e", "collections": ["c"]}]}]
    })
}

fn check_nested(depth: usize, twice: bool) {
    let session = Session::from_json(&manifest(depth, twice).to_string(), None).unwrap();
    let mut request = session.request();
    for x in [5, -5, 7] {
        let r = request.add_record();
        r.set("x", Value::Integer(x)).unwrap();
        r.set_condition("c_0", Value::Integer(0)).unwrap();
    }
    let response = request.submit();
    let outcome = response
        .wait(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let xs: Vec<i64> = outcome
        .records
        .iter()
        .map(|r| r.get_int("x").unwrap())
        .collect();
    assert_eq!(xs, vec![5, 7]);
    assert_eq!(outcome.rejections.len(), 1);
    assert_eq!(outcome.rejections[0].record.get_int("x").unwrap(), -5);
    assert_eq!(
        outcome.rejections[0].reasons,
        vec!["The record fields were invalidated against specified conditions."]
    );
}

#[test]
fn a_chain_of_ten_thousand_composites_evaluates() {
    check_nested(10_000, false);
}

#[test]
fn a_dag_of_composites_costs_its_size() {
    // 2^40 paths: evaluated once per condition, it is 41 conditions.
    check_nested(40, true);
}

#[test]
fn configure_after_a_session_opened_is_too_late_and_changes_nothing() {
    let _session = Session::from_json(&manifest(1, false).to_string(), None).unwrap();
    let before = messageapi::configuration().unwrap();
    let err = messageapi::configure(&Configuration {
        workers: Some(before.workers + 1),
        ..Default::default()
    })
    .unwrap_err();
    assert!(matches!(err, Error::TooLate(_)), "{err:?}");
    assert!(err.message().contains("before any session opens"));
    assert_eq!(messageapi::configuration().unwrap(), before);
}

/// A chain of `n` join transformations, each reading the one before.
fn chained(n: usize) -> Json {
    let mut transformations = vec![json!({"id": "t_1", "operator": "reduce",
        "records": {"reduce-list": {"COLLECTION": "c"}}})];
    for k in 2..=n {
        transformations.push(json!({"id": format!("t_{k}"), "operator": "reduce",
            "records": {"reduce-list": {"TRANSFORMATION": format!("t_{}", k - 1)}}}));
    }
    json!({
        "fields": [{"id": "x", "type": "integer", "required": true}],
        "collections": [{"id": "c", "fields": ["x"]}],
        "transformations": transformations,
        "endpoints": [{"plugin": "evaluation", "connections": [
            {"id": "e", "transformations": [format!("t_{n}")]}]}]
    })
}

#[test]
fn transformation_chains_are_limited_at_open() {
    let session = Session::from_json(&chained(64).to_string(), None).unwrap();
    let mut request = session.request();
    request.add_record().set("x", Value::Integer(3)).unwrap();
    let outcome = request.submit_and_wait().unwrap();
    assert_eq!(outcome.records().unwrap().len(), 1);
    let err = Session::from_json(&chained(65).to_string(), None).unwrap_err();
    assert!(matches!(err, Error::Manifest(_)), "{err:?}");
    assert!(
        err.message()
            .contains("transformation t_65 reads a chain of 65 transformations; at most 64"),
        "{}",
        err.message()
    );
}
