#!/usr/bin/env bash
# AMQP throughput, one throwaway RabbitMQ node, one run: COUNT (default 100,000) JSON records
# published with confirms and consumed back, by a raw lapin program (examples/amqp_raw.rs) and
# through the C ABI (benches/c/bench_amqp.c) with the same settings (topic exchange, persistent,
# mandatory, confirms awaited after the batch; prefetch 1000). ROUNDS (default 3) rounds
# alternate the two; prints each run and the ratio of the medians.
set -euo pipefail
source "$(dirname "$0")/env.sh"
count=${1:-100000}
rounds=${ROUNDS:-3}
scripts/lib/install-deps.sh >/dev/null
cargo build --locked --quiet --release --example amqp_raw
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DMAPI_BUILD_BENCHES=ON -DMAPI_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench -j "$(nproc)" --target bench_amqp >/dev/null
export COUNT=$count ROUNDS=$rounds
scripts/lib/with-rabbit.sh bash -c '
  set -e
  raw=target/release/examples/amqp_raw
  abi=build/bench/benches/c/bench_amqp
  for r in $(seq 1 "$ROUNDS"); do
    echo "raw publish $($raw publish ex-raw-$r q-raw-$r "$COUNT")"
    echo "abi publish $($abi publish ex-abi-$r q-abi-$r "$COUNT")"
    echo "raw consume $($raw consume q-raw-$r "$COUNT")"
    echo "abi consume $($abi consume q-abi-$r "$COUNT")"
  done
' | tee /dev/stderr | python3 -c '
import statistics, sys
runs = {}
for line in sys.stdin:
    side, what, _, value = line.split()
    runs.setdefault((side, what), []).append(float(value))
for what in ("publish", "consume"):
    raw, abi = statistics.median(runs[("raw", what)]), statistics.median(runs[("abi", what)])
    print(f"{what}: raw {raw:,.0f} msgs/s, C ABI {abi:,.0f} msgs/s (medians): ratio {abi / raw:.2f}")
'
