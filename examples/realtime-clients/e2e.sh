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

. "$root/examples/dev-server.sh"
start_dev_server

cd "$here"
GRAPHQL_URL="http://127.0.0.1:$port/graphql" SMS_CODE_LOG="$work/server.log" timeout 180 npm start --silent \
  || { echo "--- server log"; tail -n 40 "$work/server.log"; exit 1; }
