//! Built-in endpoints, one file each.

pub mod evaluation;
pub mod file_reader;
pub mod file_writer;

use std::sync::Arc;

use crate::registry::EndpointFactory;

pub(crate) fn register_builtins(add: &mut dyn FnMut(&str, Arc<dyn EndpointFactory>)) {
    add("evaluation", Arc::new(evaluation::EvaluationFactory));
    add("file-reader", Arc::new(file_reader::FileReaderFactory));
    add("file-writer", Arc::new(file_writer::FileWriterFactory));
}
