#!/usr/bin/env bash
# The whole benchmark suite, one command:
#
#   benches/suite.sh                 # everything, about 40 minutes
#   QUICK=1 benches/suite.sh         # fewer and shorter steps, about 15 minutes
#   SOAK_MINUTES=60 benches/suite.sh # and a soak at the end
#   ONLY="micro dtmf" benches/suite.sh
#
# Parts, each writing one JSON file into benches/results/suite-<UTC time>/:
#   micro     criterion: SIP parse + registrar, RFC 4733 decode, transcoding,
#             VAD, in-band DTMF, one RTP packet through the relay (micro.json)
#   register  REGISTER with digest auth: Voxide vs Kamailio, SIPp (register.json)
#   calls     calls per second, signalling only, SIPp UAC → Voxide → SIPp UAS (calls.json)
#   media     concurrent relayed calls: Voxide vs rtpengine (userspace) vs the
#             echo relay, voxide-loadgen (media.json)
#   dtmf      RFC 4733 digits delivered and detected under load (dtmf.json)
#   stt       live speech-to-text streams per core through the switch's recognizer
#             pool, vosk (stt.json)
#   crawl     an IVR crawl of an 11-node hosted menu, time against its prompt audio (crawl.json)
#   soak      only with SOAK_MINUTES: RSS at a fixed load (soak.json)
# then summary.md, the table benches/README.md carries (benches/summary.sh).
#
# The load generator, the peers and Voxide share the machine: run it on a
# quiet one. A part that fails is reported and the suite goes on.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=${OUT_DIR:-$root/benches/results/suite-$stamp}
parts=${ONLY:-"micro register calls media dtmf stt crawl soak"}
mkdir -p "$out"
export VOSK_LIB_DIR=${VOSK_LIB_DIR:-$root/.tools/vosk/lib}

"$root/scripts/deps.sh" test
(cd "$root" && cargo build --release -p voxide -p voxide-loadgen && cargo build --release -p voxide-stt --example transcribe)

declare -A status=()
run_part() {
  local name=$1; shift
  echo "===== $name ($(date -u +%H:%M:%S))"
  if "$@" > "$out/$name.log" 2>&1; then status[$name]=ok; else status[$name]="failed (see $name.log)"; fi
  tail -n 15 "$out/$name.log"
}

# Criterion's mean estimate of each benchmark, in nanoseconds.
micro() {
  (cd "$root" && cargo bench -p voxide-registrar --bench register && cargo bench -p voxide-media --bench media --bench relay)
  local names=(register_parse_and_handle parse_register rfc4733_decode transcode_pcmu_to_opus transcode_opus_to_pcmu
    transcode_pcmu_to_pcma vad_frame inband_dtmf_frame relay_packet_loopback udp_forward_loopback)
  for n in "${names[@]}"; do
    jq --arg n "$n" '{($n): .mean.point_estimate}' "$root/target/criterion/$n/new/estimates.json"
  done | jq -s 'add' > "$out/micro.json"
}

stt() {
  local wav=/usr/share/asterisk/sounds/en_US_f_Allison/vm-options.wav long line
  long=$(mktemp --suffix=.wav)
  [ -f "$wav" ] || wav=/usr/share/asterisk/sounds/en/vm-options.wav
  # About 50 s of recorded speech. The Korean model (the one a package
  # registry ships) decodes English speech: the decoder's cost per second
  # of audio depends on the model's size, not on whether it knows the words.
  sox "$wav" "$long" repeat 2
  line=$("$root/target/release/examples/transcribe" "$root/.tools/vosk/models/ko" "$long" \
    --streams "$(nproc)" --workers "$(nproc)" | grep 'streams of')
  # "N streams of S s on W workers: wall …, R x real time per CPU second, …": R seconds of
  # audio per CPU second is the number of live streams one core keeps up with.
  rm -f "$long"
  echo "$line" | sed -E 's/.*: ([0-9]+) streams of ([0-9.]+) s on ([0-9]+) workers: wall ([0-9.]+) s, ([0-9.]+)x real time per CPU second.*/{"streams":\1,"audio_secs_per_stream":\2,"workers":\3,"wall_secs":\4,"streams_per_core":\5}/' \
    > "$out/stt.json"
  jq . "$out/stt.json"
}

crawl() {
  (cd "$root" && VOXIDE_BENCH_CRAWL_JSON="$out/crawl.json" cargo test --release -p voxide --test crawl_e2e \
    the_crawler_finds_every_branch_of_a_hosted_three_level_menu_over_sip -- --exact --nocapture)
}

if [ -n "${QUICK:-}" ]; then
  reg_rates="1000 2000 3000 4000 5000"; call_rates="200 400 800 1000"; media_steps="500 1000"; hold=10
else
  reg_rates="500 1000 2000 3000 3500 4000 4500 5000 6000 7000 8000"; call_rates="100 200 400 600 800 1000 1500 2000"
  media_steps="500 1000 1500 2000 2500 3000"; hold=20
fi
export BIN_DIR=$root/target/release

for p in $parts; do
  case "$p" in
    micro) run_part micro micro ;;
    register) run_part register env OUT_JSON="$out/register.json" RATES="$reg_rates" "$root/benches/register.sh" ;;
    calls) run_part calls env OUT_JSON="$out/calls.json" RATES="$call_rates" "$root/benches/calls.sh" ;;
    media)
      run_part media env RESULTS_DIR="$out/media" STEPS="$media_steps" HOLD="$hold" IDLE_PCT="${IDLE_PCT:-15}" \
        IDLE_WAIT_SECS="${IDLE_WAIT_SECS:-120}" "$root/benches/media.sh"
      f=$(ls "$out"/media/media-*.json 2>/dev/null | tail -1)
      [ -n "$f" ] && cp "$f" "$out/media.json"
      ;;
    dtmf) run_part dtmf env OUT_JSON="$out/dtmf.json" "$root/benches/dtmf.sh" ;;
    stt) run_part stt stt ;;
    crawl) run_part crawl crawl ;;
    soak)
      if [ -n "${SOAK_MINUTES:-}" ]; then
        run_part soak env OUT_JSON="$out/soak.json" MINUTES="$SOAK_MINUTES" "$root/benches/soak.sh"
      fi
      ;;
    *) echo "unknown part $p" >&2; exit 2 ;;
  esac
done

{
  echo "Suite run $stamp, commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) CPUs, $(uname -r)${QUICK:+, QUICK}."
  echo
  "$root/benches/summary.sh" "$out"
  echo
  echo "Parts: $(for p in "${!status[@]}"; do printf '%s %s; ' "$p" "${status[$p]}"; done)"
} > "$out/summary.md"
cat "$out/summary.md"
echo "wrote $out"
