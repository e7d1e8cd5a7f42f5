"""Members joining a group one by one, with kafka-python alone: a, then c once a reads, then
b once 5,000 are read; c leaves at 15,000. Run against nisshi 0.8.1 (2026-12-02) b got its
partition every time ("b read 3000 at 15250", all 30,000 read, with the range and the sticky
assignor), while librdkafka members doing the same through our consumer often leave b without
one (tests/kafka_group.rs, ignored test): the difference is on the client side of that pair.

  nisshi broker --listener-url tcp://127.0.0.1:9092 --advertised-listener-url tcp://127.0.0.1:9092 &
  nisshi topic create --broker tcp://127.0.0.1:9092 --partitions 3 rp
  python group_join_repro.py 127.0.0.1:9092 rp 30000 range|sticky
"""
import sys, threading, time
from collections import Counter
from kafka import KafkaConsumer, KafkaProducer
bootstrap, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
strategy = sys.argv[4]
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor
assignor = {"range": RangePartitionAssignor, "sticky": StickyPartitionAssignor}[strategy]
p = KafkaProducer(bootstrap_servers=bootstrap)
for i in range(n): p.send(topic, str(i).encode(), partition=i % 3)
p.flush()
seen = Counter(); per = Counter(); lock = threading.Lock(); stop = {"a": False, "b": False, "c": False}
def member(name):
    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id="repro3", enable_auto_commit=False, auto_offset_reset="earliest",
                      max_poll_records=250, session_timeout_ms=6000, heartbeat_interval_ms=1000, partition_assignment_strategy=[assignor])
    c.subscribe([topic])
    while not stop[name]:
        got = 0
        for _, ms in c.poll(500).items():
            with lock:
                for m in ms: seen[int(m.value)] += 1
                per[name] += len(ms); got += len(ms)
        if got: time.sleep(0.2)
        try: c.commit()
        except Exception as e: pass
    c.close()
def start(k):
    t = threading.Thread(target=member, args=(k,)); t.start(); return t
ts = {"a": start("a")}
while per["a"] == 0: time.sleep(0.05)
ts["c"] = start("c")
end = time.time() + 60
while (sum(per.values()) < 5000 or per["c"] == 0) and time.time() < end: time.sleep(0.05)
ts["b"] = start("b")
while (sum(per.values()) < 15000 or per["b"] == 0) and time.time() < end: time.sleep(0.05)
print("b read", per["b"], "at", sum(per.values()), flush=True)
stop["c"] = True; ts["c"].join()
while len(seen) < n and time.time() < end + 30: time.sleep(0.1)
print("read", len(seen), "of", n, dict(per), flush=True)
stop["a"] = stop["b"] = True
for t in ts.values(): t.join()
