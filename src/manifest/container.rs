//! The container part of a manifest: collections (with classifiers and request-level
//! conditions) and transformations.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::find_cycle;
use super::node::Node;
use super::plugins;
use super::schema::OpenEnv;
use crate::container::{Collection, InputSpec, TransformationDef};
use crate::error::{Error, Result};
use crate::record::{FieldDef, Layout};
use crate::registry;
use crate::schema::condition::ConditionSet;
use crate::schema::PluginContext;

/// Parses the collections against the schema's fields and conditions.
pub fn parse_collections(
    node: &Node,
    schema: &Layout,
    conditions: &ConditionSet,
) -> Result<Vec<Collection>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for c in node.elements()? {
        let id = c.id()?;
        if !seen.insert(id.clone()) {
            return Err(c.error(format!("duplicate collection id \"{id}\"")));
        }
        let fnode = c.require("fields")?;
        let mut slots = Vec::new();
        for (j, name) in fnode.string_list()?.iter().enumerate() {
            let slot = schema.position(name).ok_or_else(|| {
                Node::new(Json::Null, fnode.file.clone(), fnode.index_path(j))
                    .error(format!("unknown field \"{name}\""))
            })?;
            if !slots.contains(&slot) {
                slots.push(slot);
            }
        }
        slots.sort_unstable();
        let fields: Vec<FieldDef> = slots.iter().map(|&s| schema.fields()[s].clone()).collect();
        let classifiers = match c.get("classifiers") {
            None => Vec::new(),
            Some(n) if n.value.is_null() => Vec::new(),
            Some(n) => n
                .members()?
                .into_iter()
                .map(|(k, v)| Ok((Arc::<str>::from(k.as_str()), label_values(&v)?)))
                .collect::<Result<Vec<_>>>()?,
        };
        let mut conds = Vec::new();
        if let Some(n) = c.get("conditions") {
            for cid in n.string_list()? {
                match conditions.position(&cid) {
                    Some(i) => conds.push(i),
                    None => crate::log::debug(&format!(
                        "{}: condition \"{cid}\" is not in the schema; ignored as in the original",
                        n.location()
                    )),
                }
            }
        }
        out.push(Collection {
            id: id.as_str().into(),
            layout: Layout::new(fields),
            slots,
            classifiers,
            conditions: conds,
        });
    }
    Ok(out)
}

fn label_values(v: &Node) -> Result<Vec<Arc<str>>> {
    let scalar = |j: &Json, n: &Node| -> Result<Arc<str>> {
        match j {
            Json::String(s) => Ok(s.as_str().into()),
            Json::Number(x) => Ok(x.to_string().into()),
            Json::Bool(b) => Ok(b.to_string().into()),
            _ => Err(n.error("a classifier value must be a string, number or boolean")),
        }
    };
    match &v.value {
        Json::Array(items) => items.iter().map(|j| scalar(j, v)).collect(),
        Json::Null => Ok(Vec::new()),
        j => Ok(vec![scalar(j, v)?]),
    }
}

