#!/usr/bin/env bash
# A/B of the engine and C ABI benchmarks between this checkout and an earlier commit, in one
# run on one machine: the CF6 request and small-record throughput (cargo bench --bench engine),
# CF6 through the C ABI (ingest_cf6 --repeat 50) and the C ABI micro-benchmarks (bench_ffi),
# each run ROUNDS times (default 3) alternating A (the commit) and B (this checkout), so that
# the machine's drift hits both alike.
#
#   scripts/lib/bench-ab.sh COMMIT [ROUNDS]
#
# The commit is checked out as a git worktree under build/ab/ and shares cargo's target
# directory (dependencies are built once). Prints each run's lines prefixed with A or B.
set -euo pipefail
source "$(dirname "$0")/env.sh"
base=${1:?usage: scripts/lib/bench-ab.sh COMMIT [ROUNDS]}
rounds=${2:-3}
scripts/lib/install-deps.sh --build >/dev/null
MAPI_REFERENCE_DIR=$(scripts/lib/reference-dir.sh)
export MAPI_REFERENCE_DIR
export CARGO_TARGET_DIR=$PWD/target
tree=build/ab/tree
if [ -d "$tree" ]; then
  git -C "$tree" checkout --quiet --detach "$base"
else
  git worktree add --quiet --detach "$tree" "$base"
fi
echo "== A: $(git -C "$tree" log --oneline -1)"
echo "== B: $(git log --oneline -1) (this checkout)"
build() {
  local src=$1 dir=$2
  cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DMAPI_BUILD_BENCHES=ON -DMAPI_BUILD_TESTS=OFF \
    -DMAPI_REFERENCE_DIR="$MAPI_REFERENCE_DIR" >/dev/null
  cmake --build "$dir" -j "$(nproc)" >/dev/null
}
# cargo's copy of the library in target/release is the last one built: each side builds its
# own CMake tree, which copies its library out right after building it.
build "$tree" build/ab/a
build . build/ab/b
(cd "$tree" && cargo bench --locked --quiet --bench engine --no-run 2>/dev/null)
cargo bench --locked --quiet --bench engine --no-run 2>/dev/null
for r in $(seq 1 "$rounds"); do
  for side in a b; do
    label=$(echo "$side" | tr ab AB)
    src=.
    [ "$side" = a ] && src=$tree
    (cd "$src" && cargo bench --locked --quiet --bench engine 2>/dev/null) | grep -E "^(cf6|throughput)" | sed "s/^/$label $r /"
    build/ab/$side/c_examples/ingest_cf6 --repeat 50 | grep -E "^repeat" | sed "s/^/$label $r /"
    build/ab/$side/benches/c/bench_ffi | sed "s/^/$label $r /"
  done
done
