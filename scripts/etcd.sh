#!/usr/bin/env bash
# A throwaway single-member etcd (Debian's etcd-server, /usr/bin/etcd) for the
# ring tests, on 127.0.0.1 only.
#
#   scripts/etcd.sh start DIR PORT [--stop-with-parent] [--tls CERTDIR] [-- ETCD_ARGS...]
#   scripts/etcd.sh stop DIR
#   scripts/etcd.sh pause DIR | resume DIR | restart DIR | status DIR
#
# start    stops an instance still running in DIR, wipes DIR, starts etcd with
#          client port PORT and peer port PORT+1, data in DIR/data, log in
#          DIR/log/etcd.log, pid in DIR/run/etcd.pid; waits until /health
#          answers and prints the endpoint.
#          --stop-with-parent: a small watchdog stops the instance when the
#          calling process (ctest, a test) goes away, even if it was killed.
#          --tls CERTDIR: clients must speak https and show a certificate:
#          CERTDIR holds ca.pem, server.pem, server-key.pem (for 127.0.0.1) and
#          client.pem, client-key.pem (used by the health check).
#          ETCD_ARGS go to etcd as they are (e.g. --auth-token-ttl 1).
# stop     stops exactly the etcd this script started for DIR (and its
#          watchdog), waits for it to exit and removes DIR/data; a no-op when
#          nothing runs. DIR/log stays.
# pause    SIGSTOP: etcd keeps its sockets but answers nothing.
# resume   SIGCONT.
# restart  stops etcd and starts it again on the same data, port and options
#          (the data survives; clients see a short outage).
# Needs: scripts/install-deps.sh --etcd  (etcd-server; etcd-client for etcdctl).
set -euo pipefail

PROG=etcd.sh
usage() {
  echo "usage: $PROG start DIR PORT [--stop-with-parent] [--tls CERTDIR] [-- ETCD_ARGS...]" \
       "| stop DIR | pause DIR | resume DIR | restart DIR | status DIR" >&2
  exit 2
}
[ $# -ge 2 ] || usage
cmd=$1
D=$(realpath -m -- "$2")
shift 2
MARK="# written by tracecompactor scripts/etcd.sh"
CONF=$D/run/instance.conf
PIDF=$D/run/etcd.pid
ETCD=${ETCD_BIN:-/usr/bin/etcd}

# log, cmdline_has, pids_matching, term_wait (SIGCONT first: a paused etcd
# cannot act on SIGTERM), port_busy, who_listens, watchdog_*
# shellcheck source=scripts/lib-daemon.sh
. "$(dirname -- "$(realpath -- "${BASH_SOURCE[0]}")")/lib-daemon.sh"

# The etcd of this DIR: its pid file, cross-checked against its command line
# (a pid file may outlive its process and the pid be reused).
etcd_pid() {
  local p
  p=$(cat "$PIDF" 2>/dev/null || true)
  [ -n "$p" ] && cmdline_has "$p" "--data-dir $D/data " && echo "$p"
  return 0
}

# Also any etcd whose command line names DIR/data (killed mid-start before its pid file).
our_pids() {
  { etcd_pid; pids_matching " --data-dir $D/data "; } | sort -un | grep -vx -e "$$" -e "$BASHPID" || true
}

stop_etcd() {
  # shellcheck disable=SC2046
  term_wait $(our_pids)
  rm -f "$PIDF"
}

ours() { grep -qxF "$MARK" "$CONF" 2>/dev/null; }

stop() {
  watchdog_kill
  stop_etcd
  # Only in a directory this script made.
  if ours; then rm -rf "$D/data"; fi
}

# Reads PORT, TLS and ETCD_ARGS back from DIR/run/instance.conf.
load_conf() {
  ours || { log "ERROR: $D is not an etcd.sh instance directory"; exit 1; }
  # shellcheck disable=SC1090
  . "$CONF"
}

healthy() {
  local scheme=http tlsargs=()
  if [ -n "$TLS" ]; then
    scheme=https
    tlsargs=(--cacert "$TLS/ca.pem" --cert "$TLS/client.pem" --key "$TLS/client-key.pem")
  fi
  curl -s --max-time 2 "${tlsargs[@]}" "$scheme://127.0.0.1:$PORT/health" 2>/dev/null | grep -q '"health":"true"'
}

tail_log() {
  [ -s "$D/log/etcd.log" ] || return 0
  echo "----- last lines of $D/log/etcd.log -----" >&2
  tail -n 25 "$D/log/etcd.log" >&2
}

# Starts etcd from DIR/run/instance.conf and waits until it is healthy.
launch() {
  local scheme=http peer=$((PORT + 1)) tlsargs=() p i
  for p in "$PORT" "$peer"; do
    if port_busy "$p"; then
      log "ERROR: 127.0.0.1:$p is already in use (another etcd? pick another PORT):"; who_listens "$p"; return 1
    fi
  done
  if [ -n "$TLS" ]; then
    scheme=https
    tlsargs=(--cert-file "$TLS/server.pem" --key-file "$TLS/server-key.pem"
             --trusted-ca-file "$TLS/ca.pem" --client-cert-auth)
  fi
  mkdir -p "$D/data" "$D/log" "$D/run"
  # Its own session, stdio to the log: nothing holds ctest's output pipe open.
  # shellcheck disable=SC2086
  setsid "$ETCD" --name tc --data-dir "$D/data" \
    --listen-client-urls "$scheme://127.0.0.1:$PORT" --advertise-client-urls "$scheme://127.0.0.1:$PORT" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "tc=http://127.0.0.1:$peer" --initial-cluster-state new \
    --initial-cluster-token "tc-$PORT" "${tlsargs[@]}" $ETCD_ARGS \
    </dev/null >>"$D/log/etcd.log" 2>&1 &
  echo $! >"$PIDF"
  for i in $(seq 1 300); do     # up to 30 s
    healthy && return 0
    if [ -z "$(etcd_pid)" ]; then log "ERROR: etcd exited during start-up"; tail_log; return 1; fi
    sleep 0.1
  done
  log "ERROR: etcd does not answer on 127.0.0.1:$PORT after 30 s"; tail_log
  return 1
}

watch() {     # _watch DIR OWNER_PID OWNER_START: stop the instance when the owner goes
  watchdog_wait "$1" "$2"
  stop_etcd
  if ours; then rm -rf "$D/data"; fi
}

case "$cmd" in
  stop)
    stop; exit 0 ;;
  status)
    p=$(etcd_pid)
    if [ -n "$p" ]; then
      st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null || true)
      if [ "$st" = T ]; then echo "paused: $p"; else echo "running: $p"; fi
      exit 0
    fi
    echo "not running"; exit 3 ;;
  pause|resume)
    p=$(etcd_pid)
    [ -n "$p" ] || { log "ERROR: no etcd running in $D"; exit 1; }
    if [ "$cmd" = pause ]; then kill -STOP "$p"; else kill -CONT "$p"; fi
    exit 0 ;;
  restart)
    load_conf
    stop_etcd
    launch || { stop_etcd; exit 1; }
    echo "etcd restarted: endpoint 127.0.0.1:$PORT dir=$D"
    exit 0 ;;
  _watch)
    watch "$1" "$2"; exit 0 ;;
  start) ;;
  *) usage ;;
