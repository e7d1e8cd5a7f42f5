//! `evaluation`: returns the records of the connection's listed collections, then of its listed
//! classifiers, then of its listed transformations (a record may appear more than once).

use std::sync::Arc;

use crate::error::Result;
use crate::protocol::call::EndpointCall;
use crate::registry::{Endpoint, EndpointFactory, PluginContext, PreparedEndpoint};

pub struct EvaluationFactory;

struct Evaluation;

impl EndpointFactory for EvaluationFactory {
    fn prepare(&self, _ctx: &PluginContext<'_>) -> Result<Arc<dyn PreparedEndpoint>> {
        Ok(Arc::new(Evaluation))
    }
}

impl PreparedEndpoint for Evaluation {
    fn instantiate(&self) -> Result<Box<dyn Endpoint>> {
        Ok(Box::new(Evaluation))
    }
}

impl Endpoint for Evaluation {
    fn process(&mut self, call: &mut EndpointCall<'_>) -> Result<()> {
        let mut out = Vec::with_capacity(call.records().len());
        for &c in &call.conn.collections {
            out.extend(call.by_collection_index(c).cloned());
        }
        for sel in call.listed_classifiers() {
            out.extend(call.records_by_classifier(&sel.key, sel.value.as_deref()).into_iter().cloned());
        }
        for t in call.conn.transformations.clone() {
            let records = call.transformation_index_records(t)?;
            out.extend(records.iter().cloned());
        }
        call.extend(out);
        Ok(())
    }
}
