//! What a session is made of, as text: what `mapi check` prints and
//! [`crate::Session::describe`] returns (fields, conditions, collections, transformations,
//! connections, the native libraries and secret references opening would use).

use crate::container::InputSpec;
use crate::schema::condition::{ConditionKind, Operator};
use crate::session_core::SessionCore;

/// What `mapi check` prints: the session as loaded, part by part.
pub(crate) fn describe(core: &SessionCore, out: &mut String) {
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "manifest: {} ({:?} session)",
        core.source.display(),
        core.kind
    );
    let _ = writeln!(out, "root: {}", core.root.display());
    let policy = crate::runtime::policy();
    let dirs = |d: &[std::path::PathBuf]| {
        d.iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        out,
        "native code allowed from: {}",
        if policy.native_plugin_dirs.is_empty() {
            "nowhere".to_string()
        } else {
            dirs(&policy.native_plugin_dirs)
        }
    );
    if let Some(c) = &policy.confine_paths {
        let _ = writeln!(out, "paths confined to: {}", dirs(c));
    }
    if !core.warnings.is_empty() {
        let _ = writeln!(out, "warnings:");
        for w in &core.warnings {
            let _ = writeln!(out, "  {w}");
        }
    }
    describe_schema(core, out);
    describe_container(core, out);
    describe_protocol(core, out);
    for (part, metadata) in [
        ("schema", &core.schema.metadata),
        ("container", &core.container.metadata),
        ("protocol", &core.protocol.metadata),
    ] {
        if let Some(m) = metadata {
            let _ = writeln!(out, "{part} metadata: {m}");
        }
    }
}

/// Fields and conditions.
fn describe_schema(core: &SessionCore, out: &mut String) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "fields:");
    for f in core.schema.layout.fields() {
        let mut line = format!("  {}: {}", f.id, f.ty.name());
        if f.required {
            line.push_str(", required");
        }
        if !f.default.is_null() {
            let _ = write!(line, ", default {}", f.default.to_json());
        }
        let _ = writeln!(out, "{line}");
    }
    let conditions = core.schema.conditions.conditions();
    if !conditions.is_empty() {
        let _ = writeln!(out, "conditions:");
        for c in conditions {
            let text = match &c.kind {
                ConditionKind::Comparison {
                    field, operator, ..
                } => {
                    let op = match operator {
                        Operator::Plugin(name, _) => format!("[{name}]"),
                        op => op.symbol().to_string(),
                    };
                    match &c.value {
                        Some(v) => format!("{field} {op} {}", v.to_json()),
                        None => format!("{field} {op} (valued per record)"),
                    }
                }
                ConditionKind::Composite { all, children } => {
                    let names: Vec<&str> = children.iter().map(|&i| &*conditions[i].id).collect();
                    format!("{}({})", if *all { "and" } else { "or" }, names.join(", "))
                }
            };
            let _ = writeln!(out, "  {}: {text}", c.id);
        }
    }
}

/// Collections and transformations.
fn describe_container(core: &SessionCore, out: &mut String) {
    use std::fmt::Write as _;
    let conditions = core.schema.conditions.conditions();
    let _ = writeln!(out, "collections:");
    for c in &core.container.collections {
        let fields: Vec<&str> = c.layout.fields().iter().map(|f| f.id.as_str()).collect();
        let mut line = format!("  {}: fields {}", c.id, fields.join(", "));
        if !c.classifiers.is_empty() {
            let labels: Vec<String> = c
                .classifiers
                .iter()
                .map(|(k, vs)| {
                    format!(
                        "{k}={}",
                        vs.iter()
                            .map(|v| v.as_ref())
                            .collect::<Vec<&str>>()
                            .join("|")
                    )
                })
                .collect();
            let _ = write!(line, "; classifiers {}", labels.join(", "));
        }
        if !c.conditions.is_empty() {
            let names: Vec<&str> = c.conditions.iter().map(|&i| &*conditions[i].id).collect();
            let _ = write!(line, "; conditions {}", names.join(", "));
        }
        let _ = writeln!(out, "{line}");
    }
    if !core.container.transformations.is_empty() {
        let _ = writeln!(out, "transformations:");
        for t in &core.container.transformations {
            let inputs: Vec<String> = t
                .inputs
                .iter()
                .map(|(p, spec)| {
                    let s = match spec {
                        InputSpec::Collection(Some(c)) => {
                            format!("collection {}", core.container.collections[*c].id)
                        }
                        InputSpec::Collection(None) => {
                            "an undefined collection (empty)".to_string()
                        }
                        InputSpec::Classifier(k, v) => format!("classifier {k}={v}"),
                        InputSpec::Transformation(i) => {
                            format!("transformation {}", core.container.transformations[*i].id)
                        }
                        InputSpec::Uuid => "one container record (UUID) at a time".to_string(),
                    };
                    format!("{p} <- {s}")
                })
                .collect();
            let _ = writeln!(out, "  {}: {}; {}", t.id, t.operator, inputs.join("; "));
            describe_constructor(&t.constructor, out);
        }
    }
}