/// Parses the transformations; `collections` must be parsed already.
pub fn parse_transformations(
    node: &Node,
    collections: &[Collection],
    env: &OpenEnv<'_>,
) -> Result<Vec<TransformationDef>> {
    let elements = node.elements()?;
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, t) in elements.iter().enumerate() {
        let id = t.id()?;
        if index.insert(id.clone(), i).is_some() {
            return Err(t.error(format!("duplicate transformation id \"{id}\"")));
        }
    }
    let mut out = Vec::new();
    for t in &elements {
        let id = t.id()?;
        let onode = t.require("operator")?;
        let operator = onode.as_str()?.to_string();
        let mut constructor = match t.get("constructor") {
            Some(n) => match n.value {
                Json::Object(m) => m,
                Json::Null => Map::new(),
                _ => return Err(n.error("expected an object")),
            },
            None => Map::new(),
        };
        super::secrets::resolve(&mut constructor, t.dir(), env.checking)
            .map_err(|e| t.locate(e))?;
        let rnode = t.require("records")?;
        let mut inputs = Vec::new();
        let mut uuid_params = 0;
        for (param, spec) in rnode.members()? {
            let s = parse_spec(&spec, collections, &index)?;
            if s == InputSpec::Uuid {
                uuid_params += 1;
                if uuid_params > 1 {
                    return Err(spec.error("more than one \"UUID\" parameter in a transformation"));
                }
            }
            inputs.push((param, s));
        }
        let canonical = plugins::transformation(&operator);
        let factory = registry::transformation(canonical).ok_or_else(|| {
            onode.locate(Error::UnknownPlugin(format!(
                "unknown transformation operator \"{operator}\""
            )))
        })?;
        let base = t.dir().to_path_buf();
        let no_field_lists = |_: &str| Ok(None);
        let ctx = PluginContext {
            id: &id,
            constructor: &constructor,
            root: env.root,
            kind: "transformation",
            checking: env.checking,
            base_dir: &base,
            schema: None,
            field_lists: &no_field_lists,
        };
        let plugin = env.prepared(
            factory.prepare(&ctx).map_err(|e| onode.locate(e)),
            &constructor,
            || Arc::new(crate::plugins::Unchecked),
        )?;
        out.push(TransformationDef {
            id: id.as_str().into(),
            operator,
            constructor,
            inputs,
            plugin,
        });
    }
    let inputs_of = |i: usize| {
        out[i]
            .inputs
            .iter()
            .filter_map(|(_, spec)| match spec {
                InputSpec::Transformation(t) => Some(*t),
                _ => None,
            })
            .collect()
    };
    if let Some(cycle) = find_cycle(out.len(), inputs_of) {
        let names: Vec<&str> = cycle.iter().map(|&c| &*out[c].id).collect();
        return Err(elements[cycle[0]].error(format!(
            "cycle among transformations: {}",
            names.join(" -> ")
        )));
    }
    // Chains are evaluated by recursion, and each join of a join nests the records it
    // gathers one level deeper: a manifest may chain only so many.
    let depths = chain_depths(out.len(), inputs_of);
    if let Some(i) = (0..out.len()).find(|&i| depths[i] > MAX_TRANSFORMATION_CHAIN) {
        return Err(elements[i].error(format!(
            "transformation {} reads a chain of {} transformations; at most \
             {MAX_TRANSFORMATION_CHAIN} may be chained",
            out[i].id, depths[i]
        )));
    }
    Ok(out)
}

/// The longest chain of transformations one may read through (inputs first, itself last).
pub(crate) const MAX_TRANSFORMATION_CHAIN: usize = 64;

/// For each transformation, the length of the longest chain ending with it (1: it reads no
/// transformation). The graph has no cycle; computed without recursion.
fn chain_depths(n: usize, inputs_of: impl Fn(usize) -> Vec<usize>) -> Vec<usize> {
    let mut depth = vec![0usize; n];
    for start in 0..n {
        let mut stack = vec![start];
        while let Some(&t) = stack.last() {
            if depth[t] != 0 {
                stack.pop();
                continue;
            }
            let inputs = inputs_of(t);
            let pending: Vec<usize> = inputs.iter().copied().filter(|&i| depth[i] == 0).collect();
            if pending.is_empty() {
                depth[t] = 1 + inputs.iter().map(|&i| depth[i]).max().unwrap_or(0);
                stack.pop();
            } else {
                stack.extend(pending);
            }
        }
    }
    depth
}

fn parse_spec(
    spec: &Node,
    collections: &[Collection],
    transformations: &HashMap<String, usize>,
) -> Result<InputSpec> {
    if let Json::String(s) = &spec.value {
        if s == "UUID" {
            return Ok(InputSpec::Uuid);
        }
        return Err(spec.error(format!(
            "unknown record spec \"{s}\" (use \"UUID\" or an object)"
        )));
    }
    let members = spec.members()?;
    let [(key, value)] = members.as_slice() else {
        return Err(
            spec.error("a record spec has exactly one of COLLECTION, CLASSIFIER, TRANSFORMATION")
        );
    };
    match key.as_str() {
        "COLLECTION" => {
            let id = value.as_str()?;
            let found = collections.iter().position(|c| &*c.id == id);
            if found.is_none() {
                crate::log::warn(&format!(
                    "{}: collection \"{id}\" is not in the container; this input will be empty",
                    value.location()
                ));
            }
            Ok(InputSpec::Collection(found))
        }
        "CLASSIFIER" => {
            let parts = value.string_list()?;
            match parts.as_slice() {
                [k, v] => Ok(InputSpec::Classifier(k.clone(), v.clone())),
                _ => Err(value.error("CLASSIFIER takes [key, value]")),
            }
        }
        "TRANSFORMATION" => {
            let id = value.as_str()?;
            transformations
                .get(id)
                .map(|&i| InputSpec::Transformation(i))
                .ok_or_else(|| value.error(format!("unknown transformation \"{id}\"")))
        }
        other => Err(spec.error(format!(
            "unknown record spec key \"{other}\" (use COLLECTION, CLASSIFIER or TRANSFORMATION)"
        ))),
    }
}
