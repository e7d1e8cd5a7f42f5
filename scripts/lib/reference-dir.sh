#!/usr/bin/env bash
# Prints the directory of the original project's reference files (manifests, parameter maps,
# the CF6 file), which examples and tests use. Sourced by scripts/test.sh and ingest_cf6.sh.
# Looks, in order, at:
#   1. tests/reference/messageapi in this repository (the copy it keeps, see PROVENANCE.md);
#   2. $MAPI_REFERENCE_DIR, when set.
# Fails with a message saying what to set when none holds the files.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
candidates=("$here/tests/reference/messageapi")
[ -n "${MAPI_REFERENCE_DIR:-}" ] && candidates+=("$MAPI_REFERENCE_DIR")
for dir in "${candidates[@]}"; do
  if [ -d "$dir/sessions" ]; then
    (cd "$dir" && pwd -P)
    exit 0
  fi
done
{
  echo "error: the reference files (sessions/, parameters, the CF6 file) were not found; looked in:"
  printf '  %s\n' "${candidates[@]}"
  echo "restore tests/reference/messageapi (git checkout), or set MAPI_REFERENCE_DIR to a copy"
} >&2
exit 1