/// Connections: what each lists, is routed and returns.
fn describe_protocol(core: &SessionCore, out: &mut String) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "connections:");
    for c in &core.protocol.connections {
        let mut parts = Vec::new();
        if !c.collections.is_empty() {
            let names: Vec<&str> = c
                .collections
                .iter()
                .map(|&i| core.container.collections[i].id.as_ref())
                .collect();
            parts.push(format!("collections {}", names.join(", ")));
        }
        if !c.classifiers.is_empty() {
            let names: Vec<String> = c.classifiers.iter().map(|s| s.label()).collect();
            parts.push(format!("classifiers {}", names.join(", ")));
        }
        if !c.transformations.is_empty() {
            let names: Vec<&str> = c
                .transformations
                .iter()
                .map(|&i| core.container.transformations[i].id.as_ref())
                .collect();
            parts.push(format!("transformations {}", names.join(", ")));
        }
        let routed: Vec<&str> = core
            .container
            .collections
            .iter()
            .zip(&c.receives)
            .filter(|(_, r)| **r)
            .map(|(coll, _)| coll.id.as_ref())
            .collect();
        let _ = writeln!(
            out,
            "  {} ({}): lists {}",
            c.id,
            c.endpoint,
            if parts.is_empty() {
                "nothing".to_string()
            } else {
                parts.join("; ")
            }
        );
        let _ = writeln!(
            out,
            "    routed records of: {}",
            if routed.is_empty() {
                "none".to_string()
            } else {
                routed.join(", ")
            }
        );
        if !c.fields.is_empty() {
            let _ = writeln!(
                out,
                "    output fields narrowed to: {}",
                c.fields.join(", ")
            );
        }
        describe_constructor(&c.constructor, out);
    }
    if let Some(d) = &core.protocol.dead_letter {
        let _ = writeln!(
            out,
            "dead letters: {} ({}): every rejected record",
            d.id, d.endpoint
        );
        describe_constructor(&d.constructor, out);
    }
}

/// What a plug-in's constructor would load or read when the session opens: its native library
/// (allowed, since the check passed) and its secret references, none of them loaded or read.
fn describe_constructor(c: &serde_json::Map<String, serde_json::Value>, out: &mut String) {
    use std::fmt::Write as _;
    if let (Some(lib), Some(sym)) = (c.get("native-library"), c.get("symbol")) {
        let _ = writeln!(
            out,
            "    native library: {} symbol {} (allowed by the host; not loaded by mapi check)",
            lib.as_str().unwrap_or("?"),
            sym.as_str().unwrap_or("?")
        );
    }
    fn references(at: &str, v: &serde_json::Value, found: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) if s.starts_with("${") && s.ends_with('}') => {
                found.push(format!("{at} = {s}"))
            }
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    references(&format!("{at}.{k}"), v, found);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| references(at, v, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for (k, v) in c {
        references(k, v, &mut found);
    }
    for f in found {
        let _ = writeln!(out, "    secret: {f} (not read by mapi check)");
    }
}
