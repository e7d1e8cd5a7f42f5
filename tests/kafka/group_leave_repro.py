"""tansu 0.6.0 group membership: three kafka-python consumers in one group; the third leaves
(close) half way; do the other two go on reading every partition?"""
import sys, threading, time
from kafka import KafkaProducer, KafkaConsumer
b, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
strategy = sys.argv[4] if len(sys.argv) > 4 else "range"
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
p = KafkaProducer(bootstrap_servers=b)
for i in range(n): p.send(topic, str(i).encode(), partition=i % 3)
p.flush()
seen = set(); lock = threading.Lock(); stop = {"a": False, "b": False, "c": False}
def member(name):
    c = KafkaConsumer(bootstrap_servers=b, group_id="repro", enable_auto_commit=False, auto_offset_reset="earliest",
                      max_poll_records=100, session_timeout_ms=6000, heartbeat_interval_ms=1000)
    c.subscribe([topic])
    while not stop[name]:
        for tp, ms in c.poll(500).items():
            with lock: seen.update(int(m.value) for m in ms)
        time.sleep(0.1)
        try: c.commit()
        except Exception as e: print(name, "commit failed:", e, flush=True)
    c.close()
ts = {k: threading.Thread(target=member, args=(k,)) for k in "ac"}
for t in ts.values(): t.start()
while len(seen) < n // 6: time.sleep(0.05)
ts["b"] = threading.Thread(target=member, args=("b",)); ts["b"].start()
while len(seen) < n // 2: time.sleep(0.05)
stop["c"] = True; ts["c"].join(); print("c left at", len(seen), flush=True)
end = time.time() + 60
while len(seen) < n and time.time() < end: time.sleep(0.1)
print("read", len(seen), "of", n, flush=True)
stop["a"] = stop["b"] = True
for t in ts.values(): t.join()
