//! Consumer groups that rebalance without losing or rewinding: members join and leave while a
//! topic is read; every message is read, committed offsets never move backwards, and re-reads
//! stay within one batch per rebalance. Against nisshi (tansu's successor): tansu 0.6.0 leaves
//! a group rebalancing for good once a member leaves (tests/kafka/group_leave_repro.py).

mod common;

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::broker::{python, tool, Broker};
use messageapi::{Session, Value};
use serde_json::json;

const MESSAGES: i64 = 30_000;
const BATCH: i64 = 250;

fn manifest(endpoint: serde_json::Value) -> String {
    json!({
        "fields": [{"id": "station", "type": "string", "required": true},
                   {"id": "seq", "type": "integer", "required": true}],
        "collections": [{"id": "obs", "fields": ["station", "seq"]}],
        "endpoints": [endpoint]
    })
    .to_string()
}

/// Produces records seq 0..n (station "K") to `topic`, every one delivered, keyed by `seq` so
/// that they spread over the partitions (without a key librdkafka's sticky partitioner can put
/// nearly all of them in one or two partitions, and a member given a drained partition then
/// has nothing to read). Returns how many went to each partition.
fn produce(broker: &Broker, topic: &str, n: i64) -> BTreeMap<i64, i64> {
    let producer = Session::from_json(
        &manifest(
            json!({"plugin": "kafka-producer", "connections": [{"id": "out", "collections": ["obs"],
            "constructor": {"topic": topic, "bootstrap.servers": broker.bootstrap, "key-field": "seq"}}]}),
        ),
        None,
    )
    .unwrap();
    let mut req = producer.request();
    for i in 0..n {
        let r = req.add_record();
        r.set("station", Value::string("K")).unwrap();
        r.set("seq", Value::Integer(i)).unwrap();
    }
    let out = req.submit_and_wait().unwrap();
    assert!(out.rejections().is_empty());
    let mut per_partition = BTreeMap::new();
    for r in out.records().unwrap_or_default() {
        *per_partition
            .entry(common::get_int(r, "kafka-partition"))
            .or_default() += 1;
    }
    per_partition
}

