//! The protocol: endpoints and their connections, and what each connection is routed.

pub mod call;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use crate::container::factor::ContainerRecords;
use crate::container::{Container, InputSpec};
use crate::error::{Error, Result};
use crate::manifest::node::Node;
use crate::manifest::plugins;
use crate::record::Layout;
use crate::registry::{self, PluginContext, PreparedEndpoint};

/// A classifier a connection lists: key and value (`None` for `"*"`, any value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassifierSel {
    pub key: String,
    pub value: Option<String>,
}

impl ClassifierSel {
    /// `key.value` (`key.*` for any value), as the file reader names containers.
    pub fn label(&self) -> String {
        format!("{}.{}", self.key, self.value.as_deref().unwrap_or("*"))
    }
}

/// One connection of an endpoint.
pub struct ConnectionDef {
    pub id: Arc<str>,
    /// The endpoint plugin name as the manifest wrote it.
    pub endpoint: String,
    pub constructor: Map<String, Json>,
    /// Listed collections (`"*"` expanded, container order).
    pub collections: Vec<usize>,
    pub classifiers: Vec<ClassifierSel>,
    pub transformations: Vec<usize>,
    /// The `fields` narrowing (empty: none).
    pub fields: Vec<String>,
    /// For each collection, whether this connection is routed its records.
    pub receives: Vec<bool>,
    pub prepared: Arc<dyn PreparedEndpoint>,
    /// The endpoint's default fields narrowed by `fields` (`None`: records keep their fields).
    pub output_layout: Option<Arc<Layout>>,
    pub state_layout: Arc<Layout>,
}

impl std::fmt::Debug for ConnectionDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionDef")
            .field("id", &self.id)
            .field("endpoint", &self.endpoint)
            .field("collections", &self.collections)
            .field("classifiers", &self.classifiers)
            .field("transformations", &self.transformations)
            .field("fields", &self.fields)
            .finish()
    }
}

/// Every connection, in manifest order (endpoint order, then connection order).
#[derive(Debug, Default)]
pub struct Protocol {
    pub connections: Vec<ConnectionDef>,
    pub metadata: Option<Json>,
}

/// Parses one connection of endpoint `plugin`.
pub fn parse_connection(
    c: &Node,
    plugin: &Node,
    container: &Container,
    schema: &crate::schema::Schema,
    root: &Path,
    seen: &mut HashSet<String>,
) -> Result<ConnectionDef> {
    let id = c.id()?;
    if !seen.insert(id.clone()) {
        return Err(c.error(format!("duplicate connection id \"{id}\"")));
    }
    let all_collections: Vec<usize> = (0..container.collections.len()).collect();
    let collections = match c.get("collections") {
        None => Vec::new(),
        Some(n) => {
            let names = n.string_list()?;
            if names.iter().any(|s| s == "*") {
                all_collections.clone()
            } else {
                let mut out = Vec::new();
                for (j, name) in names.iter().enumerate() {
                    let i = container.collection_index(name).ok_or_else(|| {
                        at(&n, j, n.value.is_array())
                            .error(format!("unknown collection \"{name}\""))
                    })?;
                    if !out.contains(&i) {
                        out.push(i);
                    }
                }
                out
            }
        }
    };
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
    let transformations = match c.get("transformations") {
        None => Vec::new(),
        Some(n) => {
            let names = n.string_list()?;
            if names.iter().any(|s| s == "*") {
                (0..container.transformations.len()).collect()
            } else {
                let mut out = Vec::new();
                for (j, name) in names.iter().enumerate() {
                    let i = container.transformation_index(name).ok_or_else(|| {
                        at(&n, j, n.value.is_array())
                            .error(format!("unknown transformation \"{name}\""))
                    })?;
                    out.push(i);
                }
                out
            }
        }
    };
    let fields = match c.get("fields") {
        None => Vec::new(),
        Some(n) => n.string_list()?,
    };
    let constructor = match c.get("constructor") {
        None => Map::new(),
        Some(n) => match n.value {
            Json::Object(m) => m,
            Json::Null => Map::new(),
            _ => return Err(n.error("expected an object")),
        },
    };
    let receives = routing_mask(container, &collections, &classifiers, &transformations);
    let name = plugin.as_str()?;
    let factory = registry::endpoint(plugins::endpoint(name)).ok_or_else(|| {
        plugin.locate(Error::UnknownPlugin(format!(
            "unknown endpoint plugin \"{name}\""
        )))
    })?;
    let base = c.dir().to_path_buf();
    let ctx = PluginContext {
        id: &id,
        constructor: &constructor,
        root,
        base_dir: &base,
        schema: Some(schema),
    };
    let prepared = factory.prepare(&ctx).map_err(|e| c.locate(e))?;
    let output_layout = prepared.default_fields().map(|f| {
        let full = Layout::new(f);
        if fields.is_empty() {
            full
        } else {
            Arc::new(full.narrowed(&fields))
        }
    });
    let state_layout = match prepared.state_fields() {
        Some(f) => Layout::new(f),
        None => Layout::open(Vec::new()),
    };
    Ok(ConnectionDef {
        id: id.as_str().into(),
        endpoint: name.to_string(),
        constructor,
        collections,
        classifiers,
        transformations,
        fields,
        receives,
        prepared,
        output_layout,
        state_layout,
    })
}

