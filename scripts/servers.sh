#!/usr/bin/env bash
# Local servers for development and CI: nats-server with JetStream and influxd 1.x, both on
# loopback and on their own ports, so a NATS or InfluxDB already running on the machine (for
# example on 4222/8086) is never touched.
#
#   scripts/servers.sh start|stop|status|reload [--dir DIR]      (DIR defaults to .tmp/servers)
#
# Ports (environment):  METATWIN_NATS_PORT 14222, METATWIN_NATS_MONITOR_PORT 18222,
#                       METATWIN_INFLUX_PORT 18086, METATWIN_INFLUX_RPC_PORT 18088.
# DIR holds the rendered configurations (from deploy/nats, deploy/influxdb), the JetStream
# store, InfluxDB's meta/data/wal, logs and pid files. `start` returns once both answer their
# health checks and fails (exit 1, with the log tail) when one does not within
# METATWIN_SERVER_TIMEOUT_S (15) seconds. `status` exits 0 when both run, 3 otherwise.
#
# NATS requires credentials: `start` makes DIR/nats-auth (mode 0700) with an nkey seed per role
# (mode 0600) and the server's authorization block, from the roles table in libs/nats-auth
# (`metatwin nats-auth init`, which keeps seeds already there). metatwin finds them by itself
# when run from the repository root with the default DIR; otherwise export the
# METATWIN_NATS_CREDS_DIR that `start` prints. `reload` writes the block again (after
# `metatwin nats-auth rotate --dir DIR/nats-auth`, or a change of the table) and has
# nats-server take it without a restart.
#
# InfluxDB requires credentials too (auth-enabled): once influxd answers, `start` makes an
# admin, a `writer` (WRITE on metatwin: the projection) and a `reader` (READ: Grafana), their
# passwords in DIR/influx-auth/<user>.password (mode 0600, kept across restarts), with
# `metatwin influx users`. metatwin writes as the writer by itself from the repository root
# with the default DIR; otherwise export the METATWIN_INFLUX_CREDS_DIR that `start` prints.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
NATS_PORT="${METATWIN_NATS_PORT:-14222}"
NATS_MONITOR_PORT="${METATWIN_NATS_MONITOR_PORT:-18222}"
INFLUX_PORT="${METATWIN_INFLUX_PORT:-18086}"
INFLUX_RPC_PORT="${METATWIN_INFLUX_RPC_PORT:-18088}"
TIMEOUT_S="${METATWIN_SERVER_TIMEOUT_S:-15}"

usage() { echo "usage: $0 start|stop|status|reload [--dir DIR]" >&2; exit 2; }
die() { echo "servers: $*" >&2; exit 1; }

[ $# -ge 1 ] || usage
cmd="$1"; shift
dir="$root/.tmp/servers"
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) [ $# -ge 2 ] || usage; dir="$2"; shift 2 ;;
    --dir=*) dir="${1#--dir=}"; shift ;;
    *) usage ;;
  esac
done
case "$cmd" in start|stop|status|reload) ;; *) usage ;; esac

# Binaries may sit in /usr/sbin, which is not on every PATH.
find_bin() {
  local name="$1" p
  if p="$(command -v "$name" 2>/dev/null)"; then echo "$p"; return 0; fi
  for p in "/usr/sbin/$name" "/usr/bin/$name" "/usr/local/bin/$name"; do
    [ -x "$p" ] && { echo "$p"; return 0; }
  done
  die "$name not found; run scripts/ensure-tools.sh (apt-get install nats-server influxdb influxdb-client)"
}

# HTTP status code of a GET, or 000 when nothing answers.
http_code() {
  curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true
}

# A pid counts as ours only while it is alive and its command line names our configuration
# file in DIR, so a stale pid file can never make us signal an unrelated process (or another
# DIR's server) that reused the number.
pid_of() {
  local name="$1" file="$dir/$1.pid" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2" || return 1
  echo "$pid"
}

# Alive and not a zombie: a server started by this same invocation stays a zombie after it
# exits, and kill -0 still succeeds on zombies.
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

render() { # template output: replaces each {{NAME}} with the values above
  local d
  d="$(printf '%s' "$dir" | sed 's/[&|\\]/\\&/g')"
  sed -e "s|{{NATS_PORT}}|$NATS_PORT|g" \
      -e "s|{{NATS_MONITOR_PORT}}|$NATS_MONITOR_PORT|g" \
      -e "s|{{NATS_STORE_DIR}}|$d/nats|g" \
      -e "s|{{INFLUX_PORT}}|$INFLUX_PORT|g" \
      -e "s|{{INFLUX_RPC_PORT}}|$INFLUX_RPC_PORT|g" \
      -e "s|{{INFLUX_DIR}}|$d/influxdb|g" "$1" >"$2"
}

# Servers this invocation started; a failed `start` stops them again rather than leaving half
# a stack running.
started=()
fail_start() {
  local n
  for n in "${started[@]}"; do stop_one "$n" "$dir/$n.conf" >/dev/null; done
  exit 1
}

