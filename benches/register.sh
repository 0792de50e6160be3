#!/usr/bin/env bash
# REGISTER throughput of Voxide and of Kamailio, one after the other, with
# the same SIPp scenario (testdata/sipp/register_auth.xml: REGISTER, 401,
# REGISTER with an MD5 digest answer, 200), the same users and passwords,
# at a ramp of offered rates. Prints one line per step and a summary; see
# benches/README.md for how to read it.
#
#   benches/register.sh
#   USERS=1000 STEP_SECS=5 RATES="500 1000 2000" benches/register.sh
#   KEEP_WORK=1 benches/register.sh     # keep the scratch directory and its logs
#
# Writes every step and the summary to OUT_JSON (default
# benches/results/register-<UTC time>.json).
# Everything runs on 127.0.0.1. Needs a Debian machine with the Rust
# toolchain; installs sip-tester, kamailio and curl when missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
users=${USERS:-1000}
step_secs=${STEP_SECS:-5}
rates=${RATES:-"500 1000 2000 3000 3500 4000 4500 5000 6000 7000 8000"}
kamailio_children=${KAMAILIO_CHILDREN:-4}
vport=${VOXIDE_PORT:-15060}
hport=${VOXIDE_HTTP_PORT:-18080}
kport=${KAMAILIO_PORT:-15070}
sport=${SIPP_PORT:-15062}
tck=$(getconf CLK_TCK)

