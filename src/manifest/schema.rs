//! The schema part of a manifest: field maps and conditions.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::{Map, Value as Json};

use super::find_cycle;
use super::node::Node;
use super::plugins;
use crate::error::{Error, Result};
use crate::record::{FieldDef, Layout};
use crate::registry;
use crate::schema::condition::{Condition, ConditionKind, ConditionSet, Operator};
use crate::schema::PluginContext;
use crate::value::{FieldType, Value};

/// Parses a list of field maps `{"id"|"name", "type", "required", "value"}`.
pub fn parse_fields(node: &Node) -> Result<Vec<FieldDef>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for f in node.elements()? {
        let id = f.id()?;
        if !seen.insert(id.clone()) {
            return Err(f.error(format!("duplicate field id \"{id}\"")));
        }
        let tnode = f.require("type")?;
        let tname = tnode.as_str()?;
        let ty = FieldType::parse(tname)
            .ok_or_else(|| tnode.error(format!("unknown type \"{tname}\"")))?;
        let required = f.bool_or("required", false)?;
        let default = match f.get("value") {
            Some(v) => ty.from_json(&id, &v.value).map_err(|e| v.locate(e))?,
            None => Value::Null,
        };
        out.push(FieldDef {
            id: id.as_str().into(),
            ty,
            required,
            default,
        });
    }
    Ok(out)
}

/// What every plug-in of a session being opened is told: where its paths resolve, and whether
/// the session is only being checked (then a plug-in loads no code, reads no secret and
/// connects nowhere).
pub struct OpenEnv<'a> {
    pub root: &'a Path,
    pub checking: bool,
    /// What checking could not check (added to the session's warnings).
    pub unchecked: &'a std::cell::RefCell<Vec<String>>,
}

impl OpenEnv<'_> {
    /// A plug-in's prepared form; or, when only checking a constructor with references left
    /// unread, a stand-in and a warning: its checks need the values (what the host has not
    /// allowed is still an error).
    pub fn prepared<T: ?Sized>(
        &self,
        result: Result<std::sync::Arc<T>>,
        constructor: &serde_json::Map<String, serde_json::Value>,
        stand_in: impl FnOnce() -> std::sync::Arc<T>,
    ) -> Result<std::sync::Arc<T>> {
        match result {
            Err(e)
                if self.checking
                    && !matches!(e, crate::error::Error::NotAllowed(_))
                    && super::secrets::has_reference(constructor) =>
            {
                self.unchecked.borrow_mut().push(format!(
                    "{e} (not checked further: values given as ${{env:}} or ${{file:}} \
                     references are read only when the session opens)"
                ));
                Ok(stand_in())
            }
            other => other,
        }
    }
}

