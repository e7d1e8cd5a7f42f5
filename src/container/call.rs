//! What a transformation sees when it runs, and the transformation plug-in traits.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use crate::error::Result;
use crate::record::Record;
use crate::schema::PluginContext;

/// A transformation kind: checks its constructor at session open.
pub trait TransformationFactory: Send + Sync {
    /// Checks the constructor and prepares the transformation, when the session opens.
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn Transformation>>;
}

/// A prepared transformation.
pub trait Transformation: Send + Sync {
    /// Reads inputs (owned copies) from `call` and adds output records.
    fn run(&self, call: &mut TransformCall<'_>) -> Result<()>;
}

/// One run of a transformation: its constructor, its inputs (owned copies, by parameter) and
/// the output records it adds.
pub struct TransformCall<'a> {
    pub(crate) id: &'a str,
    pub(crate) constructor: &'a Map<String, Json>,
    pub(crate) root: &'a Path,
    pub(crate) inputs: Vec<(String, Vec<Record>)>,
    pub(crate) outputs: Vec<Record>,
}

impl<'a> TransformCall<'a> {
    /// The transformation id.
    pub fn id(&self) -> &str {
        self.id
    }

    /// A constructor value.
    pub fn parameter(&self, key: &str) -> Option<&Json> {
        self.constructor.get(key)
    }

    /// The transformation's constructor.
    pub fn constructor(&self) -> &Map<String, Json> {
        self.constructor
    }

    /// The session root (`{}`).
    pub fn root(&self) -> &Path {
        self.root
    }

    /// The parameter names, in manifest order.
    pub fn input_names(&self) -> impl Iterator<Item = &str> {
        self.inputs.iter().map(|(k, _)| k.as_str())
    }

    /// The records bound to `param` (`None` if the transformation has no such parameter).
    pub fn input(&self, param: &str) -> Option<&[Record]> {
        self.inputs
            .iter()
            .find(|(k, _)| k == param)
            .map(|(_, v)| v.as_slice())
    }

    /// Takes the records bound to `param` (they are this call's own copies).
    pub fn take_input(&mut self, param: &str) -> Vec<Record> {
        self.inputs
            .iter_mut()
            .find(|(k, _)| k == param)
            .map(|(_, v)| std::mem::take(v))
            .unwrap_or_default()
    }

    /// Adds an output record.
    pub fn add(&mut self, record: Record) {
        self.outputs.push(record);
    }

    /// Adds output records.
    pub fn extend(&mut self, records: impl IntoIterator<Item = Record>) {
        self.outputs.extend(records);
    }

    /// A new open output record (any field may be set).
    pub fn new_record(&self) -> Record {
        Record::open()
    }

    /// The output records added so far.
    pub fn outputs(&self) -> &[Record] {
        &self.outputs
    }

    pub(crate) fn outputs_mut(&mut self) -> &mut Vec<Record> {
        &mut self.outputs
    }
}
