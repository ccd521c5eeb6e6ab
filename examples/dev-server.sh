# Sourced by the examples' e2e.sh: one fresh development server for a client to run against.
# Needs $root (the project) and $PYTHON. Sourcing it makes a scratch directory ($work) and an
# EXIT trap that stops the server and removes the directory; start_dev_server sets $port and
# $server_pid; run_client runs a command against the server and shows the server's log if it fails. Debug mode, a new SQLite database with the demo data,
# memory broadcast, and the console SMS sender, whose codes the clients read from
# $work/server.log (SMS_CODE_LOG).
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

start_dev_server() {
  local dev=(env -u REDIS_URL -u BROADCAST_URL DEBUG=true "DATABASE_URL=sqlite://$work/db.sqlite3"
    SMS_SENDER=console PYTHONUNBUFFERED=1 "$PYTHON")
  (cd "$root" && "${dev[@]}" -m manage migrate && "${dev[@]}" -m manage seed-demo) >"$work/setup.log" 2>&1 \
    || { cat "$work/setup.log"; exit 1; }
  port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  (cd "$root" && exec "${dev[@]}" -m uvicorn app:app --host 127.0.0.1 --port "$port") >"$work/server.log" 2>&1 &
  server_pid=$!
  for attempt in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return
    if [ "$attempt" = 100 ] || ! kill -0 "$server_pid" 2>/dev/null; then
      echo "the server did not start:"; cat "$work/server.log"; exit 1
    fi
    sleep 0.2
  done
}

run_client() {
  GRAPHQL_URL="http://127.0.0.1:$port/graphql" SMS_CODE_LOG="$work/server.log" "$@" \
    || { echo "--- server log"; tail -n 40 "$work/server.log"; exit 1; }
}
