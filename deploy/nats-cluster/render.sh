#!/bin/sh
# Writes one node's configuration from the template beside this script to stdout.
#
#   NATS_ROUTE_PASSWORD=… deploy/nats-cluster/render.sh NODE_NAME HOST[:CLUSTER_PORT]… > nats-server.conf
#
#   e.g. on machine a:   render.sh nats-1 a b c     (then b: render.sh nats-2 a b c, c: nats-3)
#
# Every HOST is one node's route address, this node's included (it ignores the route to
# itself); CLUSTER_PORT defaults to NATS_CLUSTER_PORT. Plain POSIX sh and sed, so the
# nats:alpine image runs it too (deploy/compose.cluster.yaml).
#
# Environment (defaults): NATS_ROUTE_PASSWORD (required, the same on every node; letters,
# digits and . _ ~ - only, since it goes into route URLs), NATS_ROUTE_USER (metatwin-route),
# NATS_CLUSTER_NAME (metatwin), NATS_HOST (0.0.0.0: clients and routes), NATS_PORT (4222),
# NATS_CLUSTER_PORT (6222), NATS_MONITOR_HOST (127.0.0.1), NATS_MONITOR_PORT (8222),
# NATS_STORE_DIR (/var/lib/nats).
set -eu

die() {
  echo "render.sh: $*" >&2
  exit 2
}

[ $# -ge 2 ] || die "usage: NATS_ROUTE_PASSWORD=… $0 NODE_NAME HOST[:CLUSTER_PORT]…"
name="$1"
shift

: "${NATS_ROUTE_PASSWORD:?render.sh: set NATS_ROUTE_PASSWORD (the same on every node)}"
user="${NATS_ROUTE_USER:-metatwin-route}"
cluster_port="${NATS_CLUSTER_PORT:-6222}"

# Values go into sed replacements and URLs: refuse anything that would need escaping there.
safe() {
  case "$2" in
    '' | *[!A-Za-z0-9._~-]*) die "$1 must be letters, digits and . _ ~ - only, got '$2'" ;;
  esac
}
safe NODE_NAME "$name"
safe NATS_ROUTE_USER "$user"
safe NATS_ROUTE_PASSWORD "$NATS_ROUTE_PASSWORD"
safe NATS_CLUSTER_NAME "${NATS_CLUSTER_NAME:-metatwin}"
for value in "${NATS_HOST:-0.0.0.0}" "${NATS_PORT:-4222}" "$cluster_port" "${NATS_MONITOR_HOST:-127.0.0.1}" "${NATS_MONITOR_PORT:-8222}"; do
  safe 'NATS_HOST, NATS_MONITOR_HOST and the ports' "$value"
done
case "${NATS_STORE_DIR:-/var/lib/nats}" in
  *[\|\&\\\"]*) die "NATS_STORE_DIR must not hold | & \\ or \", got '${NATS_STORE_DIR}'" ;;
esac

routes=""
for host in "$@"; do
  case "$host" in
    *:*) address="$host" ;;
    *) address="$host:$cluster_port" ;;
  esac
  case "$address" in
    *[!A-Za-z0-9.:_-]*) die "route host must be a host name or address with an optional :port, got '$host'" ;;
  esac
  routes="$routes${routes:+, }\"nats-route://$user:$NATS_ROUTE_PASSWORD@$address\""
done

sed \
  -e "s|{{NATS_SERVER_NAME}}|$name|g" \
  -e "s|{{NATS_CLUSTER_NAME}}|${NATS_CLUSTER_NAME:-metatwin}|g" \
  -e "s|{{NATS_HOST}}|${NATS_HOST:-0.0.0.0}|g" \
  -e "s|{{NATS_PORT}}|${NATS_PORT:-4222}|g" \
  -e "s|{{NATS_CLUSTER_PORT}}|$cluster_port|g" \
  -e "s|{{NATS_MONITOR_HOST}}|${NATS_MONITOR_HOST:-127.0.0.1}|g" \
  -e "s|{{NATS_MONITOR_PORT}}|${NATS_MONITOR_PORT:-8222}|g" \
  -e "s|{{NATS_STORE_DIR}}|${NATS_STORE_DIR:-/var/lib/nats}|g" \
  -e "s|{{NATS_ROUTE_USER}}|$user|g" \
  -e "s|{{NATS_ROUTE_PASSWORD}}|$NATS_ROUTE_PASSWORD|g" \
  -e "s|{{NATS_ROUTES}}|$routes|g" \
  "$(dirname "$0")/nats-server.conf"
