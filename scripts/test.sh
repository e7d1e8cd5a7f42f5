#!/usr/bin/env bash
# The whole test suite (README "Quick start", and .ci/run). Installs what it needs first.
#   Rust: fmt, clippy, unit + integration tests (reference manifests, engine, files, errors)
#   C ABI: header drift, ctest (examples + C tests) normally and under valgrind, packaging
#   Fortran: ctest (module, examples, tests under valgrind) when the module exists
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
section() { printf '\n=== %s\n' "$*"; }

section "dependencies"
scripts/install-deps.sh

section "rust: fmt, clippy"
cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings

section "rust: tests"
cargo test --quiet 2>&1 | grep -E "^(test result|running|.*FAILED|.*panicked)" || true
cargo test --quiet >/dev/null 2>&1 || { cargo test 2>&1 | tail -60; exit 1; }

section "C header: regenerated and unchanged"
scripts/gen-header.sh --check

section "C: examples and tests (release build)"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$jobs" >/dev/null
(cd build/release && ctest --output-on-failure -j "$jobs")

section "C: examples and tests under valgrind (system allocator)"
cmake -S . -B build/valgrind -DCMAKE_BUILD_TYPE=Debug -DMAPI_VALGRIND=ON >/dev/null
cmake --build build/valgrind -j "$jobs" >/dev/null
(cd build/valgrind && ctest --output-on-failure -j "$jobs")

section "C: install, find_package and pkg-config consumers"
scripts/test-packaging.sh build/release

echo
echo "all test suites passed"
