//! Validation at submit, in the original's order: required fields first, then the record's
//! conditions. The one rule that submit and `Session::validate` both apply.

use crate::record::{Record, Rejection, Stage};
use crate::session_core::SessionCore;

/// The reason a record with a null required field gets, one per field.
pub fn required_reason(field: &str) -> String {
    format!("Required field {field} was missing a value.")
}

/// The reason a record failing its conditions gets.
pub const CONDITIONS_REASON: &str =
    "The record fields were invalidated against specified conditions.";

/// Records that passed validation and those that did not.
#[derive(Default)]
pub(super) struct Validated {
    pub(super) accepted: Vec<Record>,
    pub(super) required: Vec<Rejection>,
    pub(super) conditions: Vec<Rejection>,
}

/// Why a record is rejected at submit.
pub(crate) enum Verdict {
    Accepted,
    /// Required fields without a value: one reason each, in schema order.
    Required(Vec<String>),
    /// The record's conditions fail.
    Conditions,
}

impl Verdict {
    /// The reasons the record is rejected with (none if accepted).
    pub(crate) fn reasons(self) -> Vec<String> {
        match self {
            Verdict::Accepted => Vec::new(),
            Verdict::Required(r) => r,
            Verdict::Conditions => vec![CONDITIONS_REASON.to_string()],
        }
    }
}

/// Checks `record` as a submit does: required fields first, then its condition values.
pub(crate) fn verdict(core: &SessionCore, record: &Record) -> Verdict {
    let fields = core.schema.layout.fields();
    let missing: Vec<String> = fields
        .iter()
        .zip(record.values())
        .filter(|(f, val)| f.required && val.is_null())
        .map(|(f, _)| required_reason(&f.id))
        .collect();
    if !missing.is_empty() {
        return Verdict::Required(missing);
    }
    match record.conditions() {
        Some(cv) if !core.schema.conditions.record_passes(record, cv.values()) => {
            Verdict::Conditions
        }
        _ => Verdict::Accepted,
    }
}

pub(super) fn validate(core: &SessionCore, records: Vec<Record>) -> Validated {
    let mut v = Validated {
        accepted: Vec::with_capacity(records.len()),
        ..Default::default()
    };
    for record in records {
        match verdict(core, &record) {
            Verdict::Accepted => v.accepted.push(record),
            Verdict::Required(reasons) => {
                v.required
                    .push(Rejection::at(Stage::Required, record, reasons))
            }
            reject @ Verdict::Conditions => {
                v.conditions
                    .push(Rejection::at(Stage::Condition, record, reject.reasons()))
            }
        }
    }
    v
}
