//! `mapi_response`: completes asynchronously; readable from any thread.

use std::ffi::{c_char, CString};
use std::sync::OnceLock;
use std::time::Duration;

use super::*;
use crate::response::{Outcome, Response};

/// A response (opaque). Functions: mapi_response_is_complete, mapi_response_wait,
/// mapi_response_records, mapi_response_record_count, mapi_response_rejection_count,
/// mapi_response_rejection_record, mapi_response_rejection_reason_count,
/// mapi_response_rejection_reason, mapi_response_free.
/// Thread-safety: may be read from any number of threads.
pub struct mapi_response {
    inner: Response,
    records: OnceLock<mapi_record_list>,
    reasons: OnceLock<Vec<Vec<CString>>>,
}

impl mapi_response {
    pub(crate) fn new(inner: Response) -> mapi_response {
        mapi_response {
            inner,
            records: OnceLock::new(),
            reasons: OnceLock::new(),
        }
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

/// 1 when the response has completed, else 0 (0 for NULL).
///
/// Ownership: `response` stays the caller's; everything returned is borrowed until mapi_response_free.
/// Status: none: the return value; 0 or NULL for bad arguments or an incomplete response.
/// Thread-safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn mapi_response_is_complete(response: *const mapi_response) -> i32 {
    guard_value(0, || {
        Ok(response
            .as_ref()
            .map_or(0, |r| i32::from(r.inner.is_complete())))
    })
}

/// Waits for completion: `timeout_ms` -1 waits forever, 0 polls, more waits that long.
///
/// Status: MAPI_OK (complete), MAPI_ERR_TIMED_OUT, MAPI_ERR_NULL_ARGUMENT,
/// MAPI_ERR_INVALID_ARGUMENT (a negative timeout other than -1).
/// Thread-safety: any number of threads may wait at once.
///
/// Ownership: `response` stays the caller's.
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

/// The records that came back (connection order, then endpoint order), or NULL until complete.
///
/// Ownership: borrowed; the list and its records are valid until mapi_response_free.
///
/// Status: none: the return value; 0 or NULL for bad arguments or an incomplete response.
/// Thread-safety: any thread, concurrently.
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

/// Number of records that came back (0 until complete).
///
/// Ownership: `response` stays the caller's; everything returned is borrowed until mapi_response_free.
/// Status: none: the return value; 0 or NULL for bad arguments or an incomplete response.
/// Thread-safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn mapi_response_record_count(response: *const mapi_response) -> usize {
    guard_value(0, || {
        Ok(response
            .as_ref()
            .and_then(|r| r.outcome())
            .map_or(0, |o| o.records.len()))
    })
}

/// Record `index` of the response, or NULL (out of range, or not complete).
///
/// Ownership: borrowed; valid until mapi_response_free.
///
/// Status: none: the return value; 0 or NULL for bad arguments or an incomplete response.
/// Thread-safety: any thread, concurrently.
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

/// Number of rejections (0 until complete): required-field ones, then condition ones (input
/// order), then endpoint ones.
///
/// Ownership: `response` stays the caller's; everything returned is borrowed until mapi_response_free.
/// Status: none: the return value; 0 or NULL for bad arguments or an incomplete response.
/// Thread-safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn mapi_response_rejection_count(response: *const mapi_response) -> usize {
    guard_value(0, || {
        Ok(response
            .as_ref()
            .and_then(|r| r.outcome())
            .map_or(0, |o| o.rejections.len()))
    })
}

/// The record of rejection `i`, or NULL if out of range.
///
/// Ownership: borrowed; valid until mapi_response_free.
///
/// Status: none: the return value; 0 or NULL for bad arguments or an incomplete response.
/// Thread-safety: any thread, concurrently.
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

/// Number of reasons of rejection `i` (0 if out of range).
///
/// Ownership: `response` stays the caller's; everything returned is borrowed until mapi_response_free.
/// Status: none: the return value; 0 or NULL for bad arguments or an incomplete response.
/// Thread-safety: any thread, concurrently.
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

/// Reason `j` of rejection `i`, or NULL if out of range.
///
/// Ownership: borrowed, NUL-terminated; valid until mapi_response_free.
///
/// Status: none: the return value; 0 or NULL for bad arguments or an incomplete response.
/// Thread-safety: any thread, concurrently.
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

/// Frees a response. Allowed before completion: the work finishes in the background and its
/// results are discarded. NULL is a no-op.
///
/// Ownership: `response` stays the caller's; everything returned is borrowed until mapi_response_free.
/// Status: none (no-op for NULL).
/// Thread-safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn mapi_response_free(response: *mut mapi_response) {
    if !response.is_null() {
        let _ = guard(|| {
            drop(Box::from_raw(response));
            Ok(())
        });
    }
}
