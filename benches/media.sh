#!/usr/bin/env bash
# Relayed G.711 calls side by side: Voxide, rtpengine in userspace only
# (no kernel module: --table=-1) and the echo relay (voxide-loadgen
# echo-server, a relay that does nothing but forward: the machine's
# ceiling), with the same RTP streams from voxide-loadgen, at the same
# concurrent-call steps.
#
#   benches/media.sh
#   STEPS="500 1000" HOLD=20 benches/media.sh
#   STEPS=200 HOLD=10 IDLE_PCT=100 benches/media.sh   # a short check, no waiting for an idle machine
#   TARGETS="rtpengine echo" KEEP_WORK=1 benches/media.sh
#
# Each step C places 2C calls at C/HOLD calls/s, at most C at once, each
# sending RTP both ways for HOLD seconds: the calls ramp up for HOLD
# seconds, stay at C for about HOLD seconds and ramp down. Every target gets
# a fresh process per step, so its CPU time and memory belong to that step:
#
#   voxide     release build, SQLite in a scratch directory, log level warn;
#              the load generator's switch mode (SIP + RTP)
#   rtpengine  the Debian package's daemon in the foreground, --table=-1,
#              --delete-delay=0; `voxide-loadgen relay --target rtpengine`
#              allocates each call with NG offer/answer and ends it with delete
#   echo       `voxide-loadgen echo-server`, two ports per call;
#              `voxide-loadgen relay --target echo`
#
# A target whose step fails (a failed call or loss above MAX_LOSS %) sits
# out the higher steps; the run stops when every target has failed or the
# steps are done. Before each run it waits (up to IDLE_WAIT_SECS) for the
# machine to be less than IDLE_PCT % busy, since the load generator and the
# target share it; the JSON keeps how busy it was and the load average.
#
# Writes benches/results/media-<UTC time>.json (every report and the
# conditions) and .md (a Markdown row per step, with the ratios
# voxide ÷ rtpengine and voxide ÷ echo, and the CPU seconds that other
# processes used during each run: when they are not near 0 the machine was
# not quiet and the CPU figures are skewed). BIN_DIR=<dir> uses binaries
# built elsewhere instead of building them. Installs rtpengine-daemon (without
# letting it start as a service), jq and curl when missing. Everything runs
# on 127.0.0.1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
steps=${STEPS:-"500 1000 1500 2000 2500 3000"}
hold=${HOLD:-20}
targets=${TARGETS:-"voxide rtpengine echo"}
users=${USERS:-200}
max_loss=${MAX_LOSS:-0.1}
idle_pct=${IDLE_PCT:-8}
idle_wait=${IDLE_WAIT_SECS:-1200}
sport=${VOXIDE_PORT:-16060}
hport=${VOXIDE_HTTP_PORT:-18090}
ngport=${NG_PORT:-22223}
# Relay ports below the kernel's ephemeral range, where the load
# generator's own sockets are.
port_min=${PORT_MIN:-10000}
port_max=${PORT_MAX:-29999}
results=${RESULTS_DIR:-$root/benches/results}
bin=${BIN_DIR:-$root/target/release}

