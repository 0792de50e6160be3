#!/usr/bin/env bash
# Calls per second through Voxide, signalling only: a SIPp caller
# (testdata/sipp/calls/uac_auth.xml: INVITE, 407, INVITE with digest, 200,
# ACK, one second of call, BYE) places calls to a SIPp callee registered as
# an extension (uas_answer.xml), at a ramp of offered rates. For each step
# it prints the rate achieved, failed calls, and setup latency (INVITE with
# credentials to 200, SIPp's response-time distribution), plus the switch's
# CPU seconds. The highest step with zero failures is the sustained rate.
#
#   benches/calls.sh
#   RATES="100 200 400" STEP_SECS=10 benches/calls.sh
#
# Writes every step to OUT_JSON (default benches/results/calls-<UTC time>.json).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rates=${RATES:-"100 200 400 600 800 1000 1500"}
step_secs=${STEP_SECS:-6}
vport=${VOXIDE_PORT:-16060}
hport=${VOXIDE_HTTP_PORT:-18090}
uas_port=${UAS_PORT:-16062}
uac_port=${UAC_PORT:-16064}
tck=$(getconf CLK_TCK)

command -v sipp >/dev/null || "$root/scripts/deps.sh" test
if ! command -v jq >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends jq
fi
"$root/scripts/deps.sh" run
(cd "$root" && cargo build --release -p voxide)

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

token="bench-token-$$-$(date +%s)"
(
  cd "$work"
  export VOXIDE_SIP_LISTEN=127.0.0.1:$vport VOXIDE_HTTP_LISTEN=127.0.0.1:$hport VOXIDE_MEDIA_RTP_PORTS=40000-60000
  export VOXIDE_API_BOOTSTRAP_TOKEN=$token VOXIDE_LOG_LEVEL=warn VOXIDE_STORE_URL=sqlite://data/voxide.db
  exec "$root/target/release/voxide" serve
) > "$work/voxide.log" 2>&1 &
vpid=$!
pids+=("$vpid")
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$hport/healthz" >/dev/null && break; sleep 0.1; done
for u in 1001 1002; do
  curl -sf -H "Authorization: Token $token" -H 'Content-Type: application/json' \
    -d "{\"sip_username\":\"$u\",\"sip_password\":\"secret-$u\"}" "http://127.0.0.1:$hport/api/extensions/" >/dev/null
done
printf 'SEQUENTIAL\n1001;secret-1001\n' > "$work/caller.csv"
printf 'SEQUENTIAL\n1002;secret-1002\n' > "$work/callee.csv"
(cd "$work" && sipp -sf "$root/testdata/sipp/register_auth.xml" -inf callee.csv -m 1 "127.0.0.1:$vport" \
  -i 127.0.0.1 -p "$uas_port" -nostdin -timeout 10s >/dev/null 2>&1)

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

printf '%-8s %-10s %-8s %-8s %-22s %s\n' offered achieved calls failed "setup p50/p95/p99 ms" "switch CPU s"
steps_json=()
for rate in $rates; do
  calls=$((rate * step_secs))
  # The callee answers every call of the step, then exits.
  (cd "$work" && exec sipp -sf "$root/testdata/sipp/calls/uas_answer.xml" "127.0.0.1:$vport" -i 127.0.0.1 \
    -p "$uas_port" -m "$calls" -nostdin -timeout $((step_secs + 30))s -max_socket 65000 >/dev/null 2>&1) &
  uas=$!
  pids+=("$uas")
  sleep 0.5
  before=$(cpu "$vpid")
  start=$(date +%s.%N)
  (cd "$work" && sipp -sf "$root/testdata/sipp/calls/uac_auth.xml" -inf caller.csv -s 1002 "127.0.0.1:$vport" \
    -i 127.0.0.1 -p "$uac_port" -r "$rate" -m "$calls" -l $((rate * 3)) -nostdin -timeout $((step_secs + 30))s \
    -trace_stat -stf "uac_$rate.csv" -fd 1000 -trace_rtt -rtt_freq 1 >"uac_$rate.out" 2>&1) || true
  end=$(date +%s.%N)
  wait "$uas" 2>/dev/null || true
  after=$(cpu "$vpid")
  out="$work/uac_$rate.out"
  ok=$(grep -E "Successful call" "$out" | awk -F'|' '{gsub(/ /,"",$3); print $3}' | tail -1)
  failed=$(grep -E "Failed call" "$out" | awk -F'|' '{gsub(/ /,"",$3); print $3}' | tail -1)
  achieved=$(echo "$ok $start $end" | awk '{printf "%.0f", $1 / ($3 - $2 - 1)}')
  # Setup latency: SIPp's per-call response time from the authenticated
  # INVITE to the 200 (rtd), percentiles over the step.
  rtt=$(ls -t "$work"/uac_auth_*_rtt.csv 2>/dev/null | head -1)
  dist=$(if [ -n "$rtt" ]; then tail -n +2 "$rtt" | awk -F';' '{print $(NF-1)}' | sort -n | awk '
    {v[NR]=$1} END {if (NR) printf "%.1f/%.1f/%.1f", v[int(NR*0.5)+1], v[int(NR*0.95)+1], v[int(NR*0.99)+1]}'; fi)
  [ -n "$rtt" ] && rm -f "$rtt"
  cpus=$(echo "$before $after $tck" | awk '{printf "%.2f", ($2 - $1) / $3}')
  printf '%-8s %-10s %-8s %-8s %-22s %s\n' "$rate" "${achieved:-?}" "${ok:-0}" "${failed:-?}" "${dist:-?}" "$cpus"
  IFS=/ read -r p50 p95 p99 <<< "${dist:-//}"
  steps_json+=("$(jq -n --argjson offered "$rate" --arg achieved "${achieved:-}" --arg ok "${ok:-0}" \
    --arg failed "${failed:-}" --arg p50 "$p50" --arg p95 "$p95" --arg p99 "$p99" --argjson cpu "$cpus" \
    'def num: if . == "" then null else tonumber end;
     {offered: $offered, achieved: ($achieved | num), ok: ($ok | num), failed: ($failed | num),
      setup_ms: {p50: ($p50 | num), p95: ($p95 | num), p99: ($p99 | num)}, switch_cpu_secs: $cpu,
      switch_cpu_ms_per_call: (if ($ok | num) > 0 then $cpu * 1000 / ($ok | num) else null end)}')")
done
peak_kb=$(awk '/VmHWM/ {print $2}' "/proc/$vpid/status")
echo "switch peak RSS: $peak_kb kB"
out_json=${OUT_JSON:-$root/benches/results/calls-$(date -u +%Y%m%dT%H%M%SZ).json}
mkdir -p "$(dirname "$out_json")"
printf '%s\n' "${steps_json[@]}" | jq -s --argjson step_secs "$step_secs" --argjson peak "${peak_kb:-0}" \
  '{step_secs: $step_secs, steps: ., switch_peak_rss_kb: $peak,
    best_cps_no_failure: (map(select(.failed == 0 and .ok > 0)) | max_by(.offered) // null)}' > "$out_json"
echo "wrote $out_json"
