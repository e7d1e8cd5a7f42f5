//! The record handles a C callback is given (and a C host reads): `mapi_record` is the core
//! record itself; `mapi_record_list` a borrowed list of them.

#![allow(non_camel_case_types)]

use crate::record::Record;

/// A record as C sees it: the core record, with the same layout.
#[repr(transparent)]
pub struct mapi_record(pub(crate) Record);

impl mapi_record {
    pub(crate) fn from_ref(r: &Record) -> *const mapi_record {
        (r as *const Record).cast()
    }
    pub(crate) fn from_mut(r: &mut Record) -> *mut mapi_record {
        (r as *mut Record).cast()
    }
}

/// A list of records (opaque, read-only): the records of a response, or records a plug-in call
/// hands out. Borrowed from its owner; readable from any thread while the owner lives.
/// Functions: mapi_record_list_count, mapi_record_list_get, mapi_call_records_by_collection,
/// mapi_call_records_by_classifier, mapi_call_records_by_transformation, mapi_transform_input.
pub struct mapi_record_list {
    items: ListItems,
}

enum ListItems {
    Slice(*const Record, usize),
    Refs(Vec<*const Record>),
}

// The records a list points to are immutable while the list lives (its owner keeps them).
unsafe impl Send for mapi_record_list {}
unsafe impl Sync for mapi_record_list {}

impl mapi_record_list {
    pub(crate) fn slice(records: &[Record]) -> mapi_record_list {
        mapi_record_list {
            items: ListItems::Slice(records.as_ptr(), records.len()),
        }
    }
    pub(crate) fn refs<'a>(records: impl IntoIterator<Item = &'a Record>) -> mapi_record_list {
        mapi_record_list {
            items: ListItems::Refs(records.into_iter().map(|r| r as *const Record).collect()),
        }
    }
    pub(crate) fn len(&self) -> usize {
        match &self.items {
            ListItems::Slice(_, n) => *n,
            ListItems::Refs(v) => v.len(),
        }
    }
    pub(crate) fn get(&self, i: usize) -> Option<*const Record> {
        match &self.items {
            ListItems::Slice(p, n) if i < *n => Some(unsafe { p.add(i) }),
            ListItems::Refs(v) => v.get(i).copied(),
            _ => None,
        }
    }
}
