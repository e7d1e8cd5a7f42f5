//! Factoring accepted records into container records: one fresh UUID per record, one copy of
//! each collection whose request-level conditions pass.

use std::sync::Arc;

use uuid::Uuid;

use crate::container::Container;
use crate::record::Record;
use crate::schema::condition::ConditionSet;
use crate::value::Value;

/// Collection records, struct-of-arrays: the record, its collection and its container record.
/// Used for the factored records of a submit and for what one connection is routed.
#[derive(Debug, Default, Clone)]
pub struct ContainerRecords {
    pub records: Vec<Record>,
    pub coll: Vec<u32>,
    pub uuid: Vec<u32>,
    pub uuids: Arc<Vec<Uuid>>,
}

impl ContainerRecords {
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Appends `other`, shifting its UUID indices after ours.
    pub fn append(&mut self, other: ContainerRecords) {
        let offset = self.uuids.len() as u32;
        Arc::make_mut(&mut self.uuids).extend(other.uuids.iter().copied());
        self.records.extend(other.records);
        self.coll.extend(other.coll);
        self.uuid.extend(other.uuid.into_iter().map(|u| u + offset));
    }
}

/// Which collections need their request-level conditions checked for this submit.
pub fn active_collection_conditions(
    container: &Container,
    conditions: &ConditionSet,
    request: &[Option<Value>],
) -> Vec<bool> {
    container
        .collections
        .iter()
        .map(|c| !c.conditions.is_empty() && any_valued(&c.conditions, conditions, request))
        .collect()
}

fn any_valued(ids: &[usize], set: &ConditionSet, values: &[Option<Value>]) -> bool {
    use crate::schema::condition::ConditionKind;
    ids.iter().any(|&i| match &set.conditions()[i].kind {
        ConditionKind::Comparison { .. } => values[i].is_some(),
        ConditionKind::Composite { children, .. } => any_valued(children, set, values),
    })
}

/// Factors `accepted` (schema records) into collection records.
pub fn factor(
    container: &Container,
    accepted: Vec<Record>,
    conditions: &ConditionSet,
    request: &[Option<Value>],
    active: &[bool],
) -> ContainerRecords {
    let n = accepted.len();
    let per = container.collections.len();
    let mut out = ContainerRecords {
        records: Vec::with_capacity(n * per),
        coll: Vec::with_capacity(n * per),
        uuid: Vec::with_capacity(n * per),
        uuids: Arc::new(Vec::with_capacity(n)),
    };
    let uuids = Arc::make_mut(&mut out.uuids);
    // This submit's own copies of the collection layouts: the reference counts its records
    // update then live on cache lines no other thread is updating at the same time (the
    // records of the previous submit, finishing on another thread, hold the previous copies).
    let layouts: Vec<Arc<crate::record::Layout>> = container
        .collections
        .iter()
        .map(|c| Arc::new(crate::record::Layout::clone(&c.layout)))
        .collect();
    // When the last collection holds every schema field, in order, it takes the submitted
    // values instead of copying them (no later collection needs them).
    let width = accepted.first().map_or(0, Record::len);
    let reuse = container.collections.len().checked_sub(1).filter(|&last| {
        let c = &container.collections[last];
        c.slots.len() == width && c.slots.iter().enumerate().all(|(i, &s)| i == s)
    });
    for (u, record) in accepted.into_iter().enumerate() {
        uuids.push(Uuid::new_v4());
        let mut record = Some(record);
        for (ci, c) in container.collections.iter().enumerate() {
            let vals = if Some(ci) == reuse {
                record.take().map(Record::into_slots).unwrap_or_default()
            } else {
                let values = record.as_ref().map(Record::values).unwrap_or_default();
                c.slots.iter().map(|&s| values[s].clone()).collect()
            };
            let rec = Record::from_parts(layouts[ci].clone(), vals);
            if active[ci] && !conditions.subset_passes(&c.conditions, &rec, request) {
                continue;
            }
            out.records.push(rec);
            out.coll.push(ci as u32);
            out.uuid.push(u as u32);
        }
    }
    out
}
