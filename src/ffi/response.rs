//! `mapi_response`: completes asynchronously; readable from any thread.

use std::ffi::{c_char, CString};
use std::sync::OnceLock;
use std::time::Duration;

use super::*;
use crate::response::{Outcome, Response};

/// A response (opaque): the outcome of one submit, completed asynchronously. May be read and
/// waited on from any number of threads at once; everything it hands out is borrowed until
/// mapi_response_free. Made by mapi_request_submit and mapi_request_submit_and_clear.
/// Functions: mapi_request_submit, mapi_request_submit_and_clear, mapi_response_is_complete,
/// mapi_response_wait, mapi_response_records, mapi_response_record_count, mapi_response_record,
/// mapi_response_rejection_count, mapi_response_rejection_record,
/// mapi_response_rejection_reason_count, mapi_response_rejection_reason,
/// mapi_response_rejection_stage, mapi_response_rejection_connection, mapi_response_free.
pub struct mapi_response {
    inner: Response,
    records: OnceLock<mapi_record_list>,
    reasons: OnceLock<Vec<Vec<CString>>>,
    connections: OnceLock<Vec<Option<CString>>>,
}

impl mapi_response {
    pub(crate) fn new(inner: Response) -> mapi_response {
        mapi_response {
            inner,
            records: OnceLock::new(),
            reasons: OnceLock::new(),
            connections: OnceLock::new(),
        }
    }

    fn connections(&self) -> Option<&Vec<Option<CString>>> {
        let outcome = self.outcome()?;
        Some(self.connections.get_or_init(|| {
            outcome
                .rejections
                .iter()
                .map(|r| {
                    r.connection
                        .as_deref()
                        .map(|c| CString::new(c.replace('\0', " ")).unwrap_or_default())
                })
                .collect()
        }))
    }

    fn outcome(&self) -> Option<&Outcome> {
        self.inner.outcome()
    }

    fn reasons(&self) -> Option<&Vec<Vec<CString>>> {
        let outcome = self.outcome()?;
        Some(self.reasons.get_or_init(|| {
            outcome
                .rejections
                .iter()
                .map(|r| {
                    r.reasons
                        .iter()
                        .map(|s| CString::new(s.replace('\0', " ")).unwrap_or_default())
                        .collect()
                })
                .collect()
        }))
    }
}

/// ## Responses
///
/// A submit's response completes on a library thread, always: when an endpoint, a
/// transformation or a broker fails, the records concerned come back as rejections with reasons
/// naming the connection. A completed response holds the records that came back (connection
/// order, then endpoint order) and the rejections (required-field ones, then condition ones, in
/// input order, then the endpoints'). A `mapi_response` may be read and waited on from any
/// number of threads; what it hands out is borrowed until mapi_response_free.
///
/// ---
///
/// 1 when `response` has completed, 0 while it is pending (0 for NULL). Does not wait.
///
/// # Safety
/// `response` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn mapi_response_is_complete(response: *const mapi_response) -> i32 {
    guard_value(0, || {
        Ok(response
            .as_ref()
            .map_or(0, |r| i32::from(r.inner.is_complete())))
    })
}

/// Waits until `response` completes: `timeout_ms` -1 waits as long as it takes, 0 only
/// looks, and a positive value waits at most that many milliseconds.
///
/// Returns MAPI_OK once complete, or: MAPI_ERR_TIMED_OUT (still pending after `timeout_ms`);
/// MAPI_ERR_NULL_ARGUMENT; MAPI_ERR_INVALID_ARGUMENT (a timeout below -1).
///
/// # Safety
/// `response` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn mapi_response_wait(
    response: *const mapi_response,
    timeout_ms: i64,
) -> mapi_status {
    guard(|| {
        let response = handle(response, "response")?;
        let timeout = match timeout_ms {
            -1 => None,
            t if t < -1 => {
                return Err(Error::InvalidArgument(format!(
                    "timeout_ms {t}: use -1 (forever), 0 (poll) or more"
                )))
            }
            t => Some(Duration::from_millis(t as u64)),
        };
        response.inner.wait(timeout).map(|_| ())
    })
}

/// The records that came back in `response`, as a list; NULL until it completes (or for NULL).
/// The list and its records are borrowed until mapi_response_free.
///
/// # Safety
/// `response` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn mapi_response_records(
    response: *const mapi_response,
) -> *const mapi_record_list {
    guard_value(std::ptr::null(), || {
        let Some(r) = response.as_ref() else {
            return Ok(std::ptr::null());
        };
        Ok(match r.outcome() {
            Some(o) => {
                r.records
                    .get_or_init(|| mapi_record_list::slice(&o.records)) as *const _
            }
            None => std::ptr::null(),
        })
    })
}

/// How many records came back in `response` (0 until it completes, or for NULL).
///
/// # Safety
/// `response` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn mapi_response_record_count(response: *const mapi_response) -> usize {
    guard_value(0, || {
        Ok(response
            .as_ref()
            .and_then(|r| r.outcome())
            .map_or(0, |o| o.records.len()))
    })
}

