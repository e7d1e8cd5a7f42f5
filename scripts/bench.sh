#!/usr/bin/env bash
# Prints every benchmark figure recorded in BENCHMARKS.md:
#   Rust engine: CF6 session open and submit→complete; records/s through validate → factor →
#   route → evaluation (sequential and parallel sessions).
#   C ABI: CF6 through ingest_cf6 (warm, repeated); mapi_record_set_* calls/s; bulk JSON MB/s.
#   Soak: 10,000,000 small records through one request (batches of 10,000, three submits in
#   flight) to a C endpoint and a file-writer: records/s and peak RSS after 1 M and 10 M.
#
# One benchmark only:
#   scripts/bench.sh cf6 [ROUNDS]       CF6 through the C ABI against the floor (both thread modes)
#   scripts/bench.sh kafka [COUNT]      Kafka throughput on one broker
#   scripts/bench.sh amqp [COUNT]       AMQP throughput on one RabbitMQ node
#   scripts/bench.sh ab COMMIT          A/B of the engine and C ABI benchmarks against COMMIT
set -euo pipefail
source "$(dirname "$0")/lib/env.sh"
case "${1:-}" in
  cf6|kafka|amqp|ab) what=$1; shift; exec "scripts/lib/bench-$what.sh" "$@" ;;
  "") ;;
  *) echo "usage: scripts/bench.sh [cf6 [ROUNDS] | kafka [COUNT] | amqp [COUNT] | ab COMMIT]" >&2; exit 2 ;;
esac
scripts/lib/install-deps.sh >/dev/null
MAPI_REFERENCE_DIR=$(scripts/lib/reference-dir.sh)
export MAPI_REFERENCE_DIR
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== rust engine (cargo bench --bench engine)"
cargo bench --locked --quiet --bench engine 2>/dev/null | grep -E "^(cf6|throughput)"
echo "== C ABI"
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DMAPI_BUILD_BENCHES=ON -DMAPI_BUILD_TESTS=OFF -DMAPI_REFERENCE_DIR="$MAPI_REFERENCE_DIR" >/dev/null
cmake --build build/bench -j "$(nproc)" >/dev/null
build/bench/c_examples/ingest_cf6 --repeat 50 | grep -E "^(repeat|floor|ratio|first)"
build/bench/benches/c/bench_ffi
echo "== soak (benches/c/soak.c)"
build/bench/benches/c/soak --records 10000000 --warmup 1000000 --file build/bench/soak.jsonl
