#!/usr/bin/env bash
# Installs the Debian tools the tests need when they are missing (apt-get, as the README says):
# ngspice (reference .op solves), nats-server (JetStream event log), influxdb + influxdb-client
# (time-series adapter), socat (pseudo-terminal pairs for the board emulator), openssl (the TLS test makes its CAs). Safe to run
# repeatedly; silent when nothing is missing.
#
# nats-server and influxd install into /usr/sbin, which is not on every PATH, so both places
# are checked. The packages try to enable systemd units; there is no systemd here and the
# tests start their own servers on private ports, so those units are ignored.
set -euo pipefail

have() {
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]
}

# tool:package pairs
wanted=(ngspice:ngspice nats-server:nats-server influxd:influxdb influx:influxdb-client socat:socat openssl:openssl)

need=()
for pair in "${wanted[@]}"; do
  have "${pair%%:*}" || need+=("${pair#*:}")
done

if [ ${#need[@]} -gt 0 ]; then
  echo "ensure-tools: installing ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d exit 101 keeps maintainer scripts from starting services on hosts that do have
  # an init system (influxd would otherwise listen on all interfaces); removed afterwards.
  policy=/usr/sbin/policy-rc.d
  made_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"
    made_policy=1
  fi
  cleanup() { if [ -n "$made_policy" ]; then $SUDO rm -f "$policy"; fi; }
  trap cleanup EXIT
  # apt's chatter (debconf notices included) is kept and shown only when something fails.
  aptlog=$(mktemp)
  if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$aptlog" 2>&1; then
    tail -n 30 "$aptlog" >&2
    rm -f "$aptlog"
    echo "ensure-tools: apt-get failed installing ${need[*]}" >&2
    exit 1
  fi
  rm -f "$aptlog"
fi

missing=()
for pair in "${wanted[@]}"; do
  have "${pair%%:*}" || missing+=("${pair%%:*}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "ensure-tools: still missing after apt-get: ${missing[*]}" >&2
  exit 1
fi
