#!/usr/bin/env bash
# The realtime clients end to end against a fresh development server, as .ci/run runs it:
# npm ci, then one uvicorn process in debug on a new SQLite database with the demo data (memory
# broadcast), and the clients against it (graphql-ws, Apollo Client split link, Apollo HttpLink
# multipart, graphql-sse). The console SMS sender prints sign-in codes into the server's log,
# which the clients read (SMS_CODE_LOG). Exits non-zero, naming the client, when any of them
# does not receive its live events (LIVE_TIMEOUT_MS, default 15 s per wait).
# PYTHON: the project's interpreter (default ../../.venv/bin/python, as `make` creates it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PYTHON=${PYTHON:-$root/.venv/bin/python}
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cd "$here"
npm ci --no-audit --no-fund --loglevel=error

cd "$root"
port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DEBUG=true DATABASE_URL="sqlite://$work/db.sqlite3" SMS_SENDER=console PYTHONUNBUFFERED=1
unset REDIS_URL BROADCAST_URL
"$PYTHON" -m manage migrate >"$work/setup.log" 2>&1 && "$PYTHON" -m manage seed-demo >>"$work/setup.log" 2>&1 \
  || { cat "$work/setup.log"; exit 1; }
"$PYTHON" -m uvicorn app:app --host 127.0.0.1 --port "$port" >"$work/server.log" 2>&1 &
server_pid=$!
for attempt in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  if [ "$attempt" = 100 ] || ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the server did not start:"; cat "$work/server.log"; exit 1
  fi
  sleep 0.2
done

cd "$here"
GRAPHQL_URL="http://127.0.0.1:$port/graphql" SMS_CODE_LOG="$work/server.log" timeout 180 npm start --silent \
  || { echo "--- server log"; tail -n 40 "$work/server.log"; exit 1; }
