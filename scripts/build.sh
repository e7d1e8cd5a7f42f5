#!/usr/bin/env bash
# Builds what a user installs: the library (shared and static), the header, the C and Fortran
# packages (CMake, in build/release; `cmake --install build/release --prefix DIR` installs it).
#
#   scripts/build.sh                  the library and the C and Fortran packages (release)
#   scripts/build.sh header [--check] regenerates include/messageapi.h (or checks it is current)
set -euo pipefail
source "$(dirname "$0")/lib/env.sh"
case "${1:-}" in
  header) shift; exec scripts/lib/header.sh "$@" ;;
  "") ;;
  *) echo "usage: scripts/build.sh [header [--check]]" >&2; exit 2 ;;
esac
scripts/lib/install-deps.sh --build
cmake -S . -B "$MAPI_BUILD/release" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$MAPI_BUILD/release" -j "$(nproc 2>/dev/null || echo 2)"
echo "built: $MAPI_BUILD/release (install with: cmake --install $MAPI_BUILD/release --prefix DIR)"