esac

# ---------------------------------------------------------------- start
[ $# -ge 1 ] || usage
PORT=$1
shift
WATCH=0
TLS=""
ETCD_ARGS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --stop-with-parent) WATCH=1 ;;
    --tls) [ $# -ge 2 ] || usage; TLS=$(realpath -- "$2"); shift ;;
    --) shift; ETCD_ARGS="$*"; break ;;
    *) log "bad argument '$1'"; usage ;;
  esac
  shift
done
case "$PORT" in ''|*[!0-9]*) log "bad port '$PORT'"; usage ;; esac
[ "$PORT" -ge 1024 ] && [ "$PORT" -le 65534 ] || { log "ERROR: port $PORT out of range 1024-65534"; exit 2; }
for b in "$ETCD" curl setsid; do
  command -v "$b" >/dev/null 2>&1 || { log "ERROR: '$b' not found: run scripts/install-deps.sh --etcd"; exit 1; }
done
if [ -n "$TLS" ]; then
  for f in ca.pem server.pem server-key.pem client.pem client-key.pem; do
    [ -r "$TLS/$f" ] || { log "ERROR: --tls $TLS has no $f"; exit 2; }
  done
fi

# Refuse to wipe a directory this script did not make.
if [ -e "$D" ]; then
  if [ -n "$(ls -A "$D" 2>/dev/null)" ] && ! ours; then
    log "ERROR: $D exists and is not an etcd.sh instance directory; not touching it"; exit 1
  fi
  [ -z "$(our_pids)" ] || log "stopping the previous instance in $D"
  stop
fi

trap 'log "interrupted during start-up"; stop; exit 1' INT TERM HUP
t0=$(date +%s.%N)
rm -rf "$D"
mkdir -p "$D/run" "$D/log"
{
  echo "$MARK"
  printf 'PORT=%q\nTLS=%q\nETCD_ARGS=%q\n' "$PORT" "$TLS" "$ETCD_ARGS"
} >"$CONF"
launch || { stop; exit 1; }
trap - INT TERM HUP

if [ $WATCH = 1 ]; then watchdog_spawn; fi

secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
echo "etcd up in ${secs}s: endpoint 127.0.0.1:$PORT dir=$D"
