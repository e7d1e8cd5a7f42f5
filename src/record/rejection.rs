//! Rejections: a record that did not make it, with its reasons, the stage that rejected it and
//! the connection (for endpoint rejections).

use std::sync::Arc;

use super::Record;

/// Where a record was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// A required field had no value (validation at submit).
    Required,
    /// The record's conditions failed (validation at submit).
    Condition,
    /// An endpoint rejected it, or failed holding it.
    Endpoint,
    /// The library itself failed during the submit (a bug): the rejection holds an empty record.
    Internal,
}

impl Stage {
    /// Every stage, in the order statistics list them.
    pub const ALL: [Stage; 4] = [
        Stage::Required,
        Stage::Condition,
        Stage::Endpoint,
        Stage::Internal,
    ];

    /// `required`, `condition`, `endpoint` or `internal`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Required => "required",
            Stage::Condition => "condition",
            Stage::Endpoint => "endpoint",
            Stage::Internal => "internal",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// A record that did not make it, with its reasons, its stage and (for endpoint rejections)
/// the connection.
///
/// ```
/// let session = messageapi::Session::from_json(
///     r#"{"fields": [{"id": "n", "type": "integer", "required": true}],
///         "collections": [{"id": "c", "fields": ["n"]}],
///         "endpoints": [{"plugin": "evaluation", "connections": [{"id": "all", "collections": ["c"]}]}]}"#,
///     None,
/// )?;
/// let mut request = session.request();
/// request.add_record();
/// let outcome = request.submit().wait(None)?.clone();
/// let rejected = &outcome.rejections[0];
/// assert_eq!(rejected.stage, messageapi::Stage::Required);
/// assert!(rejected.record.get("n")?.is_null());
/// # Ok::<(), messageapi::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Rejection {
    /// The record, as it was when rejected.
    pub record: Record,
    /// Why, one reason per problem.
    pub reasons: Vec<String>,
    /// Where it was rejected.
    pub stage: Stage,
    /// The connection that rejected it (endpoint rejections), else None.
    pub connection: Option<Arc<str>>,
}

impl Rejection {
    /// An endpoint rejection; the pipeline fills in the connection.
    pub fn new(record: Record, reasons: Vec<String>) -> Rejection {
        Rejection {
            record,
            reasons,
            stage: Stage::Endpoint,
            connection: None,
        }
    }

    /// A rejection at `stage`.
    pub fn at(stage: Stage, record: Record, reasons: Vec<String>) -> Rejection {
        Rejection {
            record,
            reasons,
            stage,
            connection: None,
        }
    }
}
