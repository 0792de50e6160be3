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
