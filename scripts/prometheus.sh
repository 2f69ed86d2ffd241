#!/usr/bin/env bash
# A throwaway Prometheus (Debian's prometheus, /usr/bin/prometheus) for the
# mixin tests, on 127.0.0.1 only.
#
#   scripts/prometheus.sh start DIR CONFIG [PORT] [--stop-with-parent]
#   scripts/prometheus.sh stop DIR
#   scripts/prometheus.sh status DIR
#
# start    stops an instance still running in DIR, wipes DIR, starts
#          prometheus with CONFIG (its rule_files relative to CONFIG's
#          directory, as prometheus reads them), storage in DIR/data, log in
#          DIR/log/prometheus.log, pid in DIR/run/prometheus.pid, listening
#          on 127.0.0.1:PORT, or on a free port when PORT is left out (the
#          port goes to DIR/run/port); waits until /-/ready answers and
#          prints the endpoint.
#          --stop-with-parent: a small watchdog stops the instance when the
#          calling process (a test) goes away, even if it was killed.
# stop     stops exactly the prometheus this script started for DIR (and its
#          watchdog), waits for it to exit and removes DIR/data; a no-op when
#          nothing runs. DIR/log stays.
# Needs: scripts/install-deps.sh --prometheus.
set -euo pipefail

PROG=prometheus.sh
usage() {
  echo "usage: $PROG start DIR CONFIG [PORT] [--stop-with-parent] | stop DIR | status DIR" >&2
  exit 2
}
[ $# -ge 2 ] || usage
cmd=$1
D=$(realpath -m -- "$2")
shift 2
MARK="# written by tracecompactor scripts/prometheus.sh"
CONF=$D/run/instance.conf
PIDF=$D/run/prometheus.pid
PROMETHEUS=${PROMETHEUS_BIN:-/usr/bin/prometheus}

# shellcheck source=scripts/lib-daemon.sh
. "$(dirname -- "$(realpath -- "${BASH_SOURCE[0]}")")/lib-daemon.sh"

prom_pid() {
  local p
  p=$(cat "$PIDF" 2>/dev/null || true)
  [ -n "$p" ] && cmdline_has "$p" "--storage.tsdb.path=$D/data " && echo "$p"
  return 0
}

our_pids() {
  { prom_pid; pids_matching " --storage.tsdb.path=$D/data "; } | sort -un |
    grep -vx -e "$$" -e "$BASHPID" || true
}

stop_prom() {
  # shellcheck disable=SC2046
  term_wait $(our_pids)
  rm -f "$PIDF"
}

ours() { grep -qxF "$MARK" "$CONF" 2>/dev/null; }

stop() {
  watchdog_kill
  stop_prom
  if ours; then rm -rf "$D/data"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

tail_log() {
  [ -s "$D/log/prometheus.log" ] || return 0
  echo "----- last lines of $D/log/prometheus.log -----" >&2
  tail -n 25 "$D/log/prometheus.log" >&2
}

# launch PORT: starts prometheus and waits until it is ready; 3 when the
# port was taken meanwhile (the caller may pick another).
launch() {
  local port=$1 i
  if port_busy "$port"; then
    log "127.0.0.1:$port is already in use:"; who_listens "$port"; return 3
  fi
  mkdir -p "$D/data" "$D/log" "$D/run"
  # Its own session, stdio to the log: nothing holds the caller's output pipe open.
  setsid "$PROMETHEUS" --config.file="$CONFIG" --storage.tsdb.path="$D/data" \
    --web.listen-address="127.0.0.1:$port" --storage.tsdb.retention.time=1d \
    </dev/null >>"$D/log/prometheus.log" 2>&1 &
  echo $! >"$PIDF"
  for i in $(seq 1 300); do     # up to 30 s
    curl -sf --max-time 2 "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && return 0
    if [ -z "$(prom_pid)" ]; then
      grep -q "address already in use" "$D/log/prometheus.log" 2>/dev/null && return 3
      log "ERROR: prometheus exited during start-up"; tail_log; return 1
    fi
    sleep 0.1
  done
  log "ERROR: prometheus is not ready on 127.0.0.1:$port after 30 s"; tail_log
  return 1
}

watch() {     # _watch DIR OWNER_PID OWNER_START: stop the instance when the owner goes
  watchdog_wait "$1" "$2"
  stop_prom
  if ours; then rm -rf "$D/data"; fi
}

case "$cmd" in
  stop) stop; exit 0 ;;
  status)
    p=$(prom_pid)
    if [ -n "$p" ]; then echo "running: $p"; exit 0; fi
    echo "not running"; exit 3 ;;
  _watch) watch "$1" "$2"; exit 0 ;;
  start) ;;
  *) usage ;;
esac

# ---------------------------------------------------------------- start
[ $# -ge 1 ] || usage
CONFIG=$(realpath -- "$1")
shift
PORT=""
WATCH=0
while [ $# -gt 0 ]; do
  case "$1" in
    --stop-with-parent) WATCH=1 ;;
    *[!0-9]*|'') log "bad argument '$1'"; usage ;;
    *) PORT=$1 ;;
  esac
  shift
done
[ -r "$CONFIG" ] || { log "ERROR: cannot read $CONFIG"; exit 2; }
for b in "$PROMETHEUS" curl setsid python3; do
  command -v "$b" >/dev/null 2>&1 || { log "ERROR: '$b' not found: run scripts/install-deps.sh --prometheus"; exit 1; }
done

if [ -e "$D" ]; then
  if [ -n "$(ls -A "$D" 2>/dev/null)" ] && ! ours; then
    log "ERROR: $D exists and is not a prometheus.sh instance directory; not touching it"; exit 1
  fi
  stop
fi

trap 'log "interrupted during start-up"; stop; exit 1' INT TERM HUP
rm -rf "$D"
mkdir -p "$D/run" "$D/log"
echo "$MARK" >"$CONF"
tries=1
[ -n "$PORT" ] || tries=5
for _ in $(seq 1 $tries); do
  port=${PORT:-$(free_port)}
  rc=0
  launch "$port" || rc=$?
  [ $rc = 0 ] && break
  stop_prom
  [ $rc = 3 ] && [ -z "$PORT" ] && continue
  stop; exit 1
done
[ $rc = 0 ] || { log "ERROR: no free port after $tries tries"; stop; exit 1; }
trap - INT TERM HUP
echo "$port" >"$D/run/port"

if [ $WATCH = 1 ]; then watchdog_spawn; fi
echo "prometheus up: endpoint 127.0.0.1:$port dir=$D"