fn at(list: &Node, j: usize, is_array: bool) -> Node {
    let path = if is_array {
        list.index_path(j)
    } else {
        list.path.clone()
    };
    Node::new(Json::Null, list.file.clone(), path)
}

/// Which collections a connection receives: listed ones, labelled ones, and those its
/// transformations read (transitively).
fn routing_mask(
    container: &Container,
    collections: &[usize],
    classifiers: &[ClassifierSel],
    transformations: &[usize],
) -> Vec<bool> {
    let mut mask = vec![false; container.collections.len()];
    for &c in collections {
        mask[c] = true;
    }
    for (ci, coll) in container.collections.iter().enumerate() {
        if classifiers
            .iter()
            .any(|s| coll.has_label(&s.key, s.value.as_deref()))
        {
            mask[ci] = true;
        }
    }
    let mut stack: Vec<usize> = transformations.to_vec();
    let mut done = HashSet::new();
    while let Some(t) = stack.pop() {
        if !done.insert(t) {
            continue;
        }
        for (_, spec) in &container.transformations[t].inputs {
            match spec {
                InputSpec::Collection(Some(c)) => mask[*c] = true,
                InputSpec::Collection(None) => {}
                InputSpec::Classifier(k, v) => {
                    for (ci, coll) in container.collections.iter().enumerate() {
                        if coll.has_label(k, Some(v)) {
                            mask[ci] = true;
                        }
                    }
                }
                InputSpec::Transformation(inner) => stack.push(*inner),
                InputSpec::Uuid => mask.iter_mut().for_each(|m| *m = true),
            }
        }
    }
    mask
}

/// The records connection `conn` is routed, once each, in container-record order. Records of
/// collections that no later connection needs are moved out of `from` instead of copied.
pub fn route(
    conn: &ConnectionDef,
    from: &mut ContainerRecords,
    last_user: &[bool],
) -> ContainerRecords {
    let n = from
        .coll
        .iter()
        .filter(|&&c| conn.receives[c as usize])
        .count();
    let mut out = ContainerRecords {
        records: Vec::with_capacity(n),
        coll: Vec::with_capacity(n),
        uuid: Vec::with_capacity(n),
        uuids: from.uuids.clone(),
    };
    for i in 0..from.records.len() {
        let c = from.coll[i] as usize;
        if !conn.receives[c] {
            continue;
        }
        let rec = if last_user[c] {
            std::mem::replace(&mut from.records[i], crate::record::Record::empty())
        } else {
            from.records[i].clone()
        };
        out.records.push(rec);
        out.coll.push(from.coll[i]);
        out.uuid.push(from.uuid[i]);
    }
    out
}
