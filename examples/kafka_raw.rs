//! The baseline of the Kafka benchmark (scripts/lib/bench-kafka.sh): a plain librdkafka producer
//! and consumer on the rdkafka crate, with the settings the kafka-producer endpoint uses.
//!
//!   cargo run --release --example kafka_raw -- produce TOPIC COUNT BYTES   (constant payload)
//!   cargo run --release --example kafka_raw -- produce-json TOPIC COUNT      (the C ABI's payloads,
//!                                                                           formatted per message)
//!   cargo run --release --example kafka_raw -- consume TOPIC COUNT
//!
//! MAPI_BENCH_KAFKA_CONFIG (a JSON object of librdkafka settings: compression, TLS) applies to
//! both, as bench_kafka applies it to the endpoints' constructors.

use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

/// The extra librdkafka settings of MAPI_BENCH_KAFKA_CONFIG.
fn extra(config: &mut ClientConfig) -> &mut ClientConfig {
    let text = std::env::var("MAPI_BENCH_KAFKA_CONFIG").unwrap_or_default();
    if let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(&text) {
        for (k, v) in m {
            config.set(k, v.as_str().map_or_else(|| v.to_string(), str::to_string));
        }
    }
    config
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bootstrap =
        std::env::var("MAPI_KAFKA_BOOTSTRAP").unwrap_or_else(|_| "localhost:9092".into());
    let topic = &args[2];
    let count: usize = args[3].parse().unwrap();
    match args[1].as_str() {
        "produce" | "produce-json" => {
            let json = args[1] == "produce-json";
            let bytes: usize = if json { 0 } else { args[4].parse().unwrap() };
            let producer: BaseProducer = extra(&mut ClientConfig::new())
                .set("bootstrap.servers", &bootstrap)
                .set("enable.idempotence", "true")
                .set("acks", "all")
                .set("message.timeout.ms", "30000")
                .set("queue.buffering.max.messages", "100000")
                .set("linger.ms", "5")
                .create()
                .unwrap();
            let mut payload = vec![b'x'; bytes];
            // Warm-up, outside the timing: connect and acquire the idempotent producer id
            // (librdkafka retries that every 500 ms when the broker connection is not up yet,
            // which otherwise adds 0 or 500 ms at random to the run).
            producer
                .send::<(), _>(BaseRecord::to(topic).payload("warm-up"))
                .map_err(|(e, _)| e)
                .unwrap();
            producer.flush(Duration::from_secs(30)).unwrap();
            let t = Instant::now();
            for i in 0..count {
                if json {
                    use std::io::Write;
                    payload.clear();
                    let _ = write!(
                        payload,
                        "{{\"station\":\"KILX\",\"seq\":{},\"note\":\"0123456789012345678901234567890123456789012345678901234567\"}}",
                        1_000_000 + i
                    );
                }
                loop {
                    match producer.send::<(), _>(BaseRecord::to(topic).payload(&payload)) {
                        Ok(()) => break,
                        Err(_) => {
                            producer.poll(Duration::from_millis(1));
                        }
                    }
                }
                producer.poll(Duration::ZERO);
            }
            producer.flush(Duration::from_secs(120)).unwrap();
            let s = t.elapsed().as_secs_f64();
            let what = if json {
                format!("{}-byte JSON", payload.len())
            } else {
                format!("{bytes}-byte")
            };
            println!(
                "raw produce: {count} {what} messages in {s:.2} s: {:.0} msgs/s",
                count as f64 / s
            );
        }
        "consume" => {
            let consumer: BaseConsumer = extra(&mut ClientConfig::new())
                .set("bootstrap.servers", &bootstrap)
                .set("group.id", format!("raw-{}", std::process::id()))
                .set("auto.offset.reset", "earliest")
                .set("enable.auto.commit", "false")
                .create()
                .unwrap();
            consumer.subscribe(&[topic]).unwrap();
            let mut got = 0;
            let mut t = None;
            while got < count {
                if let Some(Ok(_)) = consumer.poll(Duration::from_secs(10)) {
                    t.get_or_insert_with(Instant::now);
                    got += 1;
                }
            }
            let s = t.map_or(0.0, |t| t.elapsed().as_secs_f64());
            println!(
                "raw consume: {count} messages in {s:.2} s: {:.0} msgs/s",
                count as f64 / s
            );
        }
        _ => panic!("produce or consume"),
    }
}
