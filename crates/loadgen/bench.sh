#!/usr/bin/env bash
# Concurrent calls with RTP through a release build of Voxide, one step per
# target concurrency, with voxide-loadgen. For each step a fresh switch is
# started (SQLite in a scratch directory, log level warn) so that its CPU
# time and memory belong to that step alone; each step's report is printed
# and kept as JSON.
#
#   crates/loadgen/bench.sh
#   STEPS="250 500" HOLD=20 USERS=200 crates/loadgen/bench.sh
#   KEEP_WORK=1 crates/loadgen/bench.sh     # keep the scratch directory
#
# Per step: rate = concurrency / HOLD calls/s and calls = 2 × concurrency,
# so the target concurrency is reached after HOLD seconds and held for
# another HOLD seconds. Before each step it waits (up to 20 minutes) for the
# machine to be idle, since the switch and the load generator share it.
# Everything runs on 127.0.0.1.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
steps=${STEPS:-"250 500 1000 2000"}
hold=${HOLD:-20}
users=${USERS:-200}
sport=${VOXIDE_PORT:-16060}
hport=${VOXIDE_HTTP_PORT:-18090}

(cd "$root" && cargo build --release -p voxide -p voxide-loadgen)

# shellcheck source=benches/lib.sh
. "$root/benches/lib.sh"

token="bench-token-$$-$(date +%s)"
for c in $steps; do
  for _ in $(seq 1 120); do
    [ "$(busy)" -lt 8 ] && break
    echo "machine busy, waiting" >&2
    sleep 5
  done
  dir="$work/step-$c"
  mkdir -p "$dir"
  start_switch "$dir" "$sport" "$hport" "$token"
  rate=$(awk -v c="$c" -v h="$hold" 'BEGIN { printf "%.2f", c / h }')
  echo "== concurrency $c: $((2 * c)) calls at $rate/s, held ${hold} s"
  "$root/target/release/voxide-loadgen" \
    --api "http://127.0.0.1:$hport" --token "$token" --sip "127.0.0.1:$sport" \
    --create-users --users "$users" \
    --calls $((2 * c)) --rate "$rate" --concurrency "$c" --hold-secs "$hold" \
    --switch-pid "$server_pid" --json "$work/step-$c.json" --quiet || true
  stop_server
done
echo "JSON reports in $work (set KEEP_WORK=1 to keep them)"
