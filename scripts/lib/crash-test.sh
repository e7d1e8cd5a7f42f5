#!/usr/bin/env bash
# The crash harness: at-least-once delivery across SIGKILLs, checked end to end.
#
# A producer (`mapi send`) writes ids 0..N-1 to a Kafka topic (nisshi broker) and to an AMQP
# queue (RabbitMQ); every 37th id (id % 37 == 5) has a station that does not fit the consumer's
# schema. A consumer process (benches/c/crash_consumer.c: the C ABI, three submits in flight,
# each response's ids written through a file-writer that syncs every submit, then the response
# freed, which lets the consumer commit; a file dead-letter sink, synced too) is killed with
# SIGKILL at random moments, KILLS times, and started again each time; a last run reads what is
# left. Then every id must be in the output or, for the misfits, in the dead letters: 0 lost.
# Duplicates are counted and must stay within what was in flight at the kills
# (KILLS x 3 submits x max-records).
#
#   scripts/lib/crash-test.sh [--records N] [--kills K] [--max-records M] [--pause-ms P] [--only kafka|amqp]
#
# Defaults: 20,000 records, 20 kills, batches of at most 100 (max-records) and a 200 ms pause
# between keeping a response and freeing it (so that a small run spans the kills), both brokers:
# what the test suite runs. Prints one figures line per broker, with how many kills came while
# records were flowing; exits 1 when a record is lost or duplicates exceed the bound.
set -euo pipefail
source "$(dirname "$0")/env.sh"
records=20000
kills=20
only=""
inner=""
max_records=100
pause_ms=200
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records=$2; shift 2 ;;
    --kills) kills=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --max-records) max_records=$2; shift 2 ;;
    --pause-ms) pause_ms=$2; shift 2 ;;
    --inner) inner=$2; shift 2 ;;
    *) echo "usage: crash-test.sh [--records N] [--kills K] [--max-records M] [--pause-ms P] [--only kafka|amqp]" >&2; exit 2 ;;
  esac
done
pass=(--records "$records" --kills "$kills" --max-records "$max_records" --pause-ms "$pause_ms")

if [ -z "$inner" ]; then
  scripts/lib/install-deps.sh >/dev/null
  cargo build --release --locked --quiet --bin mapi
  cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DMAPI_BUILD_BENCHES=ON -DMAPI_BUILD_TESTS=OFF >/dev/null
  cmake --build build/bench -j "$(nproc)" --target crash_consumer >/dev/null
  status=0
  if [ "$only" != amqp ]; then
    nisshi=$(command -v nisshi || echo "$HOME/.cargo/bin/nisshi")
    MAPI_TANSU=$nisshi MAPI_TOPICS=crash MAPI_PARTITIONS=1 \
      scripts/lib/with-broker.sh "$0" --inner kafka "${pass[@]}" || status=1
  fi
  if [ "$only" != kafka ]; then
    scripts/lib/with-rabbit.sh "$0" --inner amqp "${pass[@]}" || status=1
  fi
  exit $status
fi

mapi=target/release/mapi
consumer_bin=build/bench/benches/c/crash_consumer
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/out.jsonl
dead=$work/dead.jsonl
fields='[{"id": "id", "type": "integer", "required": true}, {"id": "station", "type": "string", "required": true}]'
if [ "$inner" = kafka ]; then
  endpoint_out='{"plugin": "kafka-producer", "connections": [{"id": "p", "collections": ["c"], "constructor": {"topic": "crash", "bootstrap.servers": "'"$MAPI_KAFKA_BOOTSTRAP"'"}}]}'
  endpoint_in='{"plugin": "kafka-consumer", "connections": [{"id": "in", "constructor": {"topics": "crash", "group.id": "crash", "bootstrap.servers": "'"$MAPI_KAFKA_BOOTSTRAP"'", "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000, "timeout-ms": 1000, "max-records": '$max_records'}}]}'
  longest=8  # a restarted member waits for the killed one's session (6 s) to expire
  final_idle=15
else
  endpoint_out='{"plugin": "amqp-publisher", "connections": [{"id": "p", "collections": ["c"], "constructor": {"url": "'"$MAPI_AMQP_URL"'", "exchange": "crash", "routing-key": "ids", "timeout-ms": 30000}}]}'
  endpoint_in='{"plugin": "amqp-consumer", "connections": [{"id": "in", "constructor": {"url": "'"$MAPI_AMQP_URL"'", "queue": "crash-q", "bindings": [{"exchange": "crash", "routing-key": "#"}], "timeout-ms": 1000, "max-records": '$max_records'}}]}'
  longest=3
  final_idle=5
