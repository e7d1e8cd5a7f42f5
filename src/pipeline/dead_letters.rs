//! Dead letters: every rejection of a submit goes to the session's dead-letter connection,
//! if it has one, before the response completes.

use std::collections::HashMap;
use std::sync::Arc;

use super::stages::redact_reasons;
use super::stages::{complete, instantiate_one, run_connection, ConnectionInstance};
use super::Parameters;
use crate::container::factor::ContainerRecords;
use crate::record::Record;
use crate::response::Outcome;
use crate::session_core::SessionCore;
use crate::value::Value;

/// The request's dead-letter connection instance (kept across resubmits, like the others).
#[derive(Default)]
pub(crate) struct DeadLetterState {
    instance: Option<ConnectionInstance>,
}

/// Hands every rejection of `outcome` to the session's dead-letter connection, if it has one.
/// A dead letter the connection could not take adds a reason to its rejection saying so (the
/// connection's own rejections are never dead-lettered again). Returns how many were written.
pub(crate) fn dead_letter(
    core: &SessionCore,
    outcome: &mut Outcome,
    state: &mut DeadLetterState,
) -> usize {
    let Some(conn) = &core.protocol.dead_letter else {
        return 0;
    };
    if outcome.rejections.is_empty() {
        return 0;
    }
    let time = Value::datetime(
        chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).fixed_offset(),
    );
    let letters: Vec<Record> = outcome
        .rejections
        .iter()
        .map(|r| crate::dead_letter::record_of(r, &time))
        .collect();
    // Which rejection each dead letter is, by its content (what a failing sink hands back).
    let mut index: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
    for (i, d) in letters.iter().enumerate() {
        let mut key = Vec::new();
        crate::json::write_record(d, &mut key);
        index.entry(key).or_default().push(i);
    }
    let n = letters.len();
    let routed = ContainerRecords {
        records: letters,
        coll: vec![0; n],
        uuid: vec![0; n],
        uuids: Arc::new(vec![uuid::Uuid::nil()]),
    };
    let inst = state.instance.get_or_insert_with(|| instantiate_one(conn));
    let result = run_connection(core, conn, routed, inst, &[], &Parameters::new());
    let (_, failed) = complete(conn, result);
    let mut unmatched = Vec::new();
    let mut failed_count = 0;
    for f in failed {
        let mut key = Vec::new();
        crate::json::write_record(&f.record, &mut key);
        let reason = format!("dead letter not written: {}", f.reasons.join("; "));
        match index.get_mut(&key).and_then(|v| v.pop()) {
            Some(i) => {
                outcome.rejections[i].reasons.push(reason);
                failed_count += 1;
            }
            None => unmatched.push(reason),
        }
    }
    if !unmatched.is_empty() {
        // A failure that names no dead letter: any of them may be unwritten; each says so.
        let reason = format!("dead letter may not be written: {}", unmatched.join("; "));
        crate::log::warn(&format!("connection {}: {reason}", conn.id));
        for r in outcome.rejections.iter_mut() {
            if !r
                .reasons
                .iter()
                .any(|x| x.starts_with("dead letter not written"))
            {
                r.reasons.push(reason.clone());
                failed_count += 1;
            }
        }
    } else if failed_count > 0 {
        crate::log::warn(&format!(
            "connection {}: {failed_count} of {n} dead letters not written",
            conn.id
        ));
    }
    redact_reasons(&mut outcome.rejections);
    let written = n - failed_count.min(n);
    core.stats.dead_letters(written, failed_count.min(n));
    written
}
