# Shared by the benchmark scripts (sourced, not run): a scratch directory
# removed on exit (kept with KEEP_WORK=1), the server under test started in
# the background as $server_pid and stopped by stop_server, and busy().

work=$(mktemp -d)
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
cleanup() {
  stop_server
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# Percent of CPU time busy over 5 s, from /proc/stat.
busy() {
  local a b
  read -r _ a1 a2 a3 a4 a5 a6 a7 a8 _ < /proc/stat
  a=$((a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8)); b=$((a4 + a5))
  sleep 5
  read -r _ a1 a2 a3 a4 a5 a6 a7 a8 _ < /proc/stat
  echo $((100 - 100 * (a4 + a5 - b) / (a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 - a)))
}

# start_switch DIR SIP_PORT HTTP_PORT TOKEN: the release build of Voxide
# ($root/target/release) running in DIR (SQLite there, log level warn, RTP
# ports below the kernel's ephemeral range, where the load generator's
# sockets are) as $server_pid; returns once it answers /healthz.
start_switch() {
  local dir=$1 sport=$2 hport=$3 token=$4
  (
    cd "$dir"
    export VOXIDE_SIP_LISTEN=127.0.0.1:$sport VOXIDE_HTTP_LISTEN=127.0.0.1:$hport
    export VOXIDE_API_BOOTSTRAP_TOKEN=$token VOXIDE_LOG_LEVEL=warn VOXIDE_STORE_URL=sqlite://data/voxide.db
    export VOXIDE_MEDIA_RTP_PORTS=10000-29999
    exec "$root/target/release/voxide" serve
  ) > "$dir/voxide.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$hport/healthz" >/dev/null && return 0
    sleep 0.2
  done
  echo "voxide did not start; see $dir/voxide.log" >&2
  return 1
}