fi
cat >"$work/producer.json" <<EOF
{"fields": [{"id": "id", "type": "integer", "required": true}, {"id": "station", "type": "json", "required": true}],
 "collections": [{"id": "c", "fields": ["id", "station"]}], "endpoints": [$endpoint_out]}
EOF
cat >"$work/consumer.json" <<EOF
{"fields": $fields, "collections": [{"id": "c", "fields": ["id", "station"]}], "endpoints": [$endpoint_in],
 "dead-letters": {"plugin": "file-writer", "constructor": {"path": "$dead", "sync": "submit"}}}
EOF
cat >"$work/writer.json" <<EOF
{"fields": [{"id": "id", "type": "integer", "required": true}], "collections": [{"id": "c", "fields": ["id"]}],
 "endpoints": [{"plugin": "file-writer", "connections": [{"id": "out", "collections": ["c"], "constructor": {"path": "$out", "sync": "submit"}}]}]}
EOF
export MAPI_LOG=error
# The queue exists (bound) before anything is published.
[ "$inner" = amqp ] && "$consumer_bin" "$work/consumer.json" "$work/writer.json" 1 >/dev/null
started=$(date +%s.%N)
python3 -c "
import sys
w = sys.stdout.write
for i in range($records):
    w('{\"id\": %d, \"station\": %s}\n' % (i, '5' if i % 37 == 5 else '\"S\"'))
" | "$mapi" send "$work/producer.json" --records - --batch 5000 >"$work/send.log"
grep -q " 0 rejected" "$work/send.log" || { cat "$work/send.log" >&2; exit 1; }
lines() { [ -f "$out" ] && wc -l <"$out" || echo 0; }
flowing=0
for k in $(seq 1 "$kills"); do
  before=$(lines)
  "$consumer_bin" "$work/consumer.json" "$work/writer.json" 1000000 "$pause_ms" >/dev/null 2>>"$work/consumer.err" &
  pid=$!
  sleep "$(python3 -c "import random; print(round(random.uniform(0.2, $longest), 2))")"
  kill -9 $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  # The consumer was keeping records when it was killed (not still joining its group).
  if [ "$(lines)" -gt "$before" ]; then flowing=$((flowing + 1)); fi
done
# Last runs read what is left, each ending after some empty responses in a row (a Kafka member
# first waits for the killed one's session to expire), until one finds nothing more.
for _ in 1 2 3 4 5; do
  kept=$("$consumer_bin" "$work/consumer.json" "$work/writer.json" "$final_idle" 2>>"$work/consumer.err") \
    || { cat "$work/consumer.err" >&2; exit 1; }
  [ "$kept" = "crash_consumer: kept 0 records" ] && break
done
elapsed=$(python3 -c "import time; print(round(time.time() - $started, 1))")
python3 - "$out" "$dead" "$records" "$kills" "$((3 * max_records))" "$inner" "$elapsed" "$flowing" <<'EOF'
import json, sys
out, dead, n, kills, per_kill, broker, elapsed, flowing = sys.argv[1:]
n, kills, per_kill = int(n), int(kills), int(per_kill)
kept = [json.loads(l)["id"] for l in open(out)] if n else []
letters = [json.loads(json.loads(l)["raw"])["id"] for l in open(dead)]
misfits = {i for i in range(n) if i % 37 == 5}
lost_kept = set(range(n)) - misfits - set(kept)
lost_dead = misfits - set(letters)
wrong = (set(kept) & misfits) | (set(letters) - misfits)
duplicates = len(kept) + len(letters) - len(set(kept) | set(letters))
bound = kills * per_kill
print(f"crash-test {broker}: {n} records, {kills} SIGKILLs ({flowing} of a consumer keeping records), {len(set(kept))} kept, "
      f"{len(set(letters))} dead letters, {len(lost_kept) + len(lost_dead)} lost, "
      f"{duplicates} duplicates (bound {bound}), {elapsed} s")
if lost_kept or lost_dead or wrong or duplicates > bound:
    print(f"FAILED: lost {sorted(lost_kept | lost_dead)[:20]} misplaced {sorted(wrong)[:20]}", file=sys.stderr)
    sys.exit(1)
EOF
