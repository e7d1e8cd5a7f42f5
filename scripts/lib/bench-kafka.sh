#!/usr/bin/env bash
# Kafka throughput, one broker, one run: COUNT (default 1,000,000) messages of about 100 bytes,
# produced and consumed by a raw librdkafka program (examples/kafka_raw.rs) and through the C
# ABI (benches/c/bench_kafka.c) with the same settings; prints msgs/s and the ratios.
#
# Producing: the raw producer (constant 100-byte payload, and the C ABI's JSON formatted per
# message) and the C ABI run in turn, ROUNDS times (default 5, the order rotating each round),
# and the medians are compared: on 2 shared cores single runs vary by 10-15 %. Each producer first delivers one message
# outside the timing (connection and idempotent producer id). Consuming runs once each.
#
# The same comparison with other settings, applied to both sides:
#   MAPI_BENCH_KAFKA_CONFIG='{"compression.type": "zstd"}' scripts/lib/bench-kafka.sh
#   MAPI_TLS=1 scripts/lib/bench-kafka.sh      (through a stunnel TLS front: scripts/lib/with-broker.sh)
set -euo pipefail
source "$(dirname "$0")/env.sh"
count=${1:-1000000}
rounds=${ROUNDS:-5}
scripts/lib/install-deps.sh >/dev/null
cargo build --locked --quiet --release --example kafka_raw
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DMAPI_BUILD_BENCHES=ON -DMAPI_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench -j "$(nproc)" --target bench_kafka >/dev/null
export COUNT=$count ROUNDS=$rounds
topics="raw abi"
for r in $(seq 1 "$rounds"); do topics="$topics p-raw-$r p-json-$r p-abi-$r"; done
MAPI_TOPICS="$topics" MAPI_PARTITIONS=1 scripts/lib/with-broker.sh bash -c '
  set -e
  if [ -n "${MAPI_TLS_CA:-}" ]; then
    MAPI_BENCH_KAFKA_CONFIG=$(python3 -c "import json, os, sys; c = json.loads(os.environ.get(\"MAPI_BENCH_KAFKA_CONFIG\") or \"{}\"); c.update({\"security.protocol\": \"ssl\", \"ssl.ca.location\": os.environ[\"MAPI_TLS_CA\"]}); print(json.dumps(c))")
    export MAPI_BENCH_KAFKA_CONFIG
  fi
  echo "settings: ${MAPI_BENCH_KAFKA_CONFIG:-default}"
  rate() { sed -n "s/.*: \([0-9]*\) msgs\/s/\1/p" <<<"$1"; }
  median() { printf "%s\n" "$@" | sort -n | awk "{v[NR]=\$1} END {print v[int((NR+1)/2)]}"; }
  ratio() { python3 -c "print(\"%.2f\" % ($1 / $2))"; }
  raw=() json=() abi=()
  run() {
    case $1 in
      raw) line=$(target/release/examples/kafka_raw produce "p-raw-$2" "$COUNT" 100); raw+=("$(rate "$line")") ;;
      json) line=$(target/release/examples/kafka_raw produce-json "p-json-$2" "$COUNT"); json+=("$(rate "$line")") ;;
      abi) line=$(build/bench/benches/c/bench_kafka produce "p-abi-$2" "$COUNT"); abi+=("$(rate "$line")") ;;
    esac
    echo "$line"
  }
  for r in $(seq 1 "$ROUNDS"); do
    case $((r % 3)) in
      1) order="raw json abi" ;;
      2) order="abi raw json" ;;
      0) order="json abi raw" ;;
    esac
    for p in $order; do run "$p" "$r"; done
  done
  # The consumers read topics filled once more, outside the produce rounds.
  target/release/examples/kafka_raw produce raw "$COUNT" 100 >/dev/null
  build/bench/benches/c/bench_kafka produce abi "$COUNT" >/dev/null
  raw_c=$(target/release/examples/kafka_raw consume raw "$COUNT"); echo "$raw_c"
  abi_c=$(build/bench/benches/c/bench_kafka consume abi "$COUNT"); echo "$abi_c"
  m_raw=$(median "${raw[@]}") m_json=$(median "${json[@]}") m_abi=$(median "${abi[@]}")
  echo "produce medians of $ROUNDS: raw $m_raw, raw JSON $m_json, C ABI $m_abi msgs/s"
  echo "produce ratio (C ABI / raw, constant payload): $(ratio "$m_abi" "$m_raw")"
  echo "produce ratio (C ABI / raw, the same JSON payloads): $(ratio "$m_abi" "$m_json")"
  echo "consume ratio (C ABI / raw): $(ratio "$(rate "$abi_c")" "$(rate "$raw_c")")"
'