need=()
command -v jq >/dev/null || need+=(jq)
command -v curl >/dev/null || need+=(curl)
command -v rtpengine >/dev/null || need+=(rtpengine-daemon)
if ((${#need[@]})); then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  # The package would start rtpengine as a system service; this script
  # runs its own in the foreground instead.
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    guard=1
  fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
  if [ -n "$guard" ]; then $sudo rm -f /usr/sbin/policy-rc.d; fi
fi
if [ -z "${BIN_DIR:-}" ]; then
  "$root/scripts/deps.sh" run
  (cd "$root" && cargo build --release -p voxide -p voxide-loadgen)
fi

# shellcheck source=benches/lib.sh
. "$root/benches/lib.sh"

# Waits for the machine to go quiet; prints how busy it was at the end.
wait_idle() {
  local pct waited=0
  while :; do
    pct=$(busy)
    if [ "$pct" -lt "$idle_pct" ] || [ "$waited" -ge "$idle_wait" ]; then break; fi
    echo "machine ${pct} % busy, waiting" >&2
    sleep 5
    waited=$((waited + 10))
  done
  echo "$pct"
}

# Whether something listens on UDP port $1 (IPv4).
udp_bound() {
  grep -qi ":$(printf '%04X' "$1") " /proc/net/udp
}

token="bench-token-$$-$(date +%s)"

# run_target TARGET C: one step for one target; leaves $work/TARGET-C.json.
run_target() {
  local t=$1 c=$2 dir="$work/$1-$2" rate calls
  rate=$(awk -v c="$c" -v h="$hold" 'BEGIN { printf "%.2f", c / h }')
  calls=$((2 * c))
  mkdir -p "$dir"
  local shape=(--calls "$calls" --rate "$rate" --concurrency "$c" --hold-secs "$hold" --max-loss "$max_loss")
  case "$t" in
    voxide)
      (
        cd "$dir"
        export VOXIDE_SIP_LISTEN=127.0.0.1:$sport VOXIDE_HTTP_LISTEN=127.0.0.1:$hport
        export VOXIDE_API_BOOTSTRAP_TOKEN=$token VOXIDE_LOG_LEVEL=warn VOXIDE_STORE_URL=sqlite://data/voxide.db
        export VOXIDE_MEDIA_RTP_PORTS=$port_min-$port_max
        exec "$bin/voxide" serve
      ) > "$dir/target.log" 2>&1 &
      server_pid=$!
      for _ in $(seq 1 150); do
        curl -sf "http://127.0.0.1:$hport/healthz" >/dev/null && break
        sleep 0.2
      done
      "$bin/voxide-loadgen" --api "http://127.0.0.1:$hport" --token "$token" --sip "127.0.0.1:$sport" \
        --create-users --users "$users" "${shape[@]}" --switch-pid "$server_pid" \
        --json "$work/$t-$c.json" --quiet > "$dir/report.txt" || true
      ;;
    rtpengine)
      rtpengine --config-file=none --foreground --log-stderr --log-level=4 --table=-1 \
        --interface=127.0.0.1 --listen-ng="127.0.0.1:$ngport" --port-min="$port_min" --port-max="$port_max" \
        --delete-delay=0 --timeout=60 > "$dir/target.log" 2>&1 &
      server_pid=$!
      for _ in $(seq 1 100); do udp_bound "$ngport" && break; sleep 0.1; done
      "$bin/voxide-loadgen" relay --target rtpengine --ng "127.0.0.1:$ngport" "${shape[@]}" \
        --pid "$server_pid" --json "$work/$t-$c.json" --quiet > "$dir/report.txt" || true
      ;;
    echo)
      # One pair per concurrent call, and a few to spare.
      local ports="$port_min-$((port_min + 2 * c + 99))"
      "$bin/voxide-loadgen" echo-server --ports "$ports" --lifetime-secs $((6 * hold + 600)) \
        > "$dir/target.log" 2>&1 &
      server_pid=$!
      for _ in $(seq 1 100); do grep -q '^echo-server:' "$dir/target.log" && break; sleep 0.1; done
      "$bin/voxide-loadgen" relay --target echo --ports "$ports" "${shape[@]}" \
        --pid "$server_pid" --json "$work/$t-$c.json" --quiet > "$dir/report.txt" || true
      ;;
  esac
  stop_server
  cat "$dir/report.txt" >&2
}

# fig TARGET C JQ: a figure from a step's report, or empty.
fig() {
  local f="$work/$1-$2.json"
  [ -s "$f" ] && jq -r "$3 // empty" "$f" 2>/dev/null || true
}
# ratio A B: A / B to two places, or – when either is missing or B is 0.
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "–"; else printf "%.2f", a / b }'
}
# trio C JQ FORMAT: the figure for voxide / rtpengine / echo.
trio() {
  local out="" t v
  for t in voxide rtpengine echo; do
    v=$(fig "$t" "$1" "$2")
    if [ -n "$v" ]; then v=$(awk -v v="$v" -v f="$3" 'BEGIN { printf f, v }'); else v="–"; fi
    out+="${out:+ / }$v"
  done
  echo "$out"
}

