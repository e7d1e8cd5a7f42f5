#!/usr/bin/env bash
# Runs a command with a tansu broker on a free 127.0.0.1 port, then stops it (by PID).
# The command sees MAPI_KAFKA_BOOTSTRAP=127.0.0.1:PORT (the library's default bootstrap);
# MAPI_TOPICS="a b" creates those topics (3 partitions) first. With MAPI_TLS=1, clients reach
# the broker through a stunnel TLS front (a throwaway CA made with openssl): the command sees
# MAPI_KAFKA_BOOTSTRAP=127.0.0.1:FRONT and MAPI_TLS_CA=the CA file.
set -euo pipefail
tansu=${MAPI_TANSU:-$(command -v tansu || echo "$HOME/.cargo/bin/tansu")}
[ -x "$tansu" ] || { echo "tansu is not installed (scripts/lib/install-deps.sh installs it)" >&2; exit 1; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="tcp://127.0.0.1:$port"
advertised=$url
front=""
if [ "${MAPI_TLS:-}" = 1 ]; then
  tls=$(mktemp -d)
  front=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  (cd "$tls"
   openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=messageapi bench CA"
   openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1
   echo "subjectAltName=IP:127.0.0.1" >san.cnf
   openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.cnf
   printf 'foreground = yes\npid =\noutput = %s/stunnel.log\n[kafka]\naccept = 127.0.0.1:%s\nconnect = 127.0.0.1:%s\ncert = %s/server.pem\nkey = %s/server.key\n' \
     "$tls" "$front" "$port" "$tls" "$tls" >stunnel.conf) >/dev/null 2>&1
  "$(command -v stunnel4 || command -v stunnel)" "$tls/stunnel.conf" >/dev/null 2>&1 &
  stunnel_pid=$!
  advertised="tcp://127.0.0.1:$front"
  export MAPI_TLS_CA="$tls/ca.pem"
fi
RUST_LOG=error "$tansu" broker --listener-url "$url" --advertised-listener-url "$advertised" \
  --storage-engine "${MAPI_STORAGE:-memory://tansu/}" >/dev/null 2>&1 &
pid=$!
trap 'kill -9 $pid ${stunnel_pid:-} 2>/dev/null || true; wait $pid 2>/dev/null || true; [ -z "${tls:-}" ] || rm -rf "$tls"' EXIT
for _ in $(seq 1 300); do
  (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
for _ in $(seq 1 300); do
  [ -z "$front" ] && break
  (echo >"/dev/tcp/127.0.0.1/$front") 2>/dev/null && break
  sleep 0.1
done
export MAPI_KAFKA_BOOTSTRAP="127.0.0.1:${front:-$port}"
for t in ${MAPI_TOPICS:-}; do
  "$tansu" topic create --broker "$url" --partitions "${MAPI_PARTITIONS:-3}" "$t" >/dev/null
done
"$@"
