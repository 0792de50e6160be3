#!/usr/bin/env bash
# Soak: a fixed load of relayed G.711 calls through a release build of
# Voxide for MINUTES minutes, the switch's RSS sampled every SAMPLE seconds.
# The run passes only if memory stays flat (the mean RSS of the last third
# within 5 % of the first third, after a fifth of warm-up); the report,
# with every sample and the fitted slope in KiB/hour, is kept as
# benches/results/soak-<time>.json.
#
#   benches/soak.sh                                   # 60 minutes
#   MINUTES=600 CONCURRENCY=500 benches/soak.sh       # ten hours
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
minutes=${MINUTES:-60}
sample=${SAMPLE:-60}
concurrency=${CONCURRENCY:-200}
hold=${HOLD:-20}
users=${USERS:-200}
sport=${VOXIDE_PORT:-16070}
hport=${VOXIDE_HTTP_PORT:-18095}

(cd "$root" && cargo build --release -p voxide -p voxide-loadgen)

# shellcheck source=benches/lib.sh
. "$root/benches/lib.sh"

token="soak-token-$$-$(date +%s)"
start_switch "$work" "$sport" "$hport" "$token"
rate=$(awk -v c="$concurrency" -v h="$hold" 'BEGIN { printf "%.2f", c / h }')
mkdir -p "$root/benches/results"
out=${OUT_JSON:-$root/benches/results/soak-$(date -u +%Y%m%dT%H%M%SZ).json}
mkdir -p "$(dirname "$out")"
echo "== soak: $concurrency calls in progress ($rate/s, held ${hold} s) for $minutes min, RSS every $sample s"
status=0
"$root/target/release/voxide-loadgen" \
  --api "http://127.0.0.1:$hport" --token "$token" --sip "127.0.0.1:$sport" \
  --create-users --users "$users" --rate "$rate" --concurrency "$concurrency" --hold-secs "$hold" \
  --soak-minutes "$minutes" --rss-every-secs "$sample" \
  --switch-pid "$server_pid" --json "$out" || status=$?
echo "report: $out"
exit $status
