//! Rejections: a record that did not make it, with its reasons.

use super::Record;

/// A record that did not make it, with its reasons.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub record: Record,
    pub reasons: Vec<String>,
}
