//! The schema: typed fields and filter conditions, and what plug-ins see at open.

pub mod condition;
pub mod plugin;

use std::sync::Arc;

use serde_json::Value as Json;

use crate::record::Layout;
use condition::ConditionSet;
pub use plugin::{ConditionFactory, ConditionPlugin, PluginContext};

/// Fields (as a shared layout) and conditions.
#[derive(Debug)]
pub struct Schema {
    pub layout: Arc<Layout>,
    pub conditions: Arc<ConditionSet>,
    pub metadata: Option<Json>,
}
