#!/usr/bin/env bash
# Runs a command with a throwaway RabbitMQ node on a free 127.0.0.1 port, then stops it. The
# command sees MAPI_AMQP_URL=amqp://guest:guest@127.0.0.1:PORT/%2f (the library's default URL
# when a manifest names none). The node has an epmd of its own on its own port. Needs Debian's
# rabbitmq-server (scripts/lib/install-deps.sh).
set -euo pipefail
sbin=/usr/lib/rabbitmq/bin
[ -x "$sbin/rabbitmq-server" ] || { echo "rabbitmq-server is not installed (scripts/lib/install-deps.sh installs it)" >&2; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
dir=$(mktemp -d)
mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
echo "[]." >"$dir/enabled_plugins"
export HOME="$dir/home" RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
  RABBITMQ_NODENAME="mapi-$port@localhost" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
  RABBITMQ_NODE_PORT="$port" RABBITMQ_DIST_PORT="$(free_port)" \
  RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" RABBITMQ_CONFIG_FILE="$dir/rabbitmq" \
  ERL_EPMD_PORT="$(free_port)"
# An epmd of its own, on its own port, stopped with the node.
epmd -port "$ERL_EPMD_PORT" >/dev/null 2>&1 </dev/null &
epmd_pid=$!
(cd "$dir" && exec "$sbin/rabbitmq-server" >"$dir/server.out" 2>&1 </dev/null) &
pid=$!
stop() {
  "$sbin/rabbitmqctl" -n "$RABBITMQ_NODENAME" shutdown >/dev/null 2>&1 || kill -9 $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  kill $epmd_pid 2>/dev/null || true
  wait $epmd_pid 2>/dev/null || true
  rm -rf "$dir"
}
trap stop EXIT
# await_startup fails at once while the node has not registered with epmd yet: try again.
for _ in $(seq 1 120); do
  "$sbin/rabbitmqctl" -n "$RABBITMQ_NODENAME" await_startup --timeout 30 >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { cat "$dir/server.out" >&2; exit 1; }
  sleep 0.5
done
export MAPI_AMQP_URL="amqp://guest:guest@127.0.0.1:$port/%2f"
"$@"
