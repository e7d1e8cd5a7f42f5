#!/usr/bin/env bash
# Runs a command with a tansu broker on a free 127.0.0.1 port, then stops it (by PID).
# The command sees MAPI_KAFKA_BOOTSTRAP=127.0.0.1:PORT (the library's default bootstrap);
# MAPI_TOPICS="a b" creates those topics (3 partitions) first.
set -euo pipefail
tansu=${MAPI_TANSU:-$(command -v tansu || echo "$HOME/.cargo/bin/tansu")}
[ -x "$tansu" ] || { echo "tansu is not installed (scripts/install-deps.sh installs it)" >&2; exit 1; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="tcp://127.0.0.1:$port"
RUST_LOG=error "$tansu" broker --listener-url "$url" --advertised-listener-url "$url" \
  --storage-engine "${MAPI_STORAGE:-memory://tansu/}" >/dev/null 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
export MAPI_KAFKA_BOOTSTRAP="127.0.0.1:$port"
for t in ${MAPI_TOPICS:-}; do
  "$tansu" topic create --broker "$url" --partitions "${MAPI_PARTITIONS:-3}" "$t" >/dev/null
done
"$@"
