#!/usr/bin/env bash
# Starts or stops FerretDB (MongoDB wire protocol, SQLite backend) for the real-server test lane.
#   scripts/realdb.sh start   builds tools/ferretdb once (cached), starts it on a free loopback
#                             port with a fresh data directory, waits for ping, prints the URL
#   scripts/realdb.sh stop    stops it by PID and removes its data
#   scripts/realdb.sh url     prints the URL of the running server
#   scripts/realdb.sh kill    kill -9 (an outage: nothing flushed, nothing cleaned), data kept
#   scripts/realdb.sh resume  starts it again on the same port and data directory
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state="${SEG_REALDB_DIR:-$root/.realdb}"
bin="$state/bin/ferretdb-lane"
py="${PYTHON:-python3}"

build() {
  local stamp="$state/bin/.source-hash" hash
  hash=$(cat "$root/tools/ferretdb/go.mod" "$root/tools/ferretdb/go.sum" "$root/tools/ferretdb/main.go" | sha256sum | cut -c1-16)
  if [[ -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then
    return
  fi
  mkdir -p "$state/bin"
  echo "building FerretDB lane server (first time takes about a minute)..." >&2
  local started=$SECONDS
  (cd "$root/tools/ferretdb" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$bin" .)
  echo "$hash" > "$stamp"
  echo "built in $((SECONDS - started))s" >&2
}

free_port() {
  "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_ping() {
  local url=$1
  for _ in $(seq 1 100); do
    if "$py" - "$url" <<'PY' 2>/dev/null; then return 0; fi
import sys
from pymongo import MongoClient
MongoClient(sys.argv[1], serverSelectionTimeoutMS=300).admin.command("ping")
PY
    sleep 0.2
  done
  return 1
}

start() {
  stop >/dev/null 2>&1 || true
  build
  local data="$state/data"
  rm -rf "$data" && mkdir -p "$data"
  : > "$state/ferretdb.log"
  launch "$(free_port)"
}

launch() {
  local port=$1
  nohup "$bin" -listen "127.0.0.1:$port" -dir "$state/data" >> "$state/ferretdb.log" 2>&1 &
  echo $! > "$state/pid"
  local url="mongodb://127.0.0.1:$port/"
  echo "$url" > "$state/url"
  if ! wait_ping "$url"; then
    echo "FerretDB did not answer ping; log:" >&2
    cat "$state/ferretdb.log" >&2
    stop
    exit 1
  fi
  echo "$url"
}

stop() {
  if [[ -f "$state/pid" ]]; then
    local pid
    pid=$(cat "$state/pid")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$state/pid" "$state/url"
  fi
  rm -rf "$state/data"
}

kill_hard() {
  local pid
  pid=$(cat "$state/pid")
  kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}

resume() {
  local url port
  url=$(cat "$state/url")
  port=${url##*:}
  port=${port%/}
  launch "$port"
}

case "${1:-}" in
  start) start ;;
  kill) kill_hard ;;
  resume) resume ;;
  stop) stop ;;
  build) build ;;
  url) cat "$state/url" ;;
  *) echo "usage: $0 start|stop|build|url|kill|resume" >&2; exit 2 ;;
esac