/// Parses the conditions list against the schema's fields.
pub fn parse_conditions(node: &Node, layout: &Layout, env: &OpenEnv<'_>) -> Result<ConditionSet> {
    let elements = node.elements()?;
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, c) in elements.iter().enumerate() {
        let id = c.id()?;
        if index.insert(id.clone(), i).is_some() {
            return Err(c.error(format!("duplicate condition id \"{id}\"")));
        }
    }
    let mut conditions = Vec::with_capacity(elements.len());
    let mut values: Vec<Option<Node>> = Vec::with_capacity(elements.len());
    for c in &elements {
        let id = c.id()?;
        let declared = match c.get("type") {
            Some(t) => t.as_str()?.to_ascii_lowercase(),
            None if c.get("conditions").is_some() => "composite".into(),
            None => "comparison".into(),
        };
        let kind = match declared.as_str() {
            "comparison" => comparison(c, &id, layout, env)?,
            "composite" => {
                let op = c.require("operator")?;
                let all = match op.as_str()?.to_ascii_lowercase().as_str() {
                    "and" => true,
                    "or" => false,
                    other => {
                        return Err(op.error(format!(
                            "unknown composite operator \"{other}\" (use \"and\" or \"or\")"
                        )))
                    }
                };
                let list = c.require("conditions")?;
                let mut children = Vec::new();
                for (j, child) in list.string_list()?.iter().enumerate() {
                    let ci = *index.get(child).ok_or_else(|| {
                        Node::new(Json::Null, list.file.clone(), list.index_path(j))
                            .error(format!("unknown condition \"{child}\""))
                    })?;
                    children.push(ci);
                }
                ConditionKind::Composite { all, children }
            }
            other => {
                return Err(c.get("type").unwrap_or_else(|| c.clone()).error(format!(
                    "unknown condition type \"{other}\" (use \"comparison\" or \"composite\")"
                )))
            }
        };
        values.push(if matches!(kind, ConditionKind::Comparison { .. }) {
            c.get("value")
        } else {
            None
        });
        conditions.push(Condition {
            id: id.as_str().into(),
            kind,
            value: None,
        });
    }
    if let Some(cycle) = find_cycle(conditions.len(), |i| match &conditions[i].kind {
        ConditionKind::Composite { children, .. } => children.clone(),
        ConditionKind::Comparison { .. } => Vec::new(),
    }) {
        let names: Vec<&str> = cycle.iter().map(|&c| &*conditions[c].id).collect();
        return Err(elements[cycle[0]].error(format!(
            "cycle among composite conditions: {}",
            names.join(" -> ")
        )));
    }
    let set = ConditionSet::new(conditions.clone());
    for (i, v) in values.iter().enumerate() {
        if let Some(v) = v {
            if !v.value.is_null() {
                conditions[i].value =
                    Some(set.value_from_json(i, &v.value).map_err(|e| v.locate(e))?);
            }
        }
    }
    Ok(ConditionSet::new(conditions))
}

fn comparison(c: &Node, id: &str, layout: &Layout, env: &OpenEnv<'_>) -> Result<ConditionKind> {
    let fnode = c.require("field")?;
    let field = fnode.as_str()?;
    let pos = layout
        .position(field)
        .ok_or_else(|| fnode.error(format!("unknown field \"{field}\"")))?;
    let field_type = layout.fields()[pos].ty;
    let onode = c.require("operator")?;
    let name = onode.as_str()?;
    let mut constructor = match c.get("constructor") {
        Some(n) => match n.value {
            Json::Object(m) => m,
            Json::Null => Map::new(),
            _ => return Err(n.error("expected an object")),
        },
        None => Map::new(),
    };
    super::secrets::resolve(&mut constructor, c.dir(), env.checking).map_err(|e| c.locate(e))?;
    let operator = if let Some(op) = Operator::parse(name) {
        op
    } else if plugins::is_comparison_operator_class(name) {
        let cmp = constructor
            .get("comparison")
            .and_then(Json::as_str)
            .ok_or_else(|| {
                onode.error(format!(
                    "{name} needs constructor.comparison (one of = /= < > <= >= contains in)"
                ))
            })?;
        Operator::parse(cmp).ok_or_else(|| onode.error(format!("unknown comparison \"{cmp}\"")))?
    } else {
        let canonical = plugins::condition(name);
        let factory = registry::condition(canonical).ok_or_else(|| {
            onode.locate(Error::UnknownPlugin(format!(
                "unknown condition operator \"{name}\""
            )))
        })?;
        let base = c.dir().to_path_buf();
        let no_field_lists = |_: &str| Ok(None);
        let ctx = PluginContext {
            id,
            constructor: &constructor,
            root: env.root,
            kind: "condition",
            checking: env.checking,
            base_dir: &base,
            schema: None,
            field_lists: &no_field_lists,
        };
        let plugin = env.prepared(
            factory.prepare(&ctx).map_err(|e| onode.locate(e)),
            &constructor,
            || std::sync::Arc::new(crate::plugins::Unchecked),
        )?;
        Operator::Plugin(name.to_string(), plugin)
    };
    Ok(ConditionKind::Comparison {
        field: field.into(),
        field_type,
        operator,
    })
}
