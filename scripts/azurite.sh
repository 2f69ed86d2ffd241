#!/usr/bin/env bash
# A throwaway Azurite blob service (Microsoft's Azure Storage emulator, npm
# package "azurite", installed into .deps/azure by scripts/install-deps.sh
# --azurite) for the azure tests, on 127.0.0.1 only, with the emulator's
# well-known account devstoreaccount1.
#
#   scripts/azurite.sh start DIR PORT [--stop-with-parent]
#   scripts/azurite.sh stop DIR
#
# start    stops an instance still running in DIR, wipes DIR, starts the blob
#          service on PORT (--skipApiVersionCheck --loose), blobs in
#          memory, its debug log in DIR/data, log in DIR/log/azurite.log, pid in DIR/run/azurite.pid;
#          waits until it answers and prints the endpoint.
#          --stop-with-parent: a watchdog stops it when the caller (ctest)
#          goes away, even if it was killed.
# stop     stops exactly the Azurite this script started for DIR (and its
#          watchdog) and removes DIR/data; a no-op when nothing runs.
# AZURITE_BIN overrides the binary (default .deps/azure/node_modules/.bin/azurite-blob).
set -euo pipefail

PROG=azurite.sh
usage() { echo "usage: $PROG start DIR PORT [--stop-with-parent] | stop DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
D=$(realpath -m -- "$2")
shift 2
MARK="# written by tracecompactor scripts/azurite.sh"
CONF=$D/run/instance.conf
PIDF=$D/run/azurite.pid
ROOT=$(dirname -- "$(dirname -- "$(realpath -- "${BASH_SOURCE[0]}")")")
AZURITE=${AZURITE_BIN:-$ROOT/.deps/azure/node_modules/.bin/azurite-blob}

# shellcheck source=scripts/lib-daemon.sh
. "$ROOT/scripts/lib-daemon.sh"

azurite_pid() {
  local p
  p=$(cat "$PIDF" 2>/dev/null || true)
  [ -n "$p" ] && cmdline_has "$p" "--debug $D/data/debug.log " && echo "$p"
  return 0
}
our_pids() {
  { azurite_pid; pids_matching " --debug $D/data/debug.log "; } | sort -un | grep -vx -e "$$" -e "$BASHPID" || true
}
ours() { grep -qxF "$MARK" "$CONF" 2>/dev/null; }
# Azurite closes its service on SIGTERM but its node process may linger on
# an idle handle: once the log says closed (or after 10 s), SIGKILL ends it;
# the store is in memory, so nothing is lost.
closed_count() { grep -c "successfully closed" "$D/log/azurite.log" 2>/dev/null || true; }
stop_azurite() {
  local pids before left
  pids=$(our_pids)
  if [ -n "$pids" ]; then
    before=$(closed_count)
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    for _ in $(seq 1 100); do
      # shellcheck disable=SC2086
      left=$(wait_gone 1 $pids) || true
      [ -z "$left" ] && break
      [ "$(closed_count)" != "$before" ] && break
    done
    # shellcheck disable=SC2086
    [ -z "$left" ] || term_wait_kill $left
  fi
  rm -f "$PIDF"
}
term_wait_kill() {
  kill -KILL "$@" 2>/dev/null || true
  wait_gone 50 "$@" >/dev/null || log "WARNING: still running after SIGKILL: $*"
}
stop() {
  watchdog_kill
  stop_azurite
  if ours; then rm -rf "$D/data"; fi
}
# Any HTTP answer will do: an unsigned request gets 403 from a live service.
answers() { curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:$PORT/devstoreaccount1?comp=list" 2>/dev/null | grep -q '^[1-5]'; }

case "$cmd" in
  stop) stop; exit 0 ;;
  _watch) watchdog_wait "$1" "$2"; stop_azurite; if ours; then rm -rf "$D/data"; fi; exit 0 ;;
  start) ;;
  *) usage ;;
esac

[ $# -ge 1 ] || usage
PORT=$1
shift
WATCH=0
while [ $# -gt 0 ]; do
  case "$1" in
    --stop-with-parent) WATCH=1 ;;
    *) log "bad argument '$1'"; usage ;;
  esac
  shift
done
case "$PORT" in ''|*[!0-9]*) log "bad port '$PORT'"; usage ;; esac
[ -x "$AZURITE" ] || { log "ERROR: $AZURITE not found: run scripts/install-deps.sh --azurite"; exit 1; }
command -v node >/dev/null 2>&1 || { log "ERROR: node not found: run scripts/install-deps.sh --azurite"; exit 1; }
if [ -e "$D" ]; then
  if [ -n "$(ls -A "$D" 2>/dev/null)" ] && ! ours; then
    log "ERROR: $D exists and is not an azurite.sh instance directory; not touching it"; exit 1
  fi
  stop
fi
if port_busy "$PORT"; then log "ERROR: 127.0.0.1:$PORT is already in use:"; who_listens "$PORT"; exit 1; fi

trap 'log "interrupted during start-up"; stop; exit 1' INT TERM HUP
t0=$(date +%s.%N)
rm -rf "$D"
mkdir -p "$D/run" "$D/log" "$D/data"
{ echo "$MARK"; printf 'PORT=%q\n' "$PORT"; } >"$CONF"
# In memory (a throwaway store, and with files on disk Azurite does not exit on
# SIGTERM); the debug log names DIR on the command line, which is how the
# process is found again.
setsid "$AZURITE" --blobHost 127.0.0.1 --blobPort "$PORT" --inMemoryPersistence \
  --skipApiVersionCheck --loose --disableProductStyleUrl --debug "$D/data/debug.log" \
  </dev/null >>"$D/log/azurite.log" 2>&1 &
echo $! >"$PIDF"
ok=0
for _ in $(seq 1 300); do     # up to 30 s
  if answers; then ok=1; break; fi
  [ -n "$(azurite_pid)" ] || break
  sleep 0.1
done
if [ $ok = 0 ]; then
  log "ERROR: Azurite does not answer on 127.0.0.1:$PORT"; tail -n 20 "$D/log/azurite.log" >&2 || true
  stop; exit 1
fi
trap - INT TERM HUP
if [ $WATCH = 1 ]; then watchdog_spawn; fi
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
echo "azurite up in ${secs}s: endpoint 127.0.0.1:$PORT dir=$D"
