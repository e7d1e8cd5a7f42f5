//! Lazy transformation evaluation: at most once per connection per submit, on copies of the
//! connection's routed records.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use crate::container::factor::ContainerRecords;
use crate::container::TransformCall;
use crate::container::{Container, InputSpec};
use crate::error::{panic_message, Error, Result};
use crate::record::Record;

/// The transformation results of one connection for one submit.
#[derive(Default)]
pub struct TransformCache {
    results: HashMap<usize, Result<Arc<Vec<Record>>>>,
}

impl TransformCache {
    /// The output of transformation `t`, evaluating it (and what it reads) on first use.
    pub fn evaluate(
        &mut self,
        t: usize,
        container: &Container,
        routed: &ContainerRecords,
        root: &Path,
    ) -> Result<Arc<Vec<Record>>> {
        if let Some(r) = self.results.get(&t) {
            return r.clone();
        }
        let r = self.run(t, container, routed, root);
        self.results.insert(t, r.clone());
        r
    }

    fn run(
        &mut self,
        t: usize,
        container: &Container,
        routed: &ContainerRecords,
        root: &Path,
    ) -> Result<Arc<Vec<Record>>> {
        let def = &container.transformations[t];
        // Resolve every non-UUID input once; each run gets its own copies.
        let mut fixed: Vec<(String, Arc<Vec<Record>>)> = Vec::new();
        let mut uuid_param = None;
        for (param, spec) in &def.inputs {
            let records = match spec {
                InputSpec::Uuid => {
                    uuid_param = Some(param.clone());
                    continue;
                }
                InputSpec::Collection(None) => Arc::new(Vec::new()),
                InputSpec::Collection(Some(c)) => {
                    Arc::new(select(routed, |i| routed.coll[i] as usize == *c))
                }
                InputSpec::Classifier(k, v) => Arc::new(select(routed, |i| {
                    container.collections[routed.coll[i] as usize].has_label(k, Some(v))
                })),
                InputSpec::Transformation(inner) => {
                    self.evaluate(*inner, container, routed, root)?
                }
            };
            fixed.push((param.clone(), records));
        }
        let run_once = |inputs: Vec<(String, Vec<Record>)>| -> Result<Vec<Record>> {
            let mut call = TransformCall {
                id: &def.id,
                constructor: &def.constructor,
                root,
                inputs,
                outputs: Vec::new(),
            };
            match catch_unwind(AssertUnwindSafe(|| def.plugin.run(&mut call))) {
                Ok(Ok(())) => Ok(std::mem::take(call.outputs_mut())),
                Ok(Err(e)) => Err(e.context(format_args!("transformation {} failed", def.id))),
                Err(p) => Err(Error::Endpoint(format!(
                    "transformation {} panicked: {}",
                    def.id,
                    panic_message(&p)
                ))),
            }
        };
        let copies = |fixed: &[(String, Arc<Vec<Record>>)]| -> Vec<(String, Vec<Record>)> {
            fixed
                .iter()
                .map(|(k, v)| (k.clone(), v.as_ref().clone()))
                .collect()
        };
        let out = match uuid_param {
            None => run_once(copies(&fixed))?,
            Some(param) => {
                let mut out = Vec::new();
                // UUIDs in order of first appearance among the routed records.
                let mut groups: Vec<(u32, Vec<usize>)> = Vec::new();
                let mut slot: HashMap<u32, usize> = HashMap::new();
                for (i, &u) in routed.uuid.iter().enumerate() {
                    let g = *slot.entry(u).or_insert_with(|| {
                        groups.push((u, Vec::new()));
                        groups.len() - 1
                    });
                    groups[g].1.push(i);
                }
                for (_, members) in groups {
                    let mut inputs = copies(&fixed);
                    let bound = members.iter().map(|&i| routed.records[i].clone()).collect();
                    let pos = def
                        .inputs
                        .iter()
                        .position(|(k, _)| *k == param)
                        .unwrap_or(inputs.len());
                    inputs.insert(pos.min(inputs.len()), (param.clone(), bound));
                    out.extend(run_once(inputs)?);
                }
                out
            }
        };
        Ok(Arc::new(out))
    }
}

fn select(routed: &ContainerRecords, keep: impl Fn(usize) -> bool) -> Vec<Record> {
    (0..routed.len())
        .filter(|&i| keep(i))
        .map(|i| routed.records[i].clone())
        .collect()
}
