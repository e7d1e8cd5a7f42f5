#!/usr/bin/env bash
# Kafka throughput, one broker, one run: COUNT (default 1,000,000) messages of about 100 bytes,
# produced and consumed by a raw librdkafka program (examples/kafka_raw.rs) and through the C
# ABI (benches/c/bench_kafka.c) with the same settings; prints msgs/s and the ratios. The raw
# producer runs twice: with a constant payload, and formatting the C ABI's JSON per message.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
scripts/install-deps.sh >/dev/null
cargo build --quiet --release --example kafka_raw
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DMAPI_BUILD_BENCHES=ON -DMAPI_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench -j "$(nproc)" --target bench_kafka >/dev/null
export COUNT=$count
MAPI_TOPICS="raw rawjson abi" MAPI_PARTITIONS=1 scripts/with-broker.sh bash -c '
  set -e
  raw_p=$(target/release/examples/kafka_raw produce raw "$COUNT" 100)
  raw_j=$(target/release/examples/kafka_raw produce-json rawjson "$COUNT")
  abi_p=$(build/bench/benches/c/bench_kafka produce abi "$COUNT")
  raw_c=$(target/release/examples/kafka_raw consume raw "$COUNT")
  abi_c=$(build/bench/benches/c/bench_kafka consume abi "$COUNT")
  printf "%s\n" "$raw_p" "$raw_j" "$abi_p" "$raw_c" "$abi_c"
  rate() { sed -n "s/.*: \([0-9]*\) msgs\/s/\1/p" <<<"$1"; }
  ratio() { python3 -c "print(\"%.2f\" % ($1 / $2))"; }
  echo "produce ratio (C ABI / raw, constant payload): $(ratio "$(rate "$abi_p")" "$(rate "$raw_p")")"
  echo "produce ratio (C ABI / raw, the same JSON payloads): $(ratio "$(rate "$abi_p")" "$(rate "$raw_j")")"
  echo "consume ratio (C ABI / raw): $(ratio "$(rate "$abi_c")" "$(rate "$raw_c")")"
'
