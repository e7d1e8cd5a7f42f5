"""A minimal reproduction, with kafka-python alone, of tansu 0.6.0's group problem that made the
consumer-group tests run against nisshi 0.8.1 instead (docs/decisions.md).

Three consumers in one group read a 3-partition topic of N messages (committing after each
poll); a second and third join, then the third leaves (close) half way. With tansu 0.6.0 the
remaining two never settle: every commit fails with RebalanceInProgressError and some
partitions are never read again; with nisshi 0.8.1 they read all N.

  tansu broker --listener-url tcp://127.0.0.1:9092 --advertised-listener-url tcp://127.0.0.1:9092 &
  tansu topic create --broker tcp://127.0.0.1:9092 --partitions 3 rp
  python group_leave_repro.py 127.0.0.1:9092 rp 30000

Seen here (2026-12-02): tansu 0.6.0 "read 29692 of 30000" after 60 s, with "c commit failed:
[Error 27] RebalanceInProgressError" and the same for b from then on; nisshi 0.8.1 "read 30000
of 30000".
"""
import sys
import threading
import time

from kafka import KafkaConsumer, KafkaProducer

bootstrap, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
producer = KafkaProducer(bootstrap_servers=bootstrap)
for i in range(n):
    producer.send(topic, str(i).encode(), partition=i % 3)
producer.flush()
seen = set()
lock = threading.Lock()
stop = {"a": False, "b": False, "c": False}


def member(name):
    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id="repro", enable_auto_commit=False,
                      auto_offset_reset="earliest", max_poll_records=100, session_timeout_ms=6000,
                      heartbeat_interval_ms=1000)
    c.subscribe([topic])
    while not stop[name]:
        for _, messages in c.poll(500).items():
            with lock:
                seen.update(int(m.value) for m in messages)
        time.sleep(0.1)
        try:
            c.commit()
        except Exception as e:
            print(name, "commit failed:", e, flush=True)
    c.close()


threads = {k: threading.Thread(target=member, args=(k,)) for k in "ac"}
for t in threads.values():
    t.start()
while len(seen) < n // 6:
    time.sleep(0.05)
threads["b"] = threading.Thread(target=member, args=("b",))
threads["b"].start()
while len(seen) < n // 2:
    time.sleep(0.05)
stop["c"] = True
threads["c"].join()
print("c left at", len(seen), flush=True)
end = time.time() + 60
while len(seen) < n and time.time() < end:
    time.sleep(0.1)
print("read", len(seen), "of", n, flush=True)
stop["a"] = stop["b"] = True
for t in threads.values():
    t.join()
