#!/usr/bin/env bash
# The whole test suite (README "Quick start", and .ci/run). Installs what it needs first.
#   Rust: fmt, clippy, unit + integration tests (reference manifests, engine, files, errors,
#         Kafka against tansu with a kafka-python cross-check)
#   C ABI: header drift, ctest (examples + C tests) normally and under valgrind, packaging
#   Fortran: the module's examples and tests in the same ctest runs (valgrind too), fpm
#   Python: the package installed with pip, pytest (a broker too), mypy --strict
#   CLI: `mapi` integration tests (in the Rust tests), on files and on a broker
#   One ingest from C, Fortran, Python and Rust: the same files, byte for byte
#   Delivery: the crash harness (scripts/lib/crash-test.sh), a consumer killed 20 times, 0 lost
#   Fuzzing: every cargo-fuzz target for 20,000 runs (abi_sequence 5,000), and every crash input ever found
# Ends with one line "suite: N passed, M failed" counting every test run.
#
# One part only:
#   scripts/test.sh crash [--long ...]          the crash harness (scripts/lib/crash-test.sh)
#   scripts/test.sh cross-language              one ingest from four languages
#   scripts/test.sh packaging                   install the built tree, consume it from C and Fortran
#   scripts/test.sh abi                         the ABI gate against abi/ (and the gate's own test)
# (Paths given to any script are taken from the repository's root.)
set -euo pipefail
source "$(dirname "$0")/lib/env.sh"
case "${1:-}" in
  crash) shift; exec scripts/lib/crash-test.sh "$@" ;;
  cross-language|packaging) part=$1; shift; scripts/lib/install-deps.sh >/dev/null
    cmake -S . -B "$MAPI_BUILD/release" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$MAPI_BUILD/release" -j "$(nproc)" >/dev/null
    if [ "$part" = packaging ]; then exec scripts/lib/test-packaging.sh "$MAPI_BUILD/release"; fi
    "$MAPI_VENV/bin/pip" install --quiet ./bindings/python
    exec scripts/lib/cross-language.sh "$MAPI_BUILD/release" "$MAPI_VENV/bin/python" ;;
  abi) cargo build --release --locked --quiet -p messageapi --lib
    scripts/lib/check-abi.sh include/messageapi.h target/release/libmessageapi.so
    exec scripts/lib/test-abi-gate.sh target/release/libmessageapi.so ;;
  "") ;;
  *) echo "usage: scripts/test.sh [crash [ARGS] | cross-language | packaging | abi]" >&2; exit 2 ;;
