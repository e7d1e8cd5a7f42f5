#!/usr/bin/env bash
# Installs what the build and tests need, when missing: Debian packages (cmake, gfortran,
# valgrind, pkg-config, g++), the pinned cbindgen, the tansu Kafka broker (about 15 minutes to
# build the first time), nisshi, rabbitmq-server (AMQP tests), cargo-fuzz and the nightly
# toolchain it needs, and a Python venv in build/venv (kafka-python, pika, fpm, cffi, pytest,
# mypy, pydantic).
# Safe to run again (does nothing then).
#
#   scripts/lib/install-deps.sh           everything the test suite needs
#   scripts/lib/install-deps.sh --build   only what building the library and the C examples needs
set -euo pipefail
source "$(dirname "$0")/env.sh"   # the pinned versions
mode=${1:-all}
need=()
command -v cmake >/dev/null || need+=(cmake)
command -v gfortran >/dev/null || need+=(gfortran)
command -v valgrind >/dev/null || need+=(valgrind)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v g++ >/dev/null || need+=(g++)
command -v cc >/dev/null || need+=(gcc)
command -v python3 >/dev/null || need+=(python3)
python3 -c "import venv, ensurepip" 2>/dev/null || need+=(python3-venv)
# librdkafka's TLS and SASL SCRAM (system OpenSSL) and gzip (system zlib)
pkg-config --exists openssl 2>/dev/null || need+=(libssl-dev)
pkg-config --exists zlib 2>/dev/null || need+=(zlib1g-dev)
command -v openssl >/dev/null || need+=(openssl)
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
[ "$mode" = "--build" ] && exit 0
# The TLS front of the secured-broker tests (tests/common/tls.rs).
if ! command -v stunnel4 >/dev/null && ! command -v stunnel >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq stunnel4 >/dev/null
fi
# RabbitMQ for the AMQP tests (tests/common/rabbit.rs starts throwaway nodes itself): the
# package's own service is kept from starting (no init system here, and no node should run on
# the default port).
if [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  policy=/usr/sbin/policy-rc.d
  made_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    made_policy=1
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq rabbitmq-server >/dev/null
  if [ -n "$made_policy" ]; then $sudo rm -f "$policy"; fi
fi
if ! command -v cbindgen >/dev/null || [ "$(cbindgen --version | awk '{print $2}')" != "$CBINDGEN_VERSION" ]; then
  cargo install cbindgen --version "$CBINDGEN_VERSION" --locked
fi
# Fuzzing (scripts/fuzz.sh): cargo-fuzz on the nightly toolchain (the sanitizers need it).
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null || [ "$(cargo-fuzz --version | awk '{print $2}')" != "$CARGO_FUZZ_VERSION" ]; then
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
if ! { command -v tansu >/dev/null || [ -x "$HOME/.cargo/bin/tansu" ]; }; then
  echo "installing the tansu broker $TANSU_VERSION (cargo install; takes a while the first time)"
  cargo install tansu --locked --version "$TANSU_VERSION" --features dynostore,libsql
fi
# nisshi, tansu's successor, for the consumer-group tests (tansu 0.6.0 leaves a group
# rebalancing for good once a member leaves); it needs a newer rustc than stable: nightly.
if ! { command -v nisshi >/dev/null || [ -x "$HOME/.cargo/bin/nisshi" ]; }; then
  echo "installing the nisshi broker $NISSHI_VERSION (cargo +nightly install; about 18 minutes the first time)"
  cargo +nightly install nisshi --locked --version "$NISSHI_VERSION" --no-default-features --features dynostore,libsql
fi
if [ ! -x build/venv/bin/python ] || ! build/venv/bin/python -c "import kafka, cffi, pytest, mypy, lz4, zstandard, snappy, pika, pydantic" 2>/dev/null \
   || [ ! -x build/venv/bin/fpm ]; then
  python3 -m venv build/venv
  # shellcheck disable=SC2086 # a list of requirements
  build/venv/bin/pip install --quiet $MAPI_PYTHON_PACKAGES
fi