need=()
command -v sipp >/dev/null || need+=(sip-tester)
command -v kamailio >/dev/null || need+=(kamailio)
command -v curl >/dev/null || need+=(curl)
command -v jq >/dev/null || need+=(jq)
if ((${#need[@]})); then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
fi
"$root/scripts/deps.sh" run
(cd "$root" && cargo build --release -p voxide)

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${KEEP_WORK:-}" ]; then echo "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# The users, as SIPp reads them: user;password, one per call in turn.
{
  echo SEQUENTIAL
  for i in $(seq 0 $((users - 1))); do echo "$((20000 + i));secret-$((20000 + i))"; done
} > "$work/users.csv"

# --- Voxide: release build, SQLite in the scratch directory.
token="bench-token-$$-$(date +%s)"
mkdir -p "$work/voxide"
(
  cd "$work/voxide"
  export VOXIDE_SIP_LISTEN=127.0.0.1:$vport VOXIDE_HTTP_LISTEN=127.0.0.1:$hport
  export VOXIDE_API_BOOTSTRAP_TOKEN=$token VOXIDE_LOG_LEVEL=warn VOXIDE_STORE_URL=sqlite://data/voxide.db
  exec "$root/target/release/voxide" serve
) > "$work/voxide.log" 2>&1 &
voxide_pid=$!
pids+=("$voxide_pid")
for _ in $(seq 1 150); do
  curl -sf "http://127.0.0.1:$hport/healthz" >/dev/null && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$hport/healthz" >/dev/null || { cat "$work/voxide.log"; exit 1; }

# One curl process creates every extension (a config file of requests).
tail -n +2 "$work/users.csv" | while IFS=';' read -r u p; do
  [ "$u" = 20000 ] || echo next
  printf 'url = "http://127.0.0.1:%s/api/extensions/"\n' "$hport"
  printf 'header = "Authorization: Token %s"\nheader = "Content-Type: application/json"\n' "$token"
  printf 'data = "{\\"sip_username\\": \\"%s\\", \\"sip_password\\": \\"%s\\"}"\n' "$u" "$p"
  printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
done > "$work/curl.cfg"
created=$(curl -s -K "$work/curl.cfg" | grep -c '^201$' || true)
[ "$created" -eq "$users" ] || { echo "created $created of $users extensions"; exit 1; }

# --- Kamailio: registrar + auth_db over db_text, the same users.
kdir=$work/kamailio
mkdir -p "$kdir/db" "$kdir/run"
{
  echo 'id(int,auto) username(string) domain(string) password(string) ha1(string,null) ha1b(string,null) '
  tail -n +2 "$work/users.csv" | awk -F';' '{ printf "%d:%s:127.0.0.1:%s::\n", NR, $1, $2 }'
} > "$kdir/db/subscriber"
printf 'id(int,auto) table_name(string) table_version(int) \n1:version:1\n2:subscriber:7\n3:location:9\n' \
  > "$kdir/db/version"
cat > "$kdir/kamailio.cfg" <<EOF
#!KAMAILIO
debug=1
log_stderror=yes
children=$kamailio_children
listen=udp:127.0.0.1:$kport
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "db_text.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
modparam("usrloc", "db_mode", 0)
modparam("auth", "secret", "bench-$$-secret")
modparam("auth_db", "db_url", "text://$kdir/db")
modparam("auth_db", "calculate_ha1", yes)
modparam("auth_db", "password_column", "password")
modparam("auth_db", "load_credentials", "")
request_route {
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (is_method("REGISTER")) {
        if (!auth_check("\$fd", "subscriber", "1")) {
            auth_challenge("\$fd", "1");
            exit;
        }
        if (!save("location")) { sl_reply_error(); }
        exit;
    }
    if (is_method("OPTIONS")) {
        append_to_reply("Allow: OPTIONS, REGISTER\r\n");
        sl_send_reply("200", "OK");
        exit;
    }
    sl_send_reply("404", "Not Here");
}
EOF
kamailio -c -f "$kdir/kamailio.cfg" > "$kdir/check.log" 2>&1 || { cat "$kdir/check.log"; exit 1; }
kamailio -f "$kdir/kamailio.cfg" -DD -E -Y "$kdir/run" -m 256 -M 16 > "$work/kamailio.log" 2>&1 &
kamailio_pid=$!
pids+=("$kamailio_pid")

# Answering OPTIONS means a server is ready.
ready() {
  (cd "$work" && sipp -sf "$root/testdata/sipp/options.xml" -m 1 -i 127.0.0.1 -p "$sport" \
    -recv_timeout 500 -timeout 2s -timeout_error -nostdin "$1" >/dev/null 2>&1)
}
for _ in $(seq 1 50); do ready "127.0.0.1:$kport" && break; sleep 0.2; done
ready "127.0.0.1:$kport" || { cat "$work/kamailio.log"; exit 1; }

# CPU ticks (user + system) used so far by a process and its children.
cpu_ticks() {
  local total=0 p
  for p in "$1" $(ps -o pid= --ppid "$1"); do
    [ -r "/proc/$p/stat" ] || continue
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
  done
  echo "$total"
}

# From SIPp's statistics file: successful, failed, seconds, retransmissions,
# mean call length (ms).
sipp_stats() {
  awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    { last = $0 }
    END {
      split(last, f, ";")
      split(f[col["StartTime"]], s, "\t"); split(f[col["CurrentTime"]], c, "\t")
      split(f[col["CallLength(C)"]], l, ":")
      printf "%d %d %.3f %d %.1f\n", f[col["SuccessfulCall(C)"]], f[col["FailedCall(C)"]], c[3] - s[3],
        f[col["Retransmissions(C)"]], ((l[1] * 60 + l[2]) * 60 + l[3]) * 1000 + l[4] / 1000
    }' "$1"
}

# Waits (up to 20 s) until a server has used less than 2 % of a core for
# half a second, so a step does not start on the previous step's backlog.
settle() {
  local a b
  for _ in $(seq 1 40); do
    a=$(cpu_ticks "$1"); sleep 0.5; b=$(cpu_ticks "$1")
    [ $((b - a)) -le $((tck / 100)) ] && return
  done
}

printf '%-8s %8s %8s %6s %8s %7s %9s %8s %12s\n' server offered ok failed retrans seconds "reg/s" "call ms" "cpu us/reg"
declare -A best=() overloaded=()
steps_json=()
step() { # name pid target rate
  local name=$1 pid=$2 target=$3 rate=$4 calls=$(($4 * step_secs)) dir="$work/sipp-$1-$4" before after
  mkdir -p "$dir"
  before=$(cpu_ticks "$pid")
  (cd "$dir" && sipp -sf "$root/testdata/sipp/register_auth.xml" -inf "$work/users.csv" -i 127.0.0.1 -p "$sport" \
    -m "$calls" -r "$rate" -recv_timeout 5000 -timeout $((step_secs * 4 + 30))s -nostdin \
    -trace_stat -stf stat.csv -fd 1 -trace_err "$target" > sipp.out 2>&1) || true
  after=$(cpu_ticks "$pid")
  read -r ok failed secs retrans call_ms < <(sipp_stats "$dir/stat.csv")
  local per_s cpu_us
  per_s=$(awk -v ok="$ok" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? ok / s : 0) }')
  cpu_us=$(awk -v t=$((after - before)) -v tck="$tck" -v ok="$ok" 'BEGIN { printf "%.0f", (ok > 0 ? t / tck * 1e6 / ok : 0) }')
  printf '%-8s %8d %8d %6d %8d %7.2f %9d %8.1f %12d\n' "$name" "$rate" "$ok" "$failed" "$retrans" "$secs" "$per_s" "$call_ms" "$cpu_us"
  steps_json+=("{\"server\":\"$name\",\"offered\":$rate,\"ok\":$ok,\"failed\":$failed,\"retransmissions\":$retrans,\"seconds\":$secs,\"per_sec\":$per_s,\"call_ms\":$call_ms,\"cpu_us_per_reg\":$cpu_us}")
  if [ "$failed" -eq 0 ] && [ "$per_s" -gt "${best[$name]:-0}" ]; then best[$name]=$per_s; fi
  # Past the first rate with failed calls the server is overloaded; higher
  # rates would only measure the collapse.
  [ "$failed" -eq 0 ] || overloaded[$name]=1
  settle "$pid"
}

for rate in $rates; do [ -n "${overloaded[voxide]:-}" ] || step voxide "$voxide_pid" "127.0.0.1:$vport" "$rate"; done
for rate in $rates; do [ -n "${overloaded[kamailio]:-}" ] || step kamailio "$kamailio_pid" "127.0.0.1:$kport" "$rate"; done

v=${best[voxide]:-0}
k=${best[kamailio]:-0}
echo
echo "best rate with no failed call: voxide $v reg/s, kamailio $k reg/s"
awk -v v="$v" -v k="$k" 'BEGIN { if (k > 0) printf "voxide / kamailio = %.2f\n", v / k }'
out_json=${OUT_JSON:-$root/benches/results/register-$(date -u +%Y%m%dT%H%M%SZ).json}
mkdir -p "$(dirname "$out_json")"
printf '%s\n' "${steps_json[@]}" | jq -s --argjson users "$users" --argjson step_secs "$step_secs" \
  --argjson v "$v" --argjson k "$k" --arg kamailio "$(kamailio -v 2>/dev/null | head -1)" \
  '{users: $users, step_secs: $step_secs, kamailio_version: $kamailio, steps: .,
    best_per_sec: {voxide: $v, kamailio: $k}, voxide_over_kamailio: (if $k > 0 then $v / $k else null end),
    cpu_us_per_reg: (group_by(.server) | map({key: .[0].server,
      value: (map(select(.failed == 0)) | if length > 0 then (map(.cpu_us_per_reg) | add / length) else null end)}) | from_entries)}' \
  > "$out_json"
echo "wrote $out_json"
