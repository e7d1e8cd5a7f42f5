//! The protocol part of a manifest: endpoints and their connections.

use std::collections::HashSet;

use serde_json::{Map, Value as Json};

use super::node::Node;
use super::plugins;
use super::schema::parse_fields;
use super::schema::OpenEnv;
use crate::container::Container;
use crate::error::{Error, Result};
use crate::protocol::{ClassifierSel, ConnectionDef};
use crate::registry;
use crate::schema::{PluginContext, Schema};

/// Parses one connection of endpoint `plugin`.
pub fn parse_connection(
    c: &Node,
    plugin: &Node,
    container: &Container,
    schema: &Schema,
    env: &OpenEnv<'_>,
    seen: &mut HashSet<String>,
) -> Result<ConnectionDef> {
    let id = c.id()?;
    if !seen.insert(id.clone()) {
        return Err(c.error(format!("duplicate connection id \"{id}\"")));
    }
    let collections = resolve_names(
        c.get("collections"),
        container.collections.len(),
        "collection",
        |name| container.collection_index(name),
    )?;
    let mut classifiers = Vec::new();
    if let Some(n) = c.get("classifiers") {
        if !n.value.is_null() {
            for (key, v) in n.members()? {
                for value in v.string_list()? {
                    classifiers.push(ClassifierSel {
                        key: key.clone(),
                        value: (value != "*").then_some(value),
                    });
                }
            }
        }
    }
    let transformations = resolve_names(
        c.get("transformations"),
        container.transformations.len(),
        "transformation",
        |name| container.transformation_index(name),
    )?;
    let fields = match c.get("fields") {
        None => Vec::new(),
        Some(n) => n.string_list()?,
    };
    let cnode = c.get("constructor");
    let mut constructor = match &cnode {
        None => Map::new(),
        Some(n) => match &n.value {
            Json::Object(m) => m.clone(),
            Json::Null => Map::new(),
            _ => return Err(n.error("expected an object")),
        },
    };
    super::secrets::resolve(&mut constructor, c.dir(), env.checking).map_err(|e| c.locate(e))?;
    let name = plugin.as_str()?;
    let factory = registry::endpoint(plugins::endpoint(name)).ok_or_else(|| {
        plugin.locate(Error::UnknownPlugin(format!(
            "unknown endpoint plugin \"{name}\""
        )))
    })?;
    let base = c.dir().to_path_buf();
    let field_lists = |key: &str| -> Result<Option<Vec<_>>> {
        match constructor.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(v) => {
                parse_fields(&Node::detached(v.clone(), &format!("constructor.{key}"))).map(Some)
            }
        }
    };
    let ctx = PluginContext {
        id: &id,
        constructor: &constructor,
        root: env.root,
        kind: "connection",
        checking: env.checking,
        base_dir: &base,
        schema: Some(schema),
        field_lists: &field_lists,
    };
    let prepared = env.prepared(
        factory.prepare(&ctx).map_err(|e| c.locate(e)),
        &constructor,
        || std::sync::Arc::new(crate::plugins::Unchecked),
    )?;
    Ok(ConnectionDef::new(
        &id,
        name,
        constructor,
        collections,
        classifiers,
        transformations,
        fields,
        prepared,
        container,
    ))
}

/// A connection's `collections` or `transformations`: `"*"`/`["*"]` (all, in container
/// order), an id or a list of ids (each once, in the order given), or nothing.
fn resolve_names(
    node: Option<Node>,
    all: usize,
    what: &str,
    index: impl Fn(&str) -> Option<usize>,
) -> Result<Vec<usize>> {
    let Some(n) = node else {
        return Ok(Vec::new());
    };
    let names = n.string_list()?;
    if names.iter().any(|s| s == "*") {
        return Ok((0..all).collect());
    }
    let mut out = Vec::new();
    for (j, name) in names.iter().enumerate() {
        let i = index(name).ok_or_else(|| {
            let at = if n.value.is_array() {
                n.index_path(j)
            } else {
                n.path.clone()
            };
            Node::new(Json::Null, n.file.clone(), at).error(format!("unknown {what} \"{name}\""))
        })?;
        if !out.contains(&i) {
            out.push(i);
        }
    }
    Ok(out)
}
