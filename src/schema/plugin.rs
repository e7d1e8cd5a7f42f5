//! What every plug-in sees when a session opens ([`PluginContext`]), and the condition plug-in
//! traits. Endpoint traits live in `protocol`, transformation traits in `container`: each
//! beside the call type it receives.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::Schema;
use crate::error::Result;
use crate::record::{FieldDef, Record};
use crate::value::Value;

/// Reads a constructor value that holds field maps (`default-fields`, `state-container`) into
/// field definitions. The manifest loader supplies it, so errors carry the JSON location.
pub type FieldListReader<'a> = dyn Fn(&str) -> Result<Option<Vec<FieldDef>>> + 'a;

/// What a plugin sees of its manifest entry when the session opens.
pub struct PluginContext<'a> {
    /// The connection, transformation or condition id.
    pub id: &'a str,
    /// The `constructor` object (empty when absent).
    pub constructor: &'a Map<String, Json>,
    /// The session root (`{}` expansion).
    pub root: &'a Path,
    /// What the plug-in is: "connection", "transformation" or "condition" (for messages).
    pub kind: &'a str,
    /// Only checking the manifest (`mapi check`): check the constructor, but load no code,
    /// read no secret and connect nowhere.
    pub checking: bool,
    /// The directory relative paths resolve against.
    pub base_dir: &'a Path,
    /// The session's schema (for connections: fields, conditions, metadata); `None` while the
    /// schema itself is being read (condition plugins) and for transformations.
    pub(crate) schema: Option<&'a Schema>,
    /// See [`FieldListReader`].
    pub field_lists: &'a FieldListReader<'a>,
}

impl PluginContext<'_> {
    /// The schema's fields, for a connection's plug-in (`None` for transformations and
    /// conditions, which open before the schema is complete).
    pub fn schema_fields(&self) -> Option<&[FieldDef]> {
        self.schema.map(|s| s.layout.fields())
    }

    /// Expands `{}` to the root and resolves a relative path against the base directory.
    pub fn resolve_path(&self, path: &str) -> PathBuf {
        crate::paths::resolve(path, self.root, self.base_dir)
    }

    /// Constructor value `key` read as a list of field maps (`None` when absent or null).
    pub fn field_list(&self, key: &str) -> Result<Option<Vec<FieldDef>>> {
        (self.field_lists)(key)
    }
}

/// A condition kind: checks its constructor at session open.
pub trait ConditionFactory: Send + Sync {
    /// Checks the constructor and prepares the operator, when the session opens.
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn ConditionPlugin>>;
}

/// A prepared condition operator.
pub trait ConditionPlugin: Send + Sync {
    /// Whether `record` passes with condition value `value` on `field`.
    fn check(
        &self,
        record: &Record,
        field: &str,
        value: &Value,
    ) -> std::result::Result<bool, String>;
}
