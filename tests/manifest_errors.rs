//! Every manifest error path: the kind of error and a message naming the file and JSON location.

use std::path::Path;

use messageapi::{Error, Session};
use serde_json::{json, Value};

fn base() -> Value {
    json!({
        "fields": [
            {"id": "a", "type": "string", "required": true},
            {"id": "b", "type": "integer", "required": false}
        ],
        "conditions": [
            {"id": "c1", "type": "comparison", "operator": "=", "field": "a"},
            {"id": "c2", "type": "composite", "operator": "and", "conditions": ["c1"]}
        ],
        "collections": [{"id": "x", "fields": ["a", "b"]}, {"id": "y", "fields": ["b"]}],
        "transformations": [{"id": "t", "operator": "reduce", "records": {"reduce-list": {"COLLECTION": "x"}}}],
        "endpoints": [{"plugin": "evaluation", "connections": [{"id": "e", "collections": ["x"], "transformations": ["t"]}]}]
    })
}

/// Writes `manifest` to a file and opens it.
fn open(manifest: &Value) -> (Error, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parameters.json");
    std::fs::write(&path, serde_json::to_string_pretty(manifest).unwrap()).unwrap();
    let err = Session::open(&path, None).expect_err("the manifest should not open");
    (err, path.display().to_string())
}

#[test]
fn the_base_manifest_opens() {
    Session::from_json(&base().to_string(), None).unwrap();
}

