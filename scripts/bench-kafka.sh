#!/usr/bin/env bash
# Kafka throughput, one broker, one run: COUNT (default 1,000,000) messages of about 100 bytes
# produced and consumed by a raw librdkafka program (examples/kafka_raw.rs) and through the C
# ABI (benches/c/bench_kafka.c), same settings; prints msgs/s both ways and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
scripts/install-deps.sh >/dev/null
cargo build --quiet --release --example kafka_raw
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DMAPI_BUILD_BENCHES=ON -DMAPI_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench -j "$(nproc)" --target bench_kafka >/dev/null
MAPI_TOPICS="raw abi" MAPI_PARTITIONS=1 scripts/with-broker.sh bash -c "
  set -e
  raw_p=\$(target/release/examples/kafka_raw produce raw $count 100)
  abi_p=\$(build/bench/benches/c/bench_kafka produce abi $count)
  raw_c=\$(target/release/examples/kafka_raw consume raw $count)
  abi_c=\$(build/bench/benches/c/bench_kafka consume abi $count)
  echo \"\$raw_p\"; echo \"\$abi_p\"; echo \"\$raw_c\"; echo \"\$abi_c\"
  rate() { sed -n 's/.*: \\([0-9]*\\) msgs\\/s/\\1/p'; }
  python3 -c \"print('produce ratio (C ABI / raw): %.2f' % (\$(echo \"\$abi_p\" | rate) / \$(echo \"\$raw_p\" | rate)))\"
  python3 -c \"print('consume ratio (C ABI / raw): %.2f' % (\$(echo \"\$abi_c\" | rate) / \$(echo \"\$raw_c\" | rate)))\"
"
