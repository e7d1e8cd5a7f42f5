#!/usr/bin/env bash
# Prints the directory of the original project's reference files (manifests, parameter maps,
# the CF6 file), which examples and tests use. Sourced by scripts/test.sh and ingest_cf6.sh.
# Looks, in order, at:
#   1. $MAPI_REFERENCE_DIR, when set;
#   2. ../shared/reference/messageapi next to this checkout (the project's usual layout);
#   3. the same next to the checkout this one was cloned from (a clone of a local checkout,
#      as CI makes, can live anywhere).
# Fails with a message saying what to set when none holds the files.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
want=reference/messageapi
candidates=()
[ -n "${MAPI_REFERENCE_DIR:-}" ] && candidates+=("$MAPI_REFERENCE_DIR")
candidates+=("$here/../shared/$want")
origin=$(git -C "$here" config --get remote.origin.url 2>/dev/null || true)
origin=${origin#file://}
if [ -n "$origin" ] && [ -d "$origin" ]; then
  candidates+=("$(cd "$origin" && pwd)/../shared/$want")
fi
for dir in "${candidates[@]}"; do
  if [ -d "$dir/sessions" ]; then
    (cd "$dir" && pwd -P)
    exit 0
  fi
done
{
  echo "error: the reference files (sessions/, parameters, the CF6 file) were not found; looked in:"
  printf '  %s\n' "${candidates[@]}"
  echo "set MAPI_REFERENCE_DIR to the directory that holds reference/messageapi's contents"
} >&2
exit 1
