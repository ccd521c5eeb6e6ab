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
. "$root/examples/dev-server.sh"

cd "$here"
npm ci --no-audit --no-fund --loglevel=error

start_dev_server
run_client timeout 180 npm start --silent
