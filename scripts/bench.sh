#!/usr/bin/env bash
# Prints every benchmark figure recorded in BENCHMARKS.md:
#   Rust engine: CF6 session open and submit→complete; records/s through validate → factor →
#   route → evaluation (sequential and parallel sessions).
#   C ABI: CF6 through ingest_cf6 (warm, repeated); mapi_record_set_* calls/s; bulk JSON MB/s.
#   Soak: 10,000,000 small records through one request (batches of 10,000, three submits in
#   flight) to a C endpoint and a file-writer: records/s and peak RSS after 1 M and 10 M.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >/dev/null
MAPI_REFERENCE_DIR=$(scripts/reference-dir.sh)
export MAPI_REFERENCE_DIR
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== rust engine (cargo bench --bench engine)"
cargo bench --quiet --bench engine 2>/dev/null | grep -E "^(cf6|throughput)"
echo "== C ABI"
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DMAPI_BUILD_BENCHES=ON -DMAPI_BUILD_TESTS=OFF -DMAPI_REFERENCE_DIR="$MAPI_REFERENCE_DIR" >/dev/null
cmake --build build/bench -j "$(nproc)" >/dev/null
build/bench/c_examples/ingest_cf6 --repeat 50 | grep -E "^(repeat|floor|ratio|first)"
build/bench/benches/c/bench_ffi
echo "== soak (benches/c/soak.c)"
build/bench/benches/c/soak --records 10000000 --warmup 1000000 --file build/bench/soak.jsonl
