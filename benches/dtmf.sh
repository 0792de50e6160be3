#!/usr/bin/env bash
# RFC 4733 digits under load: CONCURRENCY relayed G.711 calls through a
# release build of Voxide, every caller sending DIGITS as telephone-events
# DTMF_AT seconds into the call. Counts the digits the answering phones
# got, once each and in order (voxide-loadgen), and the digits the switch
# itself detected on the way (voxide_dtmf_digits_total on /metrics).
#
#   benches/dtmf.sh
#   CONCURRENCY=1000 DIGITS=1234567890 benches/dtmf.sh
#
# Writes OUT_JSON (default benches/results/dtmf-<UTC time>.json): the load
# generator's report and the switch's count.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
concurrency=${CONCURRENCY:-500}
hold=${HOLD:-10}
digits=${DIGITS:-"0123456789*#"}
dtmf_at=${DTMF_AT:-2}
users=${USERS:-200}
sport=${VOXIDE_PORT:-16080}
hport=${VOXIDE_HTTP_PORT:-18097}
bin=${BIN_DIR:-$root/target/release}

if [ -z "${BIN_DIR:-}" ]; then
  "$root/scripts/deps.sh" run
  (cd "$root" && cargo build --release -p voxide -p voxide-loadgen)
fi

# shellcheck source=benches/lib.sh
. "$root/benches/lib.sh"

detected() {
  curl -sf "http://127.0.0.1:$hport/metrics" | awk '$1 == "voxide_dtmf_digits_total" { print $2 }'
}

token="dtmf-token-$$-$(date +%s)"
start_switch "$work" "$sport" "$hport" "$token"
before=$(detected)
rate=$(awk -v c="$concurrency" -v h="$hold" 'BEGIN { printf "%.2f", c / h }')
echo "== dtmf: $((2 * concurrency)) calls, at most $concurrency at once, each sending $digits"
"$bin/voxide-loadgen" --api "http://127.0.0.1:$hport" --token "$token" --sip "127.0.0.1:$sport" \
  --create-users --users "$users" --calls $((2 * concurrency)) --rate "$rate" --concurrency "$concurrency" \
  --hold-secs "$hold" --dtmf "$digits" --dtmf-at-secs "$dtmf_at" --switch-pid "$server_pid" \
  --json "$work/loadgen.json" --quiet || true
after=$(detected)
out_json=${OUT_JSON:-$root/benches/results/dtmf-$(date -u +%Y%m%dT%H%M%SZ).json}
mkdir -p "$(dirname "$out_json")"
jq --arg digits "$digits" --argjson detected "$(( ${after:-0} - ${before:-0} ))" \
  '{digits: $digits, report: ., switch_detected: $detected,
    delivered_pct: (if .rtp.dtmf.expected > 0 then 100 * .rtp.dtmf.delivered / .rtp.dtmf.expected else null end),
    detected_pct: (if .rtp.dtmf.expected > 0 then 100 * $detected / .rtp.dtmf.expected else null end)}' \
  "$work/loadgen.json" > "$out_json"
jq -r '"digits sent \(.report.rtp.dtmf.expected), delivered \(.report.rtp.dtmf.delivered) (\(.delivered_pct) %), detected by the switch \(.switch_detected) (\(.detected_pct) %), RTP loss \(.report.rtp.loss_pct) %"' "$out_json"
echo "wrote $out_json"
