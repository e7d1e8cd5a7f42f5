#!/usr/bin/env bash
# Fuzzes the library with cargo-fuzz (libFuzzer and the address sanitizer, nightly toolchain).
#
#   scripts/fuzz.sh SECONDS [TARGET...]   a campaign: each target for SECONDS
#   scripts/fuzz.sh --runs N [TARGET...]  each target for N runs, then every committed
#                                         regression input once (what the test suite runs)
#
# Targets (fuzz/fuzz_targets/): manifest_open, json_lines, record_values, abi_sequence.
# Working corpora grow in fuzz/corpus/TARGET (not committed; manifest_open starts from every
# reference manifest). Every crash ever found is kept in fuzz/regressions/TARGET and runs on
# each call. A crash stops the script with status 1 and the input's path in
# fuzz/artifacts/TARGET. Ends with one line per target: runs, seconds, crashes.
set -euo pipefail
source "$(dirname "$0")/lib/env.sh"
all=(manifest_open json_lines record_values abi_sequence)
if [ "${1:-}" = "--runs" ]; then
  limit=(-runs="${2:?--runs needs a number}")
  shift 2
else
  limit=(-max_total_time="${1:?usage: scripts/fuzz.sh SECONDS|--runs N [TARGET...]}")
  shift
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
command -v cargo-fuzz >/dev/null || scripts/lib/install-deps.sh
bin=fuzz/target/x86_64-unknown-linux-gnu/release
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
if ! (cd fuzz && cargo +nightly fuzz build --release) >"$logs/build.log" 2>&1; then
  tail -40 "$logs/build.log"
  exit 1
fi
summary=()
status=0
for t in "${targets[@]}"; do
  corpus=fuzz/corpus/$t
  mkdir -p "$corpus" "fuzz/artifacts/$t" "fuzz/regressions/$t"
  seeds=()
  if [ "$t" = manifest_open ]; then
    mkdir -p fuzz/corpus/manifest_open-seeds
    find tests/reference/messageapi -name '*.json' -exec cp {} fuzz/corpus/manifest_open-seeds/ \;
    seeds=(fuzz/corpus/manifest_open-seeds)
  fi
  # Leak checks run on the regression inputs below; during the campaign the library's worker
  # threads free after each input returns, which makes libFuzzer run LSan after every input.
  # Programs of calls need room from the start (libFuzzer otherwise grows inputs from a few
  # bytes, which decode to one call).
  leaks=1
  shape=(-max_len=4096)
  [ "$t" = abi_sequence ] && { leaks=0; shape=(-max_len=512 -len_control=0); }
  start=$(date +%s)
  crashes=0
  if ! "$bin/$t" "${limit[@]}" -detect_leaks=$leaks "${shape[@]}" -timeout=60 \
      -artifact_prefix="fuzz/artifacts/$t/" "$corpus" "${seeds[@]}" >"$logs/$t.log" 2>&1; then
    crashes=1
    status=1
    grep -v '^messageapi ' "$logs/$t.log" | tail -40
    echo "fuzz: $t crashed; the input is in fuzz/artifacts/$t/ (keep it in fuzz/regressions/$t/ once fixed)"
  fi
  runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$logs/$t.log" | tail -1)
  # Every crash ever found, run once each (with leak checks).
  mapfile -t kept < <(find "fuzz/regressions/$t" -type f ! -name '.gitkeep' | sort)
  if [ ${#kept[@]} -gt 0 ]; then
    if ! "$bin/$t" -detect_leaks=1 "${kept[@]}" >"$logs/$t-regressions.log" 2>&1; then
      crashes=$((crashes + 1))
      status=1
      grep -v '^messageapi ' "$logs/$t-regressions.log" | tail -40
      echo "fuzz: $t fails on a committed regression input"
    fi
  fi
  summary+=("$(printf '%-14s %10s runs %6s s %3s crashes' "$t" "${runs:-?}" "$(($(date +%s) - start))" "$crashes")")
done
printf '%s\n' "${summary[@]}"
exit $status
