#!/usr/bin/env bash
# The example end to end against a fresh development server, as .ci/run runs it:
# npm ci, codegen + type check (npm run build), then one uvicorn process in debug on a new
# SQLite database with the demo data (memory broadcast), and the client against it. The console
# SMS sender prints sign-in codes into the server's log, which the client reads (SMS_CODE_LOG).
# PYTHON: the project's interpreter (default ../../.venv/bin/python, as `make` creates it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PYTHON=${PYTHON:-$root/.venv/bin/python}
. "$root/examples/dev-server.sh"

cd "$here"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

start_dev_server
run_client npm start --silent
