#!/usr/bin/env bash
# Installs the Debian tools the tests need when they are missing (apt-get, as the README says):
# ngspice (reference .op solves). Safe to run repeatedly; prints what it does.
set -euo pipefail

need=()
command -v ngspice >/dev/null 2>&1 || need+=(ngspice)

if [ ${#need[@]} -gt 0 ]; then
  echo "ensure-tools: installing ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v ngspice >/dev/null 2>&1 || { echo "ensure-tools: ngspice is still missing" >&2; exit 1; }
