#!/usr/bin/env bash
# CF6 through the C ABI against the floor (reading the file, splitting it into lines, one
# malloc per line, in C), in both thread modes: the default worker threads and "workers": 0
# (MAPI_WORKERS=0). Each mode runs ROUNDS processes of `ingest_cf6 --repeat 50`, alternating
# the modes; each process prints its warm median, the floor's median measured in the same
# process, their ratio, and the ratio of its first request to its warm median. The summary is
# the median of each over the processes (this machine's wall clock swings by 20 % from one
# minute to the next, and its memory from one process to the next).
#
#   scripts/lib/bench-cf6.sh [ROUNDS]        (default 5)
#
# With LIB=DIR, the processes load DIR/libmessageapi.so.1 instead of the build's library (an
# A/B against another commit's build).
set -euo pipefail
source "$(dirname "$0")/env.sh"
rounds=${1:-5}
scripts/lib/install-deps.sh --build >/dev/null
MAPI_REFERENCE_DIR=$(scripts/lib/reference-dir.sh)
export MAPI_REFERENCE_DIR
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DMAPI_REFERENCE_DIR="$MAPI_REFERENCE_DIR" >/dev/null
cmake --build build/release -j "$(nproc)" --target ingest_cf6 >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for r in $(seq 1 "$rounds"); do
  for mode in workers inline; do
    w=""
    [ "$mode" = inline ] && w=0
    line=$(env ${LIB:+LD_LIBRARY_PATH=$LIB} ${w:+MAPI_WORKERS=$w} build/release/c_examples/ingest_cf6 --repeat 50 |
      awk '/^repeat/ {m=$(NF-1)} /^floor/ {f=$(NF-1)} /^ratio/ {r=$NF} /^first/ {q=$NF}
           END {printf "%s %s %s %s", m, f, r, q}')
    echo "$mode $line" | tee -a "$out" | awk '{printf "%-8s warm median %s ms, floor median %s ms, ratio %s, first/warm %s\n", $1, $2, $3, $4, $5}'
  done
done
echo "== medians over $rounds processes"
for mode in workers inline; do
  grep "^$mode " "$out" | awk -v mode="$mode" '
    { w[NR]=$2; f[NR]=$3; r[NR]=$4; q[NR]=$5 }
    function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t } return a[int((n + 1) / 2)] }
    END { n = NR; printf "%-8s warm %.3f ms, floor %.3f ms, ratio to the floor %.2f (target <= 2.0), first request / warm %.2f (target <= 2.0)\n", mode, med(w, n), med(f, n), med(r, n), med(q, n) }'
done
