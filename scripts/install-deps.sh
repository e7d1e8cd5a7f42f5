#!/usr/bin/env bash
# Installs what the build and tests need, when missing: Debian packages (cmake, gfortran,
# valgrind, pkg-config, g++) and the pinned cbindgen. Safe to run again (does nothing then).
set -euo pipefail
need=()
command -v cmake >/dev/null || need+=(cmake)
command -v gfortran >/dev/null || need+=(gfortran)
command -v valgrind >/dev/null || need+=(valgrind)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v g++ >/dev/null || need+=(g++)
command -v cc >/dev/null || need+=(gcc)
command -v python3 >/dev/null || need+=(python3)
python3 -c "import venv, ensurepip" 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null; then
  echo "cargo is required (https://rustup.rs); it is not installed" >&2
  exit 1
fi
CBINDGEN_VERSION=0.29.2
if ! command -v cbindgen >/dev/null || [ "$(cbindgen --version | awk '{print $2}')" != "$CBINDGEN_VERSION" ]; then
  cargo install cbindgen --version "$CBINDGEN_VERSION" --locked
fi
