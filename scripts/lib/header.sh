#!/usr/bin/env bash
# Regenerates include/messageapi.h with the pinned cbindgen (installed if missing): the header
# is exactly cbindgen's output.
# With --check, fails if the committed header differs from what cbindgen generates now.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if ! command -v cbindgen >/dev/null || [ "$(cbindgen --version | awk '{print $2}')" != "$CBINDGEN_VERSION" ]; then
  cargo install cbindgen --version "$CBINDGEN_VERSION" --locked
fi
# The library builds first (its version macros are checked against Cargo.toml then).
cargo build --locked --quiet -p messageapi --lib
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cbindgen --quiet --config cbindgen.toml --crate messageapi --output "$tmp"
if [ "${1:-}" = "--check" ]; then
  if ! cmp -s "$tmp" include/messageapi.h; then
    echo "include/messageapi.h is out of date: run scripts/build.sh header and commit it" >&2
    diff -u include/messageapi.h "$tmp" | head -40 >&2 || true
    exit 1
  fi
  echo "include/messageapi.h is up to date"
else
  cp "$tmp" include/messageapi.h
  echo "wrote include/messageapi.h"
fi
