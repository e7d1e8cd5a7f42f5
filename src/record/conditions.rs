//! The condition values a record carries: one optional value per schema condition.
//!
//! A record does not know what a condition *is* (that is the schema's): it holds values in the
//! slots a [`ConditionSlots`] describes, which the schema's condition set implements.

use std::fmt::Debug;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::value::Value;

/// The conditions a record can hold values for: their ids and how a value is made fit for one.
/// Implemented by the schema's condition set.
pub trait ConditionSlots: Debug + Send + Sync {
    /// How many conditions there are.
    fn len(&self) -> usize;
    /// The slot of condition `id`.
    fn position(&self, id: &str) -> Option<usize>;
    /// `value` converted for condition `i` (its field's type; lists for `in`).
    fn coerce(&self, i: usize, value: Value) -> Result<Value>;
    /// A value for condition `i` read from JSON.
    fn value_from_json(&self, i: usize, json: &serde_json::Value) -> Result<Value>;
    /// The value condition `i` starts with on the request record (the manifest's), if any.
    fn manifest_value(&self, i: usize) -> Option<Value>;
}

/// The condition values a record carries: one optional value per condition of its slots.
#[derive(Debug, Clone)]
pub struct ConditionValues {
    slots: Arc<dyn ConditionSlots>,
    values: Vec<Option<Value>>,
}

impl ConditionValues {
    /// All comparison values cleared (a new record).
    pub fn cleared(slots: Arc<dyn ConditionSlots>) -> ConditionValues {
        let values = vec![None; slots.len()];
        ConditionValues { slots, values }
    }

    /// The manifest values (the request record).
    pub fn from_manifest(slots: Arc<dyn ConditionSlots>) -> ConditionValues {
        let values = (0..slots.len()).map(|i| slots.manifest_value(i)).collect();
        ConditionValues { slots, values }
    }

    fn slot(&self, id: &str) -> Result<usize> {
        self.slots
            .position(id)
            .ok_or_else(|| Error::UnknownCondition(format!("unknown condition \"{id}\"")))
    }

    pub fn set(&mut self, id: &str, value: Value) -> Result<()> {
        let i = self.slot(id)?;
        let v = self.slots.coerce(i, value)?;
        self.values[i] = if v.is_null() { None } else { Some(v) };
        Ok(())
    }

    /// Sets condition `id` from JSON, as [`ConditionSlots::value_from_json`] reads it.
    pub fn set_json(&mut self, id: &str, json: &serde_json::Value) -> Result<()> {
        let i = self.slot(id)?;
        let v = self.slots.value_from_json(i, json)?;
        self.values[i] = if v.is_null() { None } else { Some(v) };
        Ok(())
    }

    pub fn values(&self) -> &[Option<Value>] {
        &self.values
    }
}