mkdir -p "$results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
md="$results/media-$stamp.md"
json="$results/media-$stamp.json"
cpu_fig='(.switch // .relay).cpu_ms_per_call_sec'
rss_fig='(.switch // .relay).rss_per_call_kb'
{
  echo "| concurrent | load avg (1/5/15 min) | busy before | loss % voxide / rtpengine / echo | CPU ms per call-s voxide / rtpengine / echo | CPU voxide ÷ rtpengine | CPU voxide ÷ echo | RSS KiB per call voxide / rtpengine / echo | RSS voxide ÷ rtpengine | latency p99 ms voxide / rtpengine / echo | others' CPU s voxide / rtpengine / echo | result voxide / rtpengine / echo |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
} > "$md"
cat "$md"

declare -A failed=()
step_files=()
for c in $steps; do
  live=0
  for t in $targets; do
    if [ -z "${failed[$t]:-}" ]; then live=1; fi
  done
  [ "$live" = 1 ] || break
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  busy_before=""
  for t in $targets; do
    if [ -n "${failed[$t]:-}" ]; then continue; fi
    pct=$(wait_idle)
    busy_before+="${busy_before:+ / }$t $pct %"
    echo "== $t, $c concurrent calls ($((2 * c)) at $(awk -v c="$c" -v h="$hold" 'BEGIN { printf "%.2f", c / h }')/s, ${hold} s each), machine ${pct} % busy, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    run_target "$t" "$c"
    [ "$(fig "$t" "$c" .passed)" = true ] || failed[$t]=1
  done
  v_cpu=$(fig voxide "$c" "$cpu_fig"); r_cpu=$(fig rtpengine "$c" "$cpu_fig"); e_cpu=$(fig echo "$c" "$cpu_fig")
  v_rss=$(fig voxide "$c" "$rss_fig"); r_rss=$(fig rtpengine "$c" "$rss_fig")
  results_trio=""
  for t in voxide rtpengine echo; do
    r=$(fig "$t" "$c" 'if .passed then "pass" else "fail" end'); results_trio+="${results_trio:+ / }${r:-–}"
  done
  row="| $c | $load | $busy_before | $(trio "$c" .rtp.loss_pct %.4f) | $(trio "$c" "$cpu_fig" %.2f) | $(ratio "$v_cpu" "$r_cpu") | $(ratio "$v_cpu" "$e_cpu") | $(trio "$c" "$rss_fig" %.1f) | $(ratio "$v_rss" "$r_rss") | $(trio "$c" .rtp.latency_ms.p99 %.2f) | $(trio "$c" .host.others_cpu_secs %.1f) | $results_trio |"
  echo "$row" | tee -a "$md"
  # This step's reports, whichever ran, and the conditions.
  jq -n --argjson c "$c" --arg load "$load" --arg busy "$busy_before" \
    --slurpfile v <(cat "$work/voxide-$c.json" 2>/dev/null || true) \
    --slurpfile r <(cat "$work/rtpengine-$c.json" 2>/dev/null || true) \
    --slurpfile e <(cat "$work/echo-$c.json" 2>/dev/null || true) \
    '{concurrency: $c, load_avg: $load, busy_before: $busy, voxide: $v[0], rtpengine: $r[0], echo: $e[0]}' \
    > "$work/step-$c.json"
  step_files+=("$work/step-$c.json")
done

rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "${BIN_DIR:-}" ]; then rev="$rev (prebuilt binaries, BIN_DIR)"; fi
jq -n --arg date "$stamp" --arg rev "$rev" --argjson hold "$hold" --argjson users "$users" \
  --arg cpus "$(nproc)" --arg kernel "$(uname -r)" --arg rtpengine "$(rtpengine --version 2>&1 | head -1)" \
  --arg targets "$targets" --argjson max_loss "$max_loss" \
  '{date: $date, commit: $rev, hold_secs: $hold, users: $users, max_loss_pct: $max_loss, targets: $targets,
    machine: {cpus: ($cpus | tonumber), kernel: $kernel}, rtpengine: $rtpengine, steps: [inputs]}' \
  "${step_files[@]}" < /dev/null > "$json"
echo "wrote $json and $md"
