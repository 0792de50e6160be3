#!/usr/bin/env bash
# Installs what Voxide needs on a Debian machine, idempotently.
#   scripts/deps.sh run    the switch's build and run dependencies
#   scripts/deps.sh test   also the test peers (SIPp, baresip, sox, espeak-ng)
#                          and a local PostgreSQL for the store tests
set -euo pipefail
mode=${1:-run}

run_pkgs=(pkg-config libopus-dev)
test_pkgs=(sip-tester baresip sox espeak-ng postgresql asterisk-core-sounds-en-wav)

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