/// Record `index` (0-based) that came back in `response`; NULL when out of range, before
/// completion or for NULL. Borrowed until mapi_response_free.
///
/// # Safety
/// `response` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn mapi_response_record(
    response: *const mapi_response,
    index: usize,
) -> *const mapi_record {
    guard_value(std::ptr::null(), || {
        Ok(response
            .as_ref()
            .and_then(|r| r.outcome())
            .and_then(|o| o.records.get(index))
            .map_or(std::ptr::null(), mapi_record::from_ref))
    })
}

/// How many records `response` rejected (0 until it completes, or for NULL).
///
/// # Safety
/// `response` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn mapi_response_rejection_count(response: *const mapi_response) -> usize {
    guard_value(0, || {
        Ok(response
            .as_ref()
            .and_then(|r| r.outcome())
            .map_or(0, |o| o.rejections.len()))
    })
}

/// The record of rejection `i` of `response` (the record as it was rejected: a request record,
/// or a collection record for endpoint rejections); NULL when out of range. Borrowed until
/// mapi_response_free.
///
/// # Safety
/// `response` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn mapi_response_rejection_record(
    response: *const mapi_response,
    i: usize,
) -> *const mapi_record {
    guard_value(std::ptr::null(), || {
        Ok(response
            .as_ref()
            .and_then(|r| r.outcome())
            .and_then(|o| o.rejections.get(i))
            .map_or(std::ptr::null(), |rej| mapi_record::from_ref(&rej.record)))
    })
}

/// How many reasons rejection `i` of `response` has (at least one; 0 when out of range).
///
/// # Safety
/// `response` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn mapi_response_rejection_reason_count(
    response: *const mapi_response,
    i: usize,
) -> usize {
    guard_value(0, || {
        Ok(response
            .as_ref()
            .and_then(|r| r.outcome())
            .and_then(|o| o.rejections.get(i))
            .map_or(0, |r| r.reasons.len()))
    })
}

/// Reason `j` of rejection `i` of `response`, as NUL-terminated text ("Required field x was
/// missing a value.", "connection out: ..."); NULL when out of range. Borrowed until
/// mapi_response_free.
///
/// # Safety
/// `response` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn mapi_response_rejection_reason(
    response: *const mapi_response,
    i: usize,
    j: usize,
) -> *const c_char {
    guard_value(std::ptr::null(), || {
        Ok(response
            .as_ref()
            .and_then(|r| r.reasons())
            .and_then(|all| all.get(i))
            .and_then(|rs| rs.get(j))
            .map_or(std::ptr::null(), |s| s.as_ptr()))
    })
}

/// Where rejection `i` of `response` happened: "required" (a required field had no value),
/// "condition" (the record's conditions failed), "endpoint" (a connection rejected it or failed
/// holding it) or "internal" (the library itself failed); NULL when out of range. Static text.
///
/// # Safety
/// `response` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn mapi_response_rejection_stage(
    response: *const mapi_response,
    i: usize,
) -> *const c_char {
    use crate::record::Stage;
    guard_value(std::ptr::null(), || {
        Ok(response
            .as_ref()
            .and_then(|r| r.outcome())
            .and_then(|o| o.rejections.get(i))
            .map_or(std::ptr::null(), |r| {
                match r.stage {
                    Stage::Required => c"required",
                    Stage::Condition => c"condition",
                    Stage::Endpoint => c"endpoint",
                    Stage::Internal => c"internal",
                }
                .as_ptr()
            }))
    })
}

/// The id of the connection that rejected rejection `i` of `response` (endpoint rejections);
/// NULL for validation and internal rejections, and when out of range. Borrowed until
/// mapi_response_free.
///
/// # Safety
/// `response` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn mapi_response_rejection_connection(
    response: *const mapi_response,
    i: usize,
) -> *const c_char {
    guard_value(std::ptr::null(), || {
        Ok(response
            .as_ref()
            .and_then(|r| r.connections())
            .and_then(|all| all.get(i))
            .and_then(|c| c.as_ref())
            .map_or(std::ptr::null(), |s| s.as_ptr()))
    })
}

/// Frees `response`. Allowed before it completes: the work still finishes in the background
/// (every record is still written, sent or rejected) and its results are discarded. Calling with
/// NULL is fine; must not be called twice, nor while another thread still reads the response.
///
/// Freeing tells the request's consumers the program is done with the response's records:
/// once it is complete, they commit (Kafka) or acknowledge (AMQP) its messages, after those of
/// the earlier submits. Free a consumer's response only once its records are kept.
///
/// # Safety
/// `response` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn mapi_response_free(response: *mut mapi_response) {
    if !response.is_null() {
        let _ = guard(|| {
            drop(Box::from_raw(response));
            Ok(())
        });
    }
}
