#!/usr/bin/env bash
# One ingest, four languages (tests/cross_language/README.md): runs the same scenario from C,
# Fortran, Python and Rust and requires the file-writer's out.jsonl and each program's
# summary.txt (counts and rejections) to be byte-identical across the four and equal to
# tests/cross_language/expected/.
#
#   scripts/lib/cross-language.sh BUILD_DIR [PYTHON]
#
# BUILD_DIR is a CMake build of this repository (it holds cross_language_c and
# cross_language_fortran); PYTHON has the messageapi package installed (default
# build/venv/bin/python).
set -euo pipefail
source "$(dirname "$0")/env.sh"
build=${1:?usage: scripts/lib/cross-language.sh BUILD_DIR [PYTHON]}
python=${2:-build/venv/bin/python}
here=tests/cross_language
manifest=$PWD/$here/manifest.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --locked --quiet --release --example cross_language
mkdir -p "$work/c" "$work/fortran" "$work/python" "$work/rust"
"$build/tests/c/cross_language_c" "$manifest" "$work/c"
"$build/fortran/cross_language_fortran" "$manifest" "$work/fortran"
"$python" "$here/ingest.py" "$manifest" "$work/python"
target/release/examples/cross_language "$manifest" "$work/rust"
status=0
for lang in c fortran python rust; do
  for f in out.jsonl summary.txt; do
    if ! cmp -s "$here/expected/$f" "$work/$lang/$f"; then
      echo "FAILED: $lang's $f differs from $here/expected/$f:"
      diff -u "$here/expected/$f" "$work/$lang/$f" | head -20 || true
      status=1
    fi
  done
done
[ $status -eq 0 ] && echo "cross-language: C, Fortran, Python and Rust wrote byte-identical files"
exit $status
