//! The baseline of the AMQP benchmark (scripts/lib/bench-amqp.sh): a plain lapin publisher and
//! consumer with the settings the amqp endpoints use (topic exchange, persistent and mandatory
//! messages, publisher confirms awaited after publishing the batch, prefetch 1000, one
//! acknowledgement per 1000 messages), on the same executor (async-global-executor).
//!
//!   cargo run --release --example amqp_raw -- publish EXCHANGE QUEUE COUNT   (the C ABI's JSON
//!                                                                            payloads, formatted
//!                                                                            per message)
//!   cargo run --release --example amqp_raw -- consume QUEUE COUNT
//!
//! The broker is MAPI_AMQP_URL. Prints `msgs/s N`.

use std::time::Instant;

use futures_lite::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties, ExchangeKind};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = std::env::var("MAPI_AMQP_URL").expect("MAPI_AMQP_URL");
    let url = format!("{url}?frame_max=131072");
    futures_executor::block_on(async move {
        let conn = Connection::connect(&url, ConnectionProperties::default())
            .await
            .expect("connect");
        let ch = conn.create_channel().await.expect("channel");
        match args.get(1).map(String::as_str) {
            Some("publish") => {
                let (exchange, queue) = (&args[2], &args[3]);
                let count: usize = args[4].parse().expect("COUNT");
                ch.exchange_declare(
                    exchange.as_str().into(),
                    ExchangeKind::Topic,
                    ExchangeDeclareOptions {
                        durable: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await
                .expect("exchange");
                ch.queue_declare(
                    queue.as_str().into(),
                    QueueDeclareOptions {
                        durable: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await
                .expect("queue");
                ch.queue_bind(
                    queue.as_str().into(),
                    exchange.as_str().into(),
                    "#".into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .expect("bind");
                ch.confirm_select(ConfirmSelectOptions::default())
                    .await
                    .expect("confirms");
                let props = BasicProperties::default()
                    .with_content_type("application/json".into())
                    .with_delivery_mode(2);
                let stations = ["KILX", "KORD", "KMDW"];
                let started = Instant::now();
                let mut confirms = Vec::with_capacity(count);
                for i in 0..count {
                    let station = stations[i % 3];
                    let payload = format!(
                        "{{\"station\":\"{station}\",\"seq\":{i},\"temp\":{:.1}}}",
                        15.0 + (i % 20) as f64
                    );
                    confirms.push(
                        ch.basic_publish(
                            exchange.as_str().into(),
                            station.into(),
                            BasicPublishOptions {
                                mandatory: true,
                                ..Default::default()
                            },
                            payload.as_bytes(),
                            props.clone(),
                        )
                        .await
                        .expect("publish"),
                    );
                }
                let mut acked = 0;
                for c in confirms {
                    if c.await.expect("confirm").is_ack() {
                        acked += 1;
                    }
                }
                let s = started.elapsed().as_secs_f64();
                assert_eq!(acked, count, "every message confirmed");
                println!("msgs/s {:.0}", count as f64 / s);
            }
            Some("consume") => {
                let queue = &args[2];
                let count: usize = args[3].parse().expect("COUNT");
                ch.basic_qos(1000, BasicQosOptions::default())
                    .await
                    .expect("qos");
                let mut consumer = ch
                    .basic_consume(
                        queue.as_str().into(),
                        "raw".into(),
                        BasicConsumeOptions::default(),
                        FieldTable::default(),
                    )
                    .await
                    .expect("consume");
                let started = Instant::now();
                let mut got = 0;
                while got < count {
                    let d = consumer.next().await.expect("a delivery").expect("ok");
                    got += 1;
                    if got % 1000 == 0 || got == count {
                        ch.basic_ack(d.delivery_tag, BasicAckOptions { multiple: true })
                            .await
                            .expect("ack");
                    }
                }
                let s = started.elapsed().as_secs_f64();
                println!("msgs/s {:.0}", count as f64 / s);
            }
            _ => eprintln!("usage: amqp_raw publish EXCHANGE QUEUE COUNT | consume QUEUE COUNT"),
        }
        let _ = conn.close(200, "bye".into()).await;
    });
}
