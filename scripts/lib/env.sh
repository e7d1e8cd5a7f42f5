# Sourced by every script: the one place for the repository's paths and the tools' versions.
# (Sourcing it changes the working directory to the repository's root.)
MAPI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$MAPI_ROOT"
MAPI_BUILD=build                 # CMake trees (build/release, build/valgrind), the venv, logs
MAPI_VENV=build/venv             # the Python venv the tests and benchmarks use
# Pinned tools (installed by scripts/lib/install-deps.sh when missing or different).
CBINDGEN_VERSION=0.29.2
CARGO_FUZZ_VERSION=0.13.2
TANSU_VERSION=0.6.0
NISSHI_VERSION=0.8.1
# The venv's packages.
MAPI_PYTHON_PACKAGES="fpm==0.12.0 kafka-python==2.2.15 cffi pytest mypy setuptools wheel lz4 zstandard python-snappy pika==1.4.4 pydantic==2.14.4"