esac
jobs=$(nproc 2>/dev/null || echo 2)
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
passed=0
failed=0
section() { printf '\n=== %s\n' "$*"; }
# Adds the counts of a cargo test log, then of a ctest log.
count_cargo() {
  local p f
  while read -r p f; do passed=$((passed + p)); failed=$((failed + f)); done \
    < <(sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$1")
}
count_ctest() {
  local f total
  read -r f total < <(sed -n 's/.*tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\).*/\1 \2/p' "$1") || true
  passed=$((passed + ${total:-0} - ${f:-0}))
  failed=$((failed + ${f:-0}))
}
# Runs ctest in a build directory, counting its tests.
run_ctest() {
  local dir=$1 log="$logs/ctest-$(basename "$1").log" status=0
  (cd "$dir" && ctest --output-on-failure -j "$jobs") 2>&1 | tee "$log" || status=$?
  count_ctest "$log"
  return $status
}

section "dependencies"
scripts/lib/install-deps.sh
MAPI_REFERENCE_DIR=$(scripts/lib/reference-dir.sh)
export MAPI_REFERENCE_DIR
echo "reference files: $MAPI_REFERENCE_DIR"

section "rust: fmt, clippy"
cargo fmt --check
(cd fuzz && cargo fmt --check)
cargo clippy --locked --all-targets --quiet -- -D warnings
# The manual (`cargo doc`) builds without a warning: broken links, undocumented items.
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --quiet

section "rust: tests (Kafka ones against tansu brokers on 127.0.0.1)"
export MAPI_KAFKA_TESTS=required
export MAPI_AMQP_TESTS=required
export MAPI_TEST_PYTHON="$PWD/build/venv/bin/python"
set +o pipefail
cargo test --locked 2>&1 | tee "$logs/cargo.log" | grep -E "^(test result|running|test .*FAILED|failures:)"
status=${PIPESTATUS[0]}
set -o pipefail
count_cargo "$logs/cargo.log"
if [ $status -ne 0 ]; then
  grep -A30 -E "^failures:" "$logs/cargo.log" | head -80
  echo "suite: $passed passed, $failed failed"
  exit 1
fi

section "C header: regenerated and unchanged"
scripts/build.sh header --check

section "C: examples and tests (release build)"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DMAPI_REFERENCE_DIR="$MAPI_REFERENCE_DIR" >/dev/null
cmake --build build/release -j "$jobs" >/dev/null
run_ctest build/release

section "ABI: the library against the 1.0 baseline (abi/), and the gate's own test"
scripts/lib/check-abi.sh include/messageapi.h build/release/lib/libmessageapi.so
scripts/lib/test-abi-gate.sh build/release/lib/libmessageapi.so
passed=$((passed + 2))

section "C: examples and tests under valgrind (system allocator)"
cmake -S . -B build/valgrind -DCMAKE_BUILD_TYPE=Debug -DMAPI_VALGRIND=ON -DMAPI_REFERENCE_DIR="$MAPI_REFERENCE_DIR" >/dev/null
cmake --build build/valgrind -j "$jobs" >/dev/null
run_ctest build/valgrind

section "Fortran: fpm builds the module and runs an example against the library"
build/venv/bin/fpm run --example fortran_plugins \
  --link-flag "-L$PWD/build/release/lib -Wl,-rpath,$PWD/build/release/lib" 2>/dev/null | tee "$logs/fpm.log"
grep -q "fortran plugins OK" "$logs/fpm.log"
passed=$((passed + 1))

section "Python: pip install ./bindings/python (builds the library), pytest, mypy --strict"
build/venv/bin/pip install --quiet ./bindings/python
(cd bindings/python && ../../build/venv/bin/python -m pytest -q tests) 2>&1 | tee "$logs/pytest.log"
p=$(sed -n 's/^\([0-9]*\) passed.*/\1/p' "$logs/pytest.log" | tail -1)
passed=$((passed + ${p:-0}))
(cd bindings/python && ../../build/venv/bin/mypy --strict src/messageapi src/mlops src/thoth)
passed=$((passed + 1))

section "One ingest from C, Fortran, Python and Rust: byte-identical outputs"
scripts/lib/cross-language.sh build/release build/venv/bin/python
passed=$((passed + 1))

section "C and Fortran: install, find_package and pkg-config consumers"
scripts/lib/test-packaging.sh build/release
passed=$((passed + 1))

section "Delivery across crashes: a consumer SIGKILLed 20 times loses nothing (Kafka on nisshi, AMQP)"
if ! scripts/lib/crash-test.sh | tee "$logs/crash.log"; then
  failed=$((failed + 1))
  echo "suite: $passed passed, $failed failed"
  exit 1
fi
passed=$((passed + $(grep -c ' 0 lost' "$logs/crash.log")))

# abi_sequence runs programs of calls on worker threads (about 60 a second under the sanitizer):
# 5,000 of them take about 90 s; the other targets take seconds for 20,000.
section "Fuzzing: 20,000 runs of each target (abi_sequence 5,000), then every committed regression input"
if ! { scripts/fuzz.sh --runs 20000 manifest_open json_lines record_values \
       && scripts/fuzz.sh --runs 5000 abi_sequence; } | tee "$logs/fuzz.log"; then
  failed=$((failed + 1))
  echo "suite: $passed passed, $failed failed"
  exit 1
fi
passed=$((passed + $(grep -c ' 0 crashes$' "$logs/fuzz.log")))

echo
echo "suite: $passed passed, $failed failed"
