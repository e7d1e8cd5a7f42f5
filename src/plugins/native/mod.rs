//! Plug-ins in C: callbacks a host registers (`mapi_register_endpoint` and the like) and
//! `native` symbols loaded from a shared library with dlopen. Both run through
//! [`callback`]'s adapters.

pub mod callback;
pub mod dlopen;
pub mod handles;