# start_one NAME PATTERN HEALTH_URL EXPECTED_CODE PORTS... -- COMMAND...
start_one() {
  local name="$1" pattern="$2" url="$3" want="$4"; shift 4
  local ports=() p pid code deadline
  while [ "$1" != "--" ]; do ports+=("$1"); shift; done; shift
  if pid="$(pid_of "$name" "$pattern")"; then
    echo "servers: $name already running (pid $pid)"
    return 0
  fi
  for p in "${ports[@]}"; do
    if port_busy "$p"; then
      echo "servers: $name: port 127.0.0.1:$p is already in use by another process; choose other ports with METATWIN_*_PORT (see $0)" >&2
      fail_start
    fi
  done
  nohup "$@" >"$dir/$name.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$dir/$name.pid"
  deadline=$((SECONDS + TIMEOUT_S))
  while :; do
    code="$(http_code "$url")"
    [ "$code" = "$want" ] && break
    if ! alive "$pid"; then
      echo "servers: $name exited during start-up; last lines of $dir/$name.log:" >&2
      tail -n 25 "$dir/$name.log" >&2
      rm -f "$dir/$name.pid"
      fail_start
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "servers: $name did not answer $url with $want within ${TIMEOUT_S}s (last: $code); last lines of $dir/$name.log:" >&2
      tail -n 25 "$dir/$name.log" >&2
      started+=("$name")
      fail_start
    fi
    sleep 0.1
  done
  started+=("$name")
  echo "servers: $name up (pid $pid)"
}

stop_one() {
  local name="$1" pattern="$2" pid i
  if ! pid="$(pid_of "$name" "$pattern")"; then
    rm -f "$dir/$name.pid"
    echo "servers: $name not running"
    return 0
  fi
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    echo "servers: $name (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL" >&2
    kill -9 "$pid" 2>/dev/null || true
    while alive "$pid"; do sleep 0.1; done
  fi
  rm -f "$dir/$name.pid"
  echo "servers: $name stopped"
}

status_one() {
  local name="$1" pattern="$2" url="$3" want="$4" pid
  if pid="$(pid_of "$name" "$pattern")" && [ "$(http_code "$url")" = "$want" ]; then
    echo "$name: running (pid $pid)"
    return 0
  fi
  echo "$name: stopped"
  return 1
}

# The roles' seeds and nats-server's authorization block (auth.conf, which nats.conf includes
# from beside it), written by the metatwin CLI from libs/nats-auth's table.
write_auth() {
  node "$root/bin/metatwin.js" nats-auth init --dir "$dir/nats-auth" >/dev/null ||
    die "could not write the NATS credentials in $dir/nats-auth (metatwin nats-auth init)"
  cp "$dir/nats-auth/auth.conf" "$dir/auth.conf"
  chmod 600 "$dir/auth.conf"
}

nats_health="http://127.0.0.1:$NATS_MONITOR_PORT/healthz?js-enabled-only=true"
influx_health="http://127.0.0.1:$INFLUX_PORT/ping"

case "$cmd" in
  start)
    command -v curl >/dev/null 2>&1 || die "curl is needed for the health checks (apt-get install curl)"
    nats_bin="$(find_bin nats-server)"
    influxd_bin="$(find_bin influxd)"
    mkdir -p "$dir/nats" "$dir/influxdb"
    dir="$(cd "$dir" && pwd)"
    render "$root/deploy/nats/nats-server.conf" "$dir/nats.conf"
    write_auth
    render "$root/deploy/influxdb/influxdb.conf" "$dir/influxd.conf"
    start_one nats "$dir/nats.conf" "$nats_health" 200 "$NATS_PORT" "$NATS_MONITOR_PORT" -- \
      "$nats_bin" -c "$dir/nats.conf"
    start_one influxd "$dir/influxd.conf" "$influx_health" 204 "$INFLUX_PORT" "$INFLUX_RPC_PORT" -- \
      "$influxd_bin" -config "$dir/influxd.conf"
    node "$root/bin/metatwin.js" influx users --dir "$dir/influx-auth" --influx "http://127.0.0.1:$INFLUX_PORT" >/dev/null ||
      die "could not make the InfluxDB users (metatwin influx users --dir $dir/influx-auth)"
    echo "METATWIN_NATS_URL=nats://127.0.0.1:$NATS_PORT"
    echo "METATWIN_NATS_CREDS_DIR=$dir/nats-auth"
    echo "METATWIN_INFLUX_URL=http://127.0.0.1:$INFLUX_PORT"
    echo "METATWIN_INFLUX_CREDS_DIR=$dir/influx-auth"
    ;;
  stop)
    [ -d "$dir" ] || { echo "servers: nothing to stop in $dir"; exit 0; }
    dir="$(cd "$dir" && pwd)"
    stop_one influxd "$dir/influxd.conf"
    stop_one nats "$dir/nats.conf"
    ;;
  reload)
    [ -d "$dir" ] || die "nothing to reload in $dir"
    dir="$(cd "$dir" && pwd)"
    pid="$(pid_of nats "$dir/nats.conf")" || die "nats is not running from $dir"
    write_auth
    kill -HUP "$pid"
    echo "servers: nats (pid $pid) reloading $dir/auth.conf"
    ;;
  status)
    rc=0
    [ -d "$dir" ] && dir="$(cd "$dir" && pwd)"
    status_one nats "$dir/nats.conf" "$nats_health" 200 || rc=3
    status_one influxd "$dir/influxd.conf" "$influx_health" 204 || rc=3
    exit "$rc"
    ;;
esac
