#!/usr/bin/env bash
# The suite's Markdown table from the JSON files of one suite run:
#   benches/summary.sh benches/results/suite-<time>
# Prints the table; a figure whose file is missing shows as "not run".
set -euo pipefail
dir=${1:?usage: benches/summary.sh RESULTS_DIR}

# j FILE FILTER: a figure, or empty when the file or the figure is missing.
j() { [ -s "$dir/$1" ] && jq -r "($2) // empty" "$dir/$1" 2>/dev/null || true; }
# or_not_run VALUE
nr() { if [ -n "$1" ]; then echo "$1"; else echo "not run"; fi; }
# ratio A B
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "–"; else printf "%.2f", a / b }'; }
# met VALUE OP GOAL: yes / no / –
met() { awk -v v="$1" -v op="$2" -v g="$3" 'BEGIN {
  if (v == "") { print "–"; exit }
  ok = (op == ">=") ? v + 0 >= g + 0 : v + 0 <= g + 0
  print ok ? "**met**" : "**not met**" }'; }

echo "| Figure | Voxide | Peer(s), same run | Ratio | Goal | Met |"
echo "| --- | --- | --- | --- | --- | --- |"

v=$(j register.json .best_per_sec.voxide); k=$(j register.json .best_per_sec.kamailio)
echo "| REGISTER with digest auth, per second, no failure (SIPp) | $(nr "$v") | Kamailio $(nr "$k") | $(ratio "$v" "$k") | ≥ Kamailio | $(met "$(ratio "$v" "$k" | tr -d –)" '>=' 1) |"
vc=$(j register.json '.cpu_us_per_reg.voxide | floor'); kc=$(j register.json '.cpu_us_per_reg.kamailio | floor')
echo "| CPU per registration, µs | $(nr "$vc") | Kamailio $(nr "$kc") | $(ratio "$vc" "$kc") | ≤ Kamailio | $(met "$(ratio "$vc" "$kc" | tr -d –)" '<=' 1) |"

cps=$(j calls.json .best_cps_no_failure.offered)
echo "| Calls per second, signalling only, 0 failures (SIPp → Voxide → SIPp) | $(nr "$cps") | – | – | 2000 | $(met "$cps" '>=' 2000) |"
p50=$(j calls.json .best_cps_no_failure.setup_ms.p50); p99=$(j calls.json .best_cps_no_failure.setup_ms.p99)
echo "| Setup latency at that rate, p50 / p99 ms | $(nr "$p50") / $(nr "$p99") | – | – | p99 < 10 | $(met "$p99" '<=' 10) |"
cpc=$(j calls.json '.best_cps_no_failure.switch_cpu_ms_per_call * 100 | round / 100')
echo "| Switch CPU per call (signalling, relay allocation, CDR), ms | $(nr "$cpc") | – | – | – | – |"

# Media: the highest step each target passed, and figures at the highest step all passed.
mx() { j media.json "[.steps[] | select(.$1.passed == true) | .concurrency] | max"; }
mv=$(mx voxide); mr=$(mx rtpengine); me=$(mx echo)
echo "| Most concurrent relayed G.711 calls at < 0.1 % loss (voxide-loadgen) | $(nr "$mv") | rtpengine $(nr "$mr"), echo $(nr "$me") | $(ratio "$mv" "$mr") vs rtpengine, $(ratio "$mv" "$me") vs echo | 5000 | $(met "$mv" '>=' 5000) |"
common=$(j media.json '[.steps[] | select(.voxide.passed == true and .rtpengine.passed == true and .echo.passed == true) | .concurrency] | max')
if [ -n "$common" ]; then
  f() { j media.json ".steps[] | select(.concurrency == $common) | (.$1.switch // .$1.relay).$2 | . * 100 | round / 100"; }
  cv=$(f voxide cpu_ms_per_call_sec); cr=$(f rtpengine cpu_ms_per_call_sec); ce=$(f echo cpu_ms_per_call_sec)
  echo "| CPU per call-second at $common calls, ms | $cv | rtpengine $cr, echo $ce | $(ratio "$cv" "$cr") vs rtpengine, $(ratio "$cv" "$ce") vs echo | ≤ rtpengine | $(met "$(ratio "$cv" "$cr")" '<=' 1) |"
  rv=$(f voxide rss_per_call_kb); rr=$(f rtpengine rss_per_call_kb)
  echo "| Memory per concurrent call at $common calls, KiB | $rv | rtpengine $rr | $(ratio "$rv" "$rr") | ≤ 100 | $(met "$rv" '<=' 100) |"
  lv=$(j media.json ".steps[] | select(.concurrency == $common) | .voxide.rtp.latency_ms.p99 | . * 100 | round / 100")
  lr=$(j media.json ".steps[] | select(.concurrency == $common) | .rtpengine.rtp.latency_ms.p99 | . * 100 | round / 100")
  echo "| One-way RTP latency p99 at $common calls, ms | $lv | rtpengine $lr | $(ratio "$lv" "$lr") | – | – |"
fi

dd=$(j dtmf.json .delivered_pct); dt=$(j dtmf.json .detected_pct); dc=$(j dtmf.json .report.calls.concurrency)
echo "| RFC 4733 digits delivered / detected by the switch, % (at $(nr "$dc") concurrent calls) | $(nr "$dd") / $(nr "$dt") | – | – | 100 / 100 | $(met "$(awk -v a="$dd" -v b="$dt" 'BEGIN { if (a != "" && b != "") print (a < b ? a : b) }')" '>=' 100) |"

spc=$(j stt.json .streams_per_core)
echo "| Live speech-to-text streams per core (vosk, real time) | $(nr "$spc") | – | – | – | – |"

cr=$(j crawl.json '.crawl_over_audio * 100 | round / 100'); cn=$(j crawl.json .nodes)
echo "| IVR crawl time ÷ the menu's prompt audio (${cn:-?} nodes) | $(nr "${cr:+${cr}×}") | – | – | ≤ 1.5× | $(met "$cr" '<=' 1.5) |"

sv=$(j soak.json '.soak.verdict.growth_pct | . * 10 | round / 10'); sm=$(j soak.json .soak.minutes)
if [ -n "$sv" ]; then
  echo "| Soak: RSS growth over $sm min at a fixed load, % | $sv | – | – | flat (≤ 5) | $(met "$sv" '<=' 5) |"
fi

m() { j micro.json ".\"$1\" | . / 1000 | . * 100 | round / 100"; }
rp=$(m relay_packet_loopback); uf=$(m udp_forward_loopback)
echo "| One RTP packet through the relay over loopback, µs (criterion) | $(nr "$rp") | bare forwarding thread $(nr "$uf") | $(ratio "$rp" "$uf") | – | – |"
echo
echo "Micro-benchmarks (criterion, mean time per operation):"
echo
echo "| Benchmark | µs |"
echo "| --- | --- |"
j micro.json 'to_entries[] | "| `\(.key)` | \(.value / 1000 | . * 1000 | round / 1000) |"'
