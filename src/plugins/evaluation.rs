//! `evaluation`: returns the records of the connection's listed collections, then of its listed
//! classifiers, then of its listed transformations (a record may appear more than once).

use std::sync::Arc;

use crate::container::factor::ContainerRecords;
use crate::error::Result;
use crate::protocol::EndpointCall;
use crate::protocol::{Endpoint, EndpointFactory, PreparedEndpoint};
use crate::record::Record;
use crate::schema::PluginContext;

pub struct EvaluationFactory;

struct Evaluation;

impl EndpointFactory for EvaluationFactory {
    fn prepare(&self, _ctx: &PluginContext<'_>) -> Result<Arc<dyn PreparedEndpoint>> {
        Ok(Arc::new(Evaluation))
    }
}

impl PreparedEndpoint for Evaluation {
    fn check_parameter(
        &self,
        _key: &str,
        _constructor: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<()> {
        super::fixed_at_open("evaluation")
    }
    fn instantiate(&self) -> Result<Box<dyn Endpoint>> {
        Ok(Box::new(Evaluation))
    }
}

impl Endpoint for Evaluation {
    fn process(&mut self, call: &mut EndpointCall<'_>) -> Result<()> {
        // Transformations first (they read the routed records), output last.
        let mut transformed = Vec::new();
        for t in call.conn.transformations.clone() {
            transformed.push(call.transformation_index_records(t)?);
        }
        let container = call.container;
        let conn = call.conn;
        // How often each collection's records are returned: once if listed, once per listed
        // classifier that labels it. Records returned exactly once are moved, not copied.
        let times: Vec<usize> = (0..container.collections.len())
            .map(|c| {
                let coll = &container.collections[c];
                usize::from(conn.collections.contains(&c))
                    + conn
                        .classifiers
                        .iter()
                        .filter(|s| coll.has_label(&s.key, s.value.as_deref()))
                        .count()
            })
            .collect();
        let mut routed = call.take_routed();
        let mut out =
            Vec::with_capacity(routed.len() + transformed.iter().map(|t| t.len()).sum::<usize>());
        let take = |i: usize, routed: &mut ContainerRecords| {
            if times[routed.coll[i] as usize] == 1 {
                std::mem::replace(&mut routed.records[i], Record::empty())
            } else {
                routed.records[i].clone()
            }
        };
        for &c in &conn.collections {
            for i in 0..routed.len() {
                if routed.coll[i] as usize == c {
                    out.push(take(i, &mut routed));
                }
            }
        }
        for sel in &conn.classifiers {
            for i in 0..routed.len() {
                if container.collections[routed.coll[i] as usize]
                    .has_label(&sel.key, sel.value.as_deref())
                {
                    out.push(take(i, &mut routed));
                }
            }
        }
        for t in transformed {
            out.extend(t.iter().cloned());
        }
        call.extend(out);
        Ok(())
    }
}
