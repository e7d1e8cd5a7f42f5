#!/usr/bin/env bash
# The main job on the embedded default: the CF6 file (79,794 lines) through the original
# file-reader manifest, from C (c_examples/ingest_cf6.c). Builds what it needs; no broker.
set -euo pipefail
source "$(dirname "$0")/lib/env.sh"
scripts/lib/install-deps.sh --build
MAPI_REFERENCE_DIR=$(scripts/lib/reference-dir.sh)
export MAPI_REFERENCE_DIR
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DMAPI_REFERENCE_DIR="$MAPI_REFERENCE_DIR" >/dev/null
cmake --build build/release -j "$(nproc 2>/dev/null || echo 2)" --target ingest_cf6 >/dev/null
exec build/release/c_examples/ingest_cf6 "$@"
