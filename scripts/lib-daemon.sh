# shellcheck shell=bash
# Shared by scripts/etcd.sh and scripts/rgw.sh (sourced, not run): finding
# the processes a script started for its instance directory, stopping them,
# and the --stop-with-parent watchdog.
#
# The sourcing script sets PROG (its name, e.g. "etcd.sh": the prefix of
# messages and how its watchdog is recognised) and D (the instance
# directory, absolute), and calls its watchdog as `bash "$0" _watch "$D"
# OWNER_PID OWNER_START`.

log() { echo "$PROG: $*" >&2; }

# cmdline PID: the process's command line, each argument followed by one
# space (so " ARG " matches a whole argument, the last one too); fails when
# the process is gone.
cmdline() {
  local cl
  cl=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline") || return 1
  echo "${cl% } "
}

# cmdline_has PID NEEDLE...: the command line of PID contains one of the
# NEEDLEs. A pid file may outlive its process and the pid be reused: this
# is how a pid read from one is checked.
cmdline_has() {
  local p=$1 cl n
  shift
  cl=$(cmdline "$p") || return 1
  for n in "$@"; do
    case "$cl" in *"$n"*) return 0 ;; esac
  done
  return 1
}

# pids_matching NEEDLE: every process whose command line contains NEEDLE
# (this shell left out), e.g. one killed mid-start before its pid file.
pids_matching() {
  local f
  for f in /proc/[0-9]*; do
    cmdline_has "${f#/proc/}" "$1" && echo "${f#/proc/}"
  done | grep -vx -e "$$" -e "$BASHPID" || true
}

# wait_gone TENTHS PIDS...: waits up to TENTHS tenths of a second for all of
# PIDS to exit; if some do not, prints them (" 12 34") and fails.
wait_gone() {
  local n=$1 i p left
  shift
  for i in $(seq 1 "$n"); do
    left=""
    for p in "$@"; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
    [ -z "$left" ] && return 0
    sleep 0.1
  done
  echo "$left"
  return 1
}

# term_wait PIDS...: SIGCONT (a stopped process cannot act on SIGTERM),
# SIGTERM, wait up to 10 s, then SIGKILL and wait again.
term_wait() {
  local left
  [ $# -gt 0 ] || return 0
  kill -CONT "$@" 2>/dev/null || true
  kill -TERM "$@" 2>/dev/null || true
  left=$(wait_gone 100 "$@") && return 0
  log "SIGKILL to$left (did not exit on SIGTERM within 10 s)"
  # shellcheck disable=SC2086
  kill -KILL $left 2>/dev/null || true
  left=$(wait_gone 50 "$@") && return 0
  log "WARNING: still running after SIGKILL:$left"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

who_listens() {
  command -v ss >/dev/null 2>&1 && ss -Hltnp "sport = :$1" 2>/dev/null | sed 's/^/    /' >&2 || true
}

# ---- the --stop-with-parent watchdog: DIR/run/watchdog.pid, log in DIR/log/watchdog.log ----

# watchdog_spawn: starts the watchdog for the process that called the script
# (its parent), in a session of its own, and waits (up to 5 s) for its pid file.
watchdog_spawn() {
  local owner=$PPID ostart i
  ostart=$(awk '{print $22}' "/proc/$owner/stat")
  setsid bash "$0" _watch "$D" "$owner" "$ostart" </dev/null >>"$D/log/watchdog.log" 2>&1 &
  for i in $(seq 1 50); do [ -s "$D/run/watchdog.pid" ] && break; sleep 0.1; done
}

# watchdog_kill: stops this instance's watchdog, if it is still ours, and
# forgets it.
watchdog_kill() {
  local p
  [ -f "$D/run/watchdog.pid" ] || return 0
  p=$(cat "$D/run/watchdog.pid" 2>/dev/null || true)
  if [ -n "$p" ] && [ "$p" != "$$" ] && cmdline_has "$p" "$PROG _watch $D "; then
    kill "$p" 2>/dev/null || true
  fi
  rm -f "$D/run/watchdog.pid"
}

# watchdog_wait OWNER_PID OWNER_START: in the watchdog, returns once the
# owner is gone (no process with that pid and start time); the caller then
# stops the instance.
watchdog_wait() {
  local owner=$1 start=$2
  echo $$ >"$D/run/watchdog.pid"
  while sleep 1; do
    [ "$(awk '{print $22}' "/proc/$owner/stat" 2>/dev/null)" = "$start" ] || break
  done
  log "$(date -u +%T) owner pid $owner is gone: stopping the instance"
  rm -f "$D/run/watchdog.pid"
}