#[test]
fn each_error_names_file_and_location() {
    type Edit = fn(&mut Value);
    type Kind = fn(&Error) -> bool;
    let cases: Vec<(&str, Edit, Kind, &str)> = vec![
        (
            "unknown collection field",
            |m| m["collections"][1]["fields"] = json!(["b", "foo"]),
            is_manifest,
            "collections[1].fields[1]: unknown field \"foo\"",
        ),
        (
            "duplicate field",
            |m| m["fields"][1]["id"] = json!("a"),
            is_manifest,
            "fields[1]: duplicate field id \"a\"",
        ),
        (
            "field without id",
            |m| m["fields"][0] = json!({"type": "string"}),
            is_manifest,
            "fields[0]: missing required key \"id\"",
        ),
        (
            "unknown type",
            |m| m["fields"][1]["type"] = json!("decimal"),
            is_manifest,
            "fields[1].type: unknown type \"decimal\"",
        ),
        (
            "bad default",
            |m| m["fields"][1]["value"] = json!("seven"),
            is_type,
            "fields[1].value: field \"b\" is integer, cannot take JSON string",
        ),
        (
            "condition on unknown field",
            |m| m["conditions"][0]["field"] = json!("zz"),
            is_manifest,
            "conditions[0].field: unknown field \"zz\"",
        ),
        (
            "unknown operator",
            |m| m["conditions"][0]["operator"] = json!("~="),
            is_plugin,
            "conditions[0].operator: unknown condition operator \"~=\"",
        ),
        (
            "unknown composite child",
            |m| m["conditions"][1]["conditions"] = json!(["c1", "nope"]),
            is_manifest,
            "conditions[1].conditions[1]: unknown condition \"nope\"",
        ),
        (
            "duplicate condition",
            |m| m["conditions"][1]["id"] = json!("c1"),
            is_manifest,
            "conditions[1]: duplicate condition id \"c1\"",
        ),
        (
            "composite cycle",
            |m| {
                m["conditions"].as_array_mut().unwrap().push(json!({"id": "c3", "type": "composite", "operator": "or", "conditions": ["c2", "c4"]}));
                m["conditions"].as_array_mut().unwrap().push(json!({"id": "c4", "type": "composite", "operator": "or", "conditions": ["c3"]}));
            },
            is_manifest,
            "conditions[2]: cycle among composite conditions: c3 -> c4 -> c3",
        ),
        (
            "bad condition value",
            |m| m["conditions"][0]["value"] = json!(5),
            is_type,
            "conditions[0].value:",
        ),
        (
            "bad composite operator",
            |m| m["conditions"][1]["operator"] = json!("xor"),
            is_manifest,
            "conditions[1].operator: unknown composite operator \"xor\"",
        ),
        (
            "duplicate collection",
            |m| m["collections"][1]["id"] = json!("x"),
            is_manifest,
            "collections[1]: duplicate collection id \"x\"",
        ),
        (
            "unknown transformation operator",
            |m| m["transformations"][0]["operator"] = json!("com.example.Nope"),
            is_plugin,
            "transformations[0].operator: unknown transformation operator \"com.example.Nope\"",
        ),
        (
            "unknown transformation input",
            |m| m["transformations"][0]["records"]["reduce-list"] = json!({"TRANSFORMATION": "zz"}),
            is_manifest,
            "transformations[0].records.reduce-list.TRANSFORMATION: unknown transformation \"zz\"",
        ),
        (
            "two UUID parameters",
            |m| m["transformations"][0]["records"] = json!({"p": "UUID", "q": "UUID"}),
            is_manifest,
            "transformations[0].records.q: more than one \"UUID\" parameter in a transformation",
        ),
        (
            "bad record spec",
            |m| m["transformations"][0]["records"]["reduce-list"] = json!({"BUCKET": "x"}),
            is_manifest,
            "transformations[0].records.reduce-list: unknown record spec key \"BUCKET\"",
        ),
        (
            "transformation cycle",
            |m| {
                m["transformations"] = json!([
                {"id": "t", "operator": "reduce", "records": {"reduce-list": {"TRANSFORMATION": "u"}}},
                {"id": "u", "operator": "reduce", "records": {"reduce-list": {"TRANSFORMATION": "t"}}}]);
            },
            is_manifest,
            "transformations[0]: cycle among transformations: t -> u -> t",
        ),
        (
            "duplicate transformation",
            |m| {
                m["transformations"] = json!([
                {"id": "t", "operator": "reduce", "records": {}}, {"id": "t", "operator": "reduce", "records": {}}])
            },
            is_manifest,
            "transformations[1]: duplicate transformation id \"t\"",
        ),
        (
            "join without join-field",
            |m| m["transformations"][0]["operator"] = json!("join"),
            is_manifest,
            "transformations[0].operator: constructor.join-field: required",
        ),
        (
            "unknown endpoint plugin",
            |m| m["endpoints"][0]["plugin"] = json!("smtp"),
            is_plugin,
            "endpoints[0].plugin: unknown endpoint plugin \"smtp\"",
        ),
        (
            "unknown connection collection",
            |m| m["endpoints"][0]["connections"][0]["collections"] = json!(["x", "q"]),
            is_manifest,
            "endpoints[0].connections[0].collections[1]: unknown collection \"q\"",
        ),
        (
            "unknown connection transformation",
            |m| m["endpoints"][0]["connections"][0]["transformations"] = json!(["t", "q"]),
            is_manifest,
            "endpoints[0].connections[0].transformations[1]: unknown transformation \"q\"",
        ),
        (
            "duplicate connection",
            |m| m["endpoints"][0]["connections"] = json!([{"id": "e"}, {"id": "e"}]),
            is_manifest,
            "endpoints[0].connections[1]: duplicate connection id \"e\"",
        ),
        (
            "file-reader without file-fields",
            |m| m["endpoints"][0]["plugin"] = json!("file-reader"),
            is_manifest,
            "endpoints[0].connections[0]: constructor.file-fields: required",
        ),
        (
            "file-writer without path",
            |m| m["endpoints"][0]["plugin"] = json!("file-writer"),
            is_manifest,
            "endpoints[0].connections[0]: constructor.path: required",
        ),
        (
            "missing endpoints",
            |m| {
                m.as_object_mut().unwrap().remove("endpoints");
            },
            is_manifest,
            ": missing required key \"endpoints\"",
        ),
        (
            "missing collections",
            |m| {
                m.as_object_mut().unwrap().remove("collections");
            },
            is_manifest,
            ": missing required key \"collections\"",
        ),
        (
            "fields not a list",
            |m| m["fields"] = json!({"a": 1}),
            is_manifest,
            "fields: expected a list, found an object",
        ),
        (
            "missing referenced file",
            |m| m["collections"] = json!("{}/nowhere/collections.json"),
            is_io,
            "collections: cannot read ",
        ),
    ];
    for (what, edit, kind, text) in cases {
        let mut m = base();
        edit(&mut m);
        let (err, file) = open(&m);
        assert!(kind(&err), "{what}: wrong kind: {err:?}");
        assert!(
            err.message().starts_with(&file),
            "{what}: message does not start with the file: {err}"
        );
        assert!(
            err.message().contains(text),
            "{what}: {:?} does not contain {text:?}",
            err.message()
        );
    }
}

fn is_manifest(e: &Error) -> bool {
    matches!(e, Error::Manifest(_))
}
fn is_type(e: &Error) -> bool {
    matches!(e, Error::TypeMismatch(_))
}
fn is_plugin(e: &Error) -> bool {
    matches!(e, Error::UnknownPlugin(_))
}
fn is_io(e: &Error) -> bool {
    matches!(e, Error::Io(_))
}

#[test]
fn bad_json_and_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("broken.json");
    std::fs::write(&p, "{\"fields\": [\n  {\"id\": \"a\",}\n]}").unwrap();
    let err = Session::open(&p, None).unwrap_err();
    assert!(matches!(err, Error::Manifest(_)));
    assert!(
        err.message()
            .starts_with(&format!("{}: not valid JSON: ", p.display())),
        "{err}"
    );
    assert!(err.message().contains("line 2"), "{err}");

    let missing = dir.path().join("absent.json");
    let err = Session::open(&missing, None).unwrap_err();
    assert!(matches!(err, Error::Io(_)));
    assert!(
        err.message().contains(&*missing.to_string_lossy())
            && err.message().contains("No such file"),
        "{err}"
    );

    std::fs::write(&p, "[1, 2]").unwrap();
    let err = Session::open(&p, None).unwrap_err();
    assert!(err.message().contains("neither a full manifest"), "{err}");
}