/// A member of group "rebal" reading on its own thread until `stop`; what it read goes to
/// `reads` (seq per message, duplicates included).
fn member(
    broker: &Broker,
    name: &'static str,
    stop: Arc<AtomicBool>,
    reads: Arc<Mutex<Vec<(&'static str, i64)>>>,
) -> std::thread::JoinHandle<()> {
    let m = manifest(
        json!({"plugin": "kafka-consumer", "connections": [{"id": name, "constructor": {
        "topics": "rebal", "group.id": "rebal", "bootstrap.servers": broker.bootstrap,
        "timeout-ms": 500, "max-records": BATCH, "session.timeout.ms": 6000}}]}),
    );
    std::thread::spawn(move || {
        let session = Session::from_json(&m, None).unwrap();
        let mut req = session.request();
        while !stop.load(Ordering::SeqCst) {
            let resp = req.submit();
            let out = resp.wait(None).unwrap();
            assert!(
                out.rejections.is_empty(),
                "{name}: {:?}",
                out.rejections[0].reasons
            );
            let n = out.records.len();
            reads.lock().unwrap().extend(
                out.records
                    .iter()
                    .map(|x| (name, common::get_int(x, "seq"))),
            );
            if n > 0 {
                // Processing time: the stream lasts long enough for members to come and go.
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        // Freeing the request commits what it read and leaves the group.
    })
}

/// Three members of one group, on the topic's three partitions: a reads alone, c joins, b
/// joins, c leaves; every message read, re-reads bounded, committed offsets never moving back.
#[test]
fn members_join_and_leave_mid_stream_without_losing_or_rewinding() {
    let Some(broker) = Broker::memory_for_groups() else {
        return;
    };
    broker.create_topic("rebal", 3);
    // Every partition has a share to read: each member that gets one has work.
    let spread = produce(&broker, "rebal", MESSAGES);
    assert_eq!(spread.len(), 3, "{spread:?}");
    assert!(spread.values().all(|&k| k > MESSAGES / 5), "{spread:?}");

    // Committed offsets, watched by kafka-python's admin client while the members read.
    let mut watch = Command::new(python())
        .arg(tool())
        .args(["watch-offsets", &broker.bootstrap, "rebal", "rebal", "240"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run kafka_tool.py watch-offsets");
    let watched = watch.stdout.take().unwrap();
    // Stopped with the test, also when an assertion fails first.
    struct Stop(std::process::Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let watch = Stop(watch);
    let snapshots = std::thread::spawn(move || {
        std::io::BufReader::new(watched)
            .lines()
            .map_while(|l| l.ok())
            .filter_map(|l| serde_json::from_str::<BTreeMap<String, serde_json::Value>>(&l).ok())
            .filter(|m| !m.contains_key("error"))
            .collect::<Vec<_>>()
    });

    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = log.clone();
    messageapi::log::set_sink(Some(Arc::new(move |level, m: &str| {
        if level <= messageapi::log::Level::Info {
            sink.lock().unwrap().push(m.to_string());
        }
    })));
    let reads: Arc<Mutex<Vec<(&'static str, i64)>>> = Arc::default();
    let count = |reads: &Mutex<Vec<(&'static str, i64)>>| reads.lock().unwrap().len() as i64;
    let by = |reads: &Mutex<Vec<(&'static str, i64)>>, m: &str| {
        reads
            .lock()
            .unwrap()
            .iter()
            .filter(|(n, _)| *n == m)
            .count() as i64
    };
    // Until at least `n` reads in all, and each of `members` has read something.
    let wait_for = |n: i64, members: &[&str]| {
        let deadline = Instant::now() + Duration::from_secs(120);
        while count(&reads) < n || members.iter().any(|m| by(&reads, m) == 0) {
            assert!(
                Instant::now() < deadline,
                "stuck at {} of {n} reads",
                count(&reads)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let stop_a: Arc<AtomicBool> = Arc::default();
    let stop_b: Arc<AtomicBool> = Arc::default();
    let stop_c: Arc<AtomicBool> = Arc::default();
    let a = member(&broker, "a", stop_a.clone(), reads.clone());
    // The second member joins once the first reads: the stream is under way.
    wait_for(1, &["a"]);
    let c = member(&broker, "c", stop_c.clone(), reads.clone()); // joins mid-stream
    wait_for(5_000, &["a", "c"]);
    let b = member(&broker, "b", stop_b.clone(), reads.clone()); // joins mid-stream
    wait_for(15_000, &["b"]);
    stop_c.store(true, Ordering::SeqCst); // leaves mid-stream
    c.join().unwrap();
    let distinct = |reads: &Mutex<Vec<(&'static str, i64)>>| {
        let mut s: Vec<i64> = reads.lock().unwrap().iter().map(|(_, x)| *x).collect();
        s.sort();
        s.dedup();
        s.len() as i64
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while distinct(&reads) < MESSAGES && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    stop_a.store(true, Ordering::SeqCst);
    stop_b.store(true, Ordering::SeqCst);
    a.join().unwrap();
    b.join().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    drop(watch);
    let snapshots = snapshots.join().unwrap();

    // Every message read, by the union of the members.
    let reads = reads.lock().unwrap();
    let mut per_seq: HashMap<i64, usize> = HashMap::new();
    for (_, s) in reads.iter() {
        *per_seq.entry(*s).or_default() += 1;
    }
    let missing: Vec<i64> = (0..MESSAGES).filter(|s| !per_seq.contains_key(s)).collect();
    assert!(
        missing.is_empty(),
        "{} messages never read, first {:?}; last committed offsets {:?}; log: {:?}",
        missing.len(),
        &missing[..missing.len().min(10)],
        snapshots.last(),
        log.lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("revoked")
                || l.contains("lost")
                || l.contains("left")
                || l.contains("group"))
            .collect::<Vec<_>>()
    );
    // Re-reads: at most one batch per rebalance (c joining, b joining, c leaving).
    let rereads = reads.len() as i64 - MESSAGES;
    assert!(rereads <= 3 * BATCH, "{rereads} messages read twice");
    let by_member = |m: &str| reads.iter().filter(|(n, _)| *n == m).count();
    assert!(by_member("a") > 0 && by_member("b") > 0 && by_member("c") > 0);
    // Committed offsets never decreased, and end at the end of each partition.
    assert!(
        snapshots.len() > 10,
        "only {} offset snapshots",
        snapshots.len()
    );
    let mut last: HashMap<String, i64> = HashMap::new();
    for snap in &snapshots {
        for (tp, off) in snap {
            let off = off.as_i64().unwrap_or(-1);
            if off < 0 {
                continue;
            }
            let prev = last.entry(tp.clone()).or_insert(off);
            assert!(
                off >= *prev,
                "{tp}: committed offset moved back from {prev} to {off}"
            );
            *prev = off;
        }
    }
    let total: i64 = last.values().sum();
    assert_eq!(total, MESSAGES, "final committed offsets {last:?}");
    eprintln!(
        "group: a {} b {} c {} reads, {rereads} re-read, {} offset snapshots",
        by_member("a"),
        by_member("b"),
        by_member("c"),
        snapshots.len()
    );
}

/// A request idle longer than `max.poll.interval.ms` is dropped from its group by librdkafka;
/// its next submit rejoins, and nothing is lost (its last batch may be read again).
#[test]
fn a_resubmit_after_the_poll_interval_loses_nothing() {
    let Some(broker) = Broker::memory_for_groups() else {
        return;
    };
    broker.create_topic("idle", 1);
    produce(&broker, "idle", 1_000);
    let consumer = Session::from_json(
        &manifest(
            json!({"plugin": "kafka-consumer", "connections": [{"id": "idle", "constructor": {
            "topics": "idle", "group.id": "idle", "bootstrap.servers": broker.bootstrap,
            "timeout-ms": 5000, "max-records": 100,
            "session.timeout.ms": 6000, "max.poll.interval.ms": 6000}}]}),
        ),
        None,
    )
    .unwrap();
    let mut req = consumer.request();
    let mut seqs: Vec<i64> = Vec::new();
    let read = |req: &mut messageapi::Request| {
        let resp = req.submit();
        let out = resp.wait(None).unwrap();
        assert!(out.rejections.is_empty(), "{:?}", out.rejections[0].reasons);
        out.records
            .iter()
            .map(|r| common::get_int(r, "seq"))
            .collect::<Vec<_>>()
    };
    seqs.extend(read(&mut req));
    assert_eq!(seqs.len(), 100);
    std::thread::sleep(Duration::from_secs(8)); // idle past max.poll.interval.ms
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut distinct = seqs.clone();
    while distinct.len() < 1_000 && Instant::now() < deadline {
        seqs.extend(read(&mut req));
        distinct = seqs.clone();
        distinct.sort();
        distinct.dedup();
    }
    assert_eq!(
        distinct.len(),
        1_000,
        "every message read after the idle time"
    );
    assert!(
        seqs.len() <= 1_000 + 100,
        "{} reads: more than the last batch again",
        seqs.len()
    );
}

/// Static membership: a member with `group.instance.id` that restarts within
/// `session.timeout.ms` takes its partition back without a rebalance (the other member's
/// partition is never revoked, and it is never given the restarting member's) and resumes from
/// its committed offset (nothing read twice, nothing lost).
#[test]
fn a_static_member_restarts_without_a_rebalance() {
    let Some(broker) = Broker::memory_for_groups() else {
        return;
    };
    broker.create_topic("static", 2);
    let spread = produce(&broker, "static", 4_000);
    assert_eq!(spread.len(), 2, "{spread:?}");
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = log.clone();
    messageapi::log::set_sink(Some(Arc::new(move |level, m: &str| {
        if level <= messageapi::log::Level::Info {
            sink.lock().unwrap().push(m.to_string());
        }
    })));
    let open = |id: &str| {
        Session::from_json(
            &manifest(
                json!({"plugin": "kafka-consumer", "connections": [{"id": id, "constructor": {
                "topics": "static", "group.id": "static", "group.instance.id": id,
                "bootstrap.servers": broker.bootstrap, "timeout-ms": 500, "max-records": 100,
                "session.timeout.ms": 10000}}]}),
            ),
            None,
        )
        .unwrap()
    };
    let read = |req: &mut messageapi::Request| {
        let resp = req.submit();
        let out = resp.wait(None).unwrap();
        assert!(out.rejections.is_empty(), "{:?}", out.rejections[0].reasons);
        out.records
            .iter()
            .map(|r| {
                (
                    common::get_int(r, "kafka-partition"),
                    common::get_int(r, "seq"),
                )
            })
            .collect::<Vec<_>>()
    };
    let (sa, sb) = (open("a"), open("b"));
    let (mut a, mut b) = (sa.request(), sb.request());
    let mut reads: Vec<(&str, i64, i64)> = Vec::new();
    // Both members read from their partition.
    let deadline = Instant::now() + Duration::from_secs(60);
    while ["a", "b"]
        .iter()
        .any(|m| reads.iter().filter(|r| r.0 == *m).count() < 200)
    {
        assert!(
            Instant::now() < deadline,
            "both members never read: {reads:?}"
        );
        reads.extend(read(&mut a).into_iter().map(|(p, s)| ("a", p, s)));
        reads.extend(read(&mut b).into_iter().map(|(p, s)| ("b", p, s)));
    }
    let partition_of = |reads: &[(&str, i64, i64)], m: &str| {
        let mut p: Vec<i64> = reads.iter().filter(|r| r.0 == m).map(|r| r.1).collect();
        p.sort();
        p.dedup();
        p
    };
    let (pa, pb) = (partition_of(&reads, "a"), partition_of(&reads, "b"));
    assert!(pa.len() == 1 && pb.len() == 1 && pa != pb, "{pa:?} {pb:?}");
    let settled = log.lock().unwrap().len();
    // a restarts: its request and session freed (what it read is committed), then opened again.
    drop(a);
    drop(sa);
    // b keeps reading meanwhile: a dynamic member's leave would hand it a's partition within a
    // heartbeat or two; a static member's absence does not (the group waits for it until
    // session.timeout.ms).
    let away = Instant::now() + Duration::from_secs(5);
    while Instant::now() < away {
        reads.extend(read(&mut b).into_iter().map(|(p, s)| ("b", p, s)));
    }
    let sa = open("a");
    let mut a = sa.request();
    let deadline = Instant::now() + Duration::from_secs(60);
    let distinct = |reads: &[(&str, i64, i64)]| {
        let mut s: Vec<i64> = reads.iter().map(|r| r.2).collect();
        s.sort();
        s.dedup();
        s.len()
    };
    while distinct(&reads) < 4_000 && Instant::now() < deadline {
        reads.extend(read(&mut a).into_iter().map(|(p, s)| ("a", p, s)));
        reads.extend(read(&mut b).into_iter().map(|(p, s)| ("b", p, s)));
    }
    assert_eq!(distinct(&reads), 4_000, "every message read");
    assert_eq!(reads.len(), 4_000, "nothing read twice across the restart");
    assert_eq!(partition_of(&reads, "a"), pa, "a kept its partition");
    assert_eq!(
        partition_of(&reads, "b"),
        pb,
        "b was never given a's partition"
    );
    let since: Vec<String> = log.lock().unwrap()[settled..]
        .iter()
        .filter(|l| l.starts_with("connection b:") && (l.contains("revoked") || l.contains("lost")))
        .cloned()
        .collect();
    // (a's own close revokes its partition locally: librdkafka runs the rebalance callback on
    // close, which commits what a read; the group does not rebalance.)
    assert!(
        since.is_empty(),
        "a rebalance during the restart: {since:?}"
    );
}
