"""An independent Kafka client for the tests (kafka-python, pure Python).

  kafka_tool.py produce BOOTSTRAP TOPIC < messages.jsonl
      each input line: {"key": str|null, "value": str, "partition": int|null} ("value_b64"
      instead of "value" for bytes that are not UTF-8); prints the count
  kafka_tool.py consume BOOTSTRAP TOPIC COUNT TIMEOUT_S
      reads every partition from the beginning until COUNT messages or the timeout; prints one
      JSON line per message: topic, partition, offset, key and value (base64), headers

  kafka_tool.py watch-offsets BOOTSTRAP GROUP TOPIC SECONDS
      prints the group's committed offsets of TOPIC as one JSON object ("topic/partition":
      offset or null) every 200 ms for SECONDS

  KAFKA_TOOL_CONFIG in the environment: a JSON object of extra client settings (kafka-python
  names: security_protocol, ssl_cafile, sasl_mechanism, sasl_plain_username, ...).
"""
import base64
import json
import sys
import os
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition


CONFIG = json.loads(os.environ.get("KAFKA_TOOL_CONFIG") or "{}")


def b64(data):
    return None if data is None else base64.b64encode(data).decode()


def produce(bootstrap, topic):
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", api_version_auto_timeout_ms=20000, **CONFIG)
    count = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        m = json.loads(line)
        key = m.get("key")
        producer.send(
            topic,
            value=base64.b64decode(m["value_b64"]) if "value_b64" in m else m["value"].encode(),
            key=None if key is None else key.encode(),
            partition=m.get("partition"),
        )
        count += 1
    producer.flush(timeout=60)
    producer.close()
    print(count)


def consume(bootstrap, topic, count, timeout_s):
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, api_version_auto_timeout_ms=20000,
                             **CONFIG)
    deadline = time.time() + timeout_s
    partitions = None
    while partitions is None and time.time() < deadline:
        partitions = consumer.partitions_for_topic(topic)
        if partitions is None:
            time.sleep(0.2)
    if partitions is None:
        sys.exit(f"no topic {topic}")
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    got = 0
    while got < count and time.time() < deadline:
        batch = consumer.poll(timeout_ms=500)
        for _, messages in batch.items():
            for m in messages:
                print(json.dumps({
                    "topic": m.topic, "partition": m.partition, "offset": m.offset,
                    "key": b64(m.key), "value": b64(m.value),
                    "headers": [[k, b64(v)] for k, v in (m.headers or [])],
                }))
                got += 1
    consumer.close()


def watch_offsets(bootstrap, group, topic, seconds):
    # A consumer of the group that does not subscribe: it reads committed offsets without
    # joining (tansu 0.6.0's answer to the admin client's OffsetFetch does not decode).
    watcher = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                            api_version_auto_timeout_ms=20000, **CONFIG)
    end = time.time() + seconds
    partitions = None
    while time.time() < end:
        try:
            partitions = partitions or watcher.partitions_for_topic(topic)
            offsets = {f"{topic}/{p}": watcher.committed(TopicPartition(topic, p)) for p in sorted(partitions or [])}
            print(json.dumps(offsets), flush=True)
        except Exception as e:  # a broker busy rebalancing: try again
            print(json.dumps({"error": str(e)}), flush=True)
        time.sleep(0.2)
    watcher.close()


if __name__ == "__main__":
    if sys.argv[1] == "produce":
        produce(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "consume":
        consume(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    elif sys.argv[1] == "watch-offsets":
        watch_offsets(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
    else:
        sys.exit("usage: kafka_tool.py produce|consume|watch-offsets ...")
