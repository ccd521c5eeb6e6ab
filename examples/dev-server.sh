# Sourced by the examples' e2e.sh: one fresh development server for a client to run against.
# Needs: $root (the project), $work (a scratch directory), $PYTHON. Sets $port and $server_pid
# (the caller's EXIT trap stops it). Debug mode, a new SQLite database with the demo data,
# memory broadcast, and the console SMS sender, whose codes the clients read from
# $work/server.log (SMS_CODE_LOG).
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
