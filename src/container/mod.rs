//! The container: collections (with classifiers and request-level conditions), transformations,
//! and the factoring of accepted records into container records.

pub mod call;
pub mod eval;
pub mod factor;

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use crate::record::Layout;
pub use call::{TransformCall, Transformation, TransformationFactory};

/// A collection: a subset of the schema's fields, labelled by classifiers.
#[derive(Debug)]
pub struct Collection {
    pub id: Arc<str>,
    /// The collection record layout (schema order).
    pub layout: Arc<Layout>,
    /// For each layout field, its slot in the schema layout.
    pub slots: Vec<usize>,
    /// Classifier labels: key and values.
    pub classifiers: Vec<(Arc<str>, Vec<Arc<str>>)>,
    /// Request-level conditions (known ids only).
    pub conditions: Vec<usize>,
}

impl Collection {
    /// Whether the collection carries classifier `key` with `value` (`None`: any value).
    pub fn has_label(&self, key: &str, value: Option<&str>) -> bool {
        self.classifiers
            .iter()
            .any(|(k, vs)| &**k == key && value.is_none_or(|v| vs.iter().any(|x| &**x == v)))
    }
}

/// Where a transformation parameter takes its records from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSpec {
    /// The records of a collection (`None`: a collection the container does not define; empty).
    Collection(Option<usize>),
    /// The records of every collection labelled `key` = `value`.
    Classifier(String, String),
    /// The output of another transformation.
    Transformation(usize),
    /// The records of one container record (UUID) at a time.
    Uuid,
}

/// A transformation of the container.
pub struct TransformationDef {
    pub id: Arc<str>,
    pub operator: String,
    pub constructor: Map<String, Json>,
    pub inputs: Vec<(String, InputSpec)>,
    pub plugin: Arc<dyn Transformation>,
}

impl std::fmt::Debug for TransformationDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransformationDef")
            .field("id", &self.id)
            .field("operator", &self.operator)
            .field("inputs", &self.inputs)
            .finish()
    }
}

/// Collections and transformations.
#[derive(Debug, Default)]
pub struct Container {
    pub collections: Vec<Collection>,
    pub transformations: Vec<TransformationDef>,
    pub metadata: Option<Json>,
}

impl Container {
    pub fn collection_index(&self, id: &str) -> Option<usize> {
        self.collections.iter().position(|c| &*c.id == id)
    }

    pub fn transformation_index(&self, id: &str) -> Option<usize> {
        self.transformations.iter().position(|t| &*t.id == id)
    }
}
