//! Built-in transformations: `join` and `reduce`.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value as Json;

use crate::container::{TransformCall, Transformation, TransformationFactory};
use crate::error::{Error, Result};
use crate::record::{DerivedLayouts, FieldDef, Record};
use crate::schema::PluginContext;
use crate::value::{FieldType, Value};

pub(crate) struct JoinFactory;

/// `join`: each `parent` record gains field `collection-field` holding, as a JSON list of
/// objects, the `child` records whose `join-field` equals the parent's.
struct Join {
    join_field: String,
    collection_field: Arc<str>,
}

fn string_param(ctx: &PluginContext<'_>, key: &str) -> Result<String> {
    match ctx.constructor.get(key) {
        Some(Json::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(Error::Manifest(format!(
            "constructor.{key}: required (a non-empty string)"
        ))),
    }
}

impl TransformationFactory for JoinFactory {
    fn prepare(&self, ctx: &PluginContext<'_>) -> Result<Arc<dyn Transformation>> {
        Ok(Arc::new(Join {
            join_field: string_param(ctx, "join-field")?,
            collection_field: string_param(ctx, "collection-field")?.into(),
        }))
    }
}

/// A hashable key for a join value; null and absent values match nothing.
fn join_key(record: &Record, field: &str) -> Option<String> {
    match record.get(field) {
        Ok(Value::Null) | Err(_) => None,
        Ok(v) => Some(v.to_json().to_string()),
    }
}

impl Transformation for Join {
    fn run(&self, call: &mut TransformCall<'_>) -> Result<()> {
        let parents = call.take_input("parent");
        let children = call.input("child").unwrap_or(&[]);
        let mut by_key: HashMap<String, Vec<Json>> = HashMap::new();
        for c in children {
            if let Some(k) = join_key(c, &self.join_field) {
                by_key.entry(k).or_default().push(c.to_json());
            }
        }
        let extra = [FieldDef::new(&self.collection_field, FieldType::Json)];
        let mut extended = DerivedLayouts::default();
        for p in parents {
            let matched = join_key(&p, &self.join_field)
                .and_then(|k| by_key.get(&k))
                .cloned()
                .unwrap_or_default();
            let value = Value::Json(Arc::new(Json::Array(matched)));
            let mut out = p;
            if let Some(slot) = out.layout().position(&self.collection_field) {
                out.set_at_unchecked(slot, value);
            } else {
                let layout = extended.of(out.layout(), |l| l.extended(&extra));
                out.extend_layout(layout, [value]);
            }
            call.add(out);
        }
        Ok(())
    }
}

pub(crate) struct ReduceFactory;

/// `reduce`: returns its `reduce-list` input unchanged, as the original does.
struct Reduce;

impl TransformationFactory for ReduceFactory {
    fn prepare(&self, _ctx: &PluginContext<'_>) -> Result<Arc<dyn Transformation>> {
        Ok(Arc::new(Reduce))
    }
}

impl Transformation for Reduce {
    fn run(&self, call: &mut TransformCall<'_>) -> Result<()> {
        let records = call.take_input("reduce-list");
        call.extend(records);
        Ok(())
    }
}
