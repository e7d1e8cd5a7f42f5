//! Built-in endpoints, one file each.

pub mod evaluation;
pub mod file_reader;
pub mod file_writer;
#[cfg(feature = "kafka")]
pub mod kafka;

use std::sync::Arc;

use crate::registry::EndpointFactory;

pub(crate) fn register_builtins(add: &mut dyn FnMut(&str, Arc<dyn EndpointFactory>)) {
    add("evaluation", Arc::new(evaluation::EvaluationFactory));
    add("file-reader", Arc::new(file_reader::FileReaderFactory));
    add("file-writer", Arc::new(file_writer::FileWriterFactory));
    #[cfg(feature = "kafka")]
    {
        add(
            "kafka-producer",
            Arc::new(kafka::producer::KafkaProducerFactory),
        );
        add(
            "kafka-consumer",
            Arc::new(kafka::consumer::KafkaConsumerFactory),
        );
    }
}
