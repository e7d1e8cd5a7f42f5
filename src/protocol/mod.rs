//! The protocol: endpoints and their connections, and what each connection is routed.

pub mod call;

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use crate::container::factor::ContainerRecords;
use crate::container::{Container, InputSpec};
use crate::record::{Layout, Record};
pub use call::{Endpoint, EndpointCall, EndpointFactory, Finished, PreparedEndpoint, Taken};

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
    /// The session's dead-letter connection: it is given every dead letter of a submit
    /// (whatever its collections) and nothing else.
    pub dead_letters: bool,
    /// Its counters.
    pub stats: Arc<crate::stats::ConnectionStats>,
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
    /// Where rejected records go (the manifest's `dead-letters`), if anywhere.
    pub dead_letter: Option<ConnectionDef>,
}

impl ConnectionDef {
    /// A connection of `endpoint` with its resolved lists (container indices) and its prepared
    /// endpoint; works out what it is routed and the layouts of its output and state records.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: &str,
        endpoint: &str,
        constructor: Map<String, Json>,
        collections: Vec<usize>,
        classifiers: Vec<ClassifierSel>,
        transformations: Vec<usize>,
        fields: Vec<String>,
        prepared: Arc<dyn PreparedEndpoint>,
        container: &Container,
    ) -> ConnectionDef {
        let receives = routing_mask(container, &collections, &classifiers, &transformations);
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
        ConnectionDef {
            id: id.into(),
            endpoint: endpoint.to_string(),
            constructor,
            collections,
            classifiers,
            transformations,
            fields,
            receives,
            prepared,
            output_layout,
            state_layout,
            dead_letters: false,
            stats: Arc::new(crate::stats::ConnectionStats::new(id, endpoint)),
        }
    }
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
            std::mem::replace(&mut from.records[i], Record::empty())
        } else {
            from.records[i].clone()
        };
        out.records.push(rec);
        out.coll.push(from.coll[i]);
        out.uuid.push(from.uuid[i]);
    }
    out
}