#[test]
fn full_manifest_plugin_errors() {
    let full = |session: &str, schema: &str| {
        json!({"plugin": session, "constructor": {
            "schema": {"plugin": schema, "constructor": {"fields": [{"id": "a", "type": "string"}]}},
            "container": {"plugin": "default", "constructor": {"collections": []}},
            "protocol": {"plugin": "default", "constructor": {"endpoints": []}}}})
    };
    let (err, _) = open(&full("com.example.FancySession", "default"));
    assert!(
        is_plugin(&err)
            && err
                .message()
                .contains(": plugin: unknown session plugin \"com.example.FancySession\""),
        "{err}"
    );
    let (err, _) = open(&full(
        "sequential",
        "gov.noaa.messageapi.schemas.FancySchema",
    ));
    assert!(
        is_plugin(&err)
            && err
                .message()
                .contains("constructor.schema.plugin: unknown schema plugin"),
        "{err}"
    );
    let mut m = full("sequential", "default");
    m["constructor"]["container"]["constructor"] = json!({});
    let (err, _) = open(&m);
    assert!(
        err.message()
            .contains("constructor.container.constructor: missing required key \"collections\""),
        "{err}"
    );
}

#[test]
fn constructor_values_from_files_relative_paths_and_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("parts")).unwrap();
    std::fs::create_dir_all(d.join("rootdir/schemas")).unwrap();
    std::fs::write(
        d.join("rootdir/schemas/fields.json"),
        json!({"fields": [{"id": "a", "type": "string"}]}).to_string(),
    )
    .unwrap();
    std::fs::write(
        d.join("parts/collections.json"),
        json!({"collections": [{"id": "x", "fields": ["a"]}], "other": 1}).to_string(),
    )
    .unwrap();
    std::fs::write(
        d.join("parts/conditions.json"),
        json!({"conditions": [{"id": "c", "operator": "=", "field": "a"}]}).to_string(),
    )
    .unwrap();
    std::fs::write(
        d.join("parts/connections.json"),
        json!({"connections": [{"id": "e", "collections": "*"}]}).to_string(),
    )
    .unwrap();
    let manifest = json!({"plugin": "sequential", "constructor": {
        "schema": {"plugin": "default", "constructor": {
            "fields": "{}/schemas/fields.json",
            "conditions": {"map": "parts/conditions.json", "factory": "gov.noaa.messageapi.factories.SimpleConditionFactory"}}},
        "container": {"plugin": "default", "constructor": {"collections": "parts/collections.json"}},
        "protocol": {"plugin": "default", "constructor": {"endpoints": [{"plugin": "evaluation", "connections": "parts/connections.json"}]}}}});
    let path = d.join("manifest.json");
    std::fs::write(&path, manifest.to_string()).unwrap();
    let root = d.join("rootdir");
    let session = Session::open(&path, Some(&root)).unwrap();
    assert_eq!(session.fields().len(), 1);
    assert_eq!(session.conditions().len(), 1);
    // Without a root argument: MESSAGEAPI_ROOT is not set in this test, so {} is the manifest's
    // directory, where schemas/fields.json does not exist.
    if std::env::var_os("MESSAGEAPI_ROOT").is_none() {
        let err = Session::open(&path, None).unwrap_err();
        assert!(is_io(&err), "{err:?}");
        assert!(
            err.message()
                .contains("constructor.schema.constructor.fields: cannot read"),
            "{err}"
        );
        assert!(
            err.message()
                .contains(&*d.join("schemas/fields.json").to_string_lossy()),
            "{err}"
        );
    }
    // A referenced file without the key.
    std::fs::write(
        d.join("parts/collections.json"),
        json!({"colls": []}).to_string(),
    )
    .unwrap();
    let err = Session::open(&path, Some(&root)).unwrap_err();
    assert!(is_manifest(&err), "{err:?}");
    assert!(
        err.message()
            .contains("collections.json: missing key \"collections\" (named by "),
        "{err}"
    );
}

#[test]
fn a_relative_root_is_taken_from_the_current_directory_once() {
    // The manifest's directory, given relatively, is the default root: `{}/x.json` must not be
    // resolved against that directory a second time.
    let dir = tempfile::Builder::new()
        .prefix("rel-root")
        .tempdir_in(".")
        .unwrap();
    let name = dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    std::fs::write(
        dir.path().join("fields.json"),
        json!({"fields": [{"id": "a", "type": "string"}]}).to_string(),
    )
    .unwrap();
    let manifest = json!({"fields": "{}/fields.json", "collections": [], "endpoints": []});
    std::fs::write(dir.path().join("m.json"), manifest.to_string()).unwrap();
    let session = Session::open(format!("{name}/m.json"), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.fields().len(), 1);
    let session = Session::open(format!("{name}/m.json"), Some(Path::new(&name))).unwrap();
    assert_eq!(session.fields().len(), 1);
}
