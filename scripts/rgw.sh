#!/usr/bin/env bash
# A throwaway single-node Ceph RGW for the S3 tests: one mon, one memstore OSD
# and one radosgw, all on 127.0.0.1, no systemd, no cephx between daemons.
#
#   scripts/rgw.sh start DIR [PORT] [--stop-with-parent]
#   scripts/rgw.sh stop DIR
#   scripts/rgw.sh status DIR
#
# start  wipes DIR (after stopping an instance still running there), starts the
#        daemons, creates the S3 user ${S3_KEY:-TCKEY} / ${S3_SECRET:-TCSECRET},
#        waits until a signed S3 request succeeds and prints the endpoint.
#        PORT (default 17480) is RGW's HTTP port; the mon listens on PORT-690
#        (override with RGW_MON_PORT). The OSD takes free ports in 6800-7300.
#        --stop-with-parent: a small watchdog stops the instance when the
#        calling process (ctest) goes away, even if it was killed.
# stop   stops exactly the processes this script started for DIR (pid files in
#        DIR/run, cross-checked against their command line), waits for them to
#        exit; a no-op when nothing runs. DIR itself is left for its logs.
# Needs: scripts/install-deps.sh --s3  (radosgw ceph-mon ceph-osd ceph-common).
set -euo pipefail

PROG=rgw.sh
usage() { echo "usage: $PROG start DIR [PORT] [--stop-with-parent] | stop DIR | status DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
D=$(realpath -m -- "$2")
shift 2
PORT=17480
WATCH=0
for a in "$@"; do
  case "$a" in
    --stop-with-parent) WATCH=1 ;;
    ''|*[!0-9]*) echo "$PROG: bad argument '$a'" >&2; usage ;;
    *) PORT=$a ;;
  esac
done
MONPORT=${RGW_MON_PORT:-$((PORT - 690))}
KEY=${S3_KEY:-TCKEY}
SECRET=${S3_SECRET:-TCSECRET}
CONF=$D/ceph.conf
MARK="# written by tracecompactor scripts/rgw.sh"

# log, cmdline, cmdline_has, pids_matching, term_wait, port_busy, who_listens, watchdog_*
# shellcheck source=scripts/lib-daemon.sh
. "$(dirname -- "$(realpath -- "${BASH_SOURCE[0]}")")/lib-daemon.sh"

# Our processes: pids from DIR/run/*.pid plus anything whose command line
# names DIR/ceph.conf (covers a daemon killed mid-start before its pid file),
# never this script itself.
our_pids() {
  local f p
  {
    for f in "$D"/run/*.pid; do [ -e "$f" ] && cat "$f" 2>/dev/null; echo; done
    pids_matching " $CONF "
  } | sort -un | while read -r p; do
    [ -n "$p" ] && [ "$p" != "$$" ] && [ "$p" != "$BASHPID" ] || continue
    # the watchdog is "bash .../rgw.sh _watch DIR ..."; daemons carry "-c DIR/ceph.conf"
    if cmdline_has "$p" " $CONF " "rgw.sh _watch $D "; then echo "$p"; fi
  done
}

stop() {
  local p cl first=() rgw=() osd=() mon=()
  # The watchdog first, so it cannot race with us.
  watchdog_kill
  # In dependency order: the gateway and any client, then the OSD (it tells the
  # mon it is going down), then the mon. All at once is slower: an OSD whose
  # mon is gone waits 5 s for it.
  for p in $(our_pids); do
    cl=$(cmdline "$p") || continue
    case "$cl" in
      radosgw\ *|*/radosgw\ *) rgw+=("$p") ;;
      ceph-osd\ *|*/ceph-osd\ *) osd+=("$p") ;;
      ceph-mon\ *|*/ceph-mon\ *) mon+=("$p") ;;
      *) first+=("$p") ;;
    esac
  done
  term_wait "${first[@]}"
  term_wait "${rgw[@]}"
  term_wait "${osd[@]}"
  term_wait "${mon[@]}"
  # Only in a directory this script made (never, say, /var/run/*.pid).
  if grep -qxF "$MARK" "$CONF" 2>/dev/null; then rm -f "$D"/run/*.pid "$D"/run/*.asok; fi
}

tail_log() {   # tail_log NAME: last lines of DIR/log/NAME.log (and stderr capture)
  local f
  for f in "$D/log/$1.log" "$D/log/$1.out"; do
    [ -s "$f" ] || continue
    echo "----- last lines of $f -----" >&2
    tail -n 25 "$f" >&2
  done
}

die() {        # die MESSAGE [LOGNAME...]: show logs, stop what was started, exit 1
  local msg=$1; shift
  log "ERROR: $msg"
  for n in "$@"; do tail_log "$n"; done
  stop
  log "instance in $D stopped; full logs in $D/log"
  exit 1
}

alive() { [ -f "$D/run/$1.pid" ] && kill -0 "$(cat "$D/run/$1.pid" 2>/dev/null)" 2>/dev/null; }

# wait_pidfile NAME SECONDS: the daemon wrote its pid file and is running
wait_pidfile() {
  local i
  for i in $(seq 1 $(($2 * 10))); do alive "$1" && return 0; sleep 0.1; done
  return 1
}

# launch NAME TRIES SECS CMD...: start a daemon (it forks into the background)
# and wait for its pid file; a new Ceph client may send its first mon command
# before it has the monmap and be refused ('wrong fsid'), which kills a daemon
# at init, so try again.
launch() {
  local name=$1 tries=$2 secs=$3 n p
  shift 3
  for n in $(seq 1 "$tries"); do
    if "$@" </dev/null >>"$D/log/$name.out" 2>&1 && wait_pidfile "$name" "$secs"; then return 0; fi
    p=$(cat "$D/run/$name.pid" 2>/dev/null || true)
    [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
    rm -f "$D/run/$name.pid"
    [ "$n" -lt "$tries" ] && log "$name did not start (attempt $n), trying again" && sleep 1
  done
  return 1
}

ceph_cli() { timeout 30 ceph -c "$CONF" --connect-timeout 25 "$@"; }
# ceph_retry ARGS...: a mon that has just formed its quorum may refuse the first
# commands ("problem getting command descriptions"); these commands are
# idempotent, so try again for up to ~30 s.
ceph_retry() {
  local i
  for i in $(seq 1 15); do
    ceph_cli "$@" 2>>"$D/log/setup.out" && return 0
    sleep 2
  done
  return 1
}

EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
s3_ok() {     # a signed ListAllMyBuckets as the test user answers 200
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
        --aws-sigv4 "aws:amz:us-east-1:s3" --user "$KEY:$SECRET" \
        -H "x-amz-content-sha256: $EMPTY_SHA256" \
        "http://127.0.0.1:$PORT/")" = 200 ]
}

watch() {     # _watch DIR OWNER_PID OWNER_START: stop the instance when the owner goes
  watchdog_wait "$1" "$2"
  stop
}

case "$cmd" in
  stop)
    stop
    exit 0 ;;
  status)
    pids=$(our_pids | tr '\n' ' ')
    if [ -n "${pids// /}" ]; then echo "running: $pids"; exit 0; else echo "not running"; exit 3; fi ;;
  _watch)
    watch "$1" "$2"; exit 0 ;;
  start) ;;
  *) usage ;;
esac

# ---------------------------------------------------------------- start
for b in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool curl; do
  command -v "$b" >/dev/null 2>&1 || { log "ERROR: '$b' not found: run scripts/install-deps.sh --s3"; exit 1; }
done
[ "$PORT" -ge 1024 ] && [ "$PORT" -le 65535 ] || { log "ERROR: port $PORT out of range 1024-65535"; exit 2; }
[ "$MONPORT" -ge 1024 ] && [ "$MONPORT" -le 65535 ] || { log "ERROR: mon port $MONPORT out of range (set RGW_MON_PORT)"; exit 2; }

# Refuse to wipe a directory this script did not make.
if [ -e "$D" ]; then
  if [ -n "$(ls -A "$D" 2>/dev/null)" ] && ! grep -qxF "$MARK" "$CONF" 2>/dev/null; then
    log "ERROR: $D exists and is not an rgw.sh instance directory; not touching it"; exit 1
  fi
  if [ -n "$(our_pids)" ]; then log "stopping the previous instance in $D"; fi
  stop
fi

for p in "$PORT" "$MONPORT"; do
  if port_busy "$p"; then
    log "ERROR: 127.0.0.1:$p is already in use (another RGW? pick another PORT):"; who_listens "$p"; exit 1
  fi
done

# Killed half-way (ctest's timeout, ^C): take down what was started.
trap 'die "interrupted by a signal during start-up"' INT TERM HUP
t0=$(date +%s.%N)
rm -rf "$D"
mkdir -p "$D"/run "$D"/log "$D"/mon.a "$D"/rgw.a
FSID=$(cat /proc/sys/kernel/random/uuid)
# Unix socket paths are limited to 107 bytes; drop the admin sockets (we never
# use them) rather than fail when the build tree is deep.
ASOK="$D/run/\$name.asok"
[ ${#D} -le 80 ] || ASOK=""
cat >"$CONF" <<CONF
$MARK
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MONPORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr2 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon allow pool delete = true
mon data avail warn = 1
mon data avail crit = 0
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = 1073741824
osd pool default pg autoscale mode = off
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
run dir = $D/run
pid file = $D/run/\$name.pid
admin socket = $ASOK
log file = $D/log/\$name.log
mon data = $D/mon.\$id
osd data = $D/osd.\$id
keyring = $D/keyring
# A client whose first monmap comes from "mon host" alone has a zero fsid
# until the mon sends it the real one; a mon command sent in that window is
# refused ('wrong fsid') and kills a daemon at init. Seed every client and the
# OSD with the monmap file (it has the fsid), and keep the OSD from sending
# commands at start-up at all: this script puts it in the CRUSH map itself.
[osd]
monmap = $D/monmap
osd crush update on start = false
osd class update on start = false
[client]
monmap = $D/monmap
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw dns name = localhost
rgw data = $D/rgw.a
CONF

# Daemons fork into the background; their stdio goes to DIR/log so that nothing
# holds ctest's output pipe open.
ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >"$D/log/setup.out" 2>&1 \
  || die "ceph-authtool failed" setup
monmaptool --create --add a "v1:127.0.0.1:$MONPORT" --fsid "$FSID" "$D/monmap" >>"$D/log/setup.out" 2>&1 \
  || die "monmaptool failed" setup
ceph-mon -c "$CONF" --mkfs -i a --monmap "$D/monmap" --keyring "$D/keyring" </dev/null >"$D/log/mon.a.out" 2>&1 \
  || die "ceph-mon --mkfs failed" mon.a
launch mon.a 2 20 ceph-mon -c "$CONF" -i a || die "ceph-mon did not start" mon.a

U=$(cat /proc/sys/kernel/random/uuid)
ID=$(ceph_retry osd new "$U") || die "mon does not answer (ceph osd new failed)" setup mon.a
mkdir -p "$D/osd.$ID"
ceph-osd -c "$CONF" -i "$ID" --mkfs --osd-uuid "$U" </dev/null >"$D/log/osd.$ID.out" 2>&1 \
  || die "ceph-osd --mkfs failed" "osd.$ID"
launch "osd.$ID" 3 30 ceph-osd -c "$CONF" -i "$ID" || die "ceph-osd did not start" "osd.$ID"
ceph_retry osd crush add "osd.$ID" 1.0 host=localhost root=default >>"$D/log/setup.out" \
  || die "ceph osd crush add failed" setup mon.a

rgw_tries=0
launch_rgw() {
  rgw_tries=$((rgw_tries + 1))
  launch client.rgw.a 1 30 radosgw -c "$CONF" -n client.rgw.a
}
launch_rgw || die "radosgw did not start" client.rgw.a
up=0
for i in $(seq 1 1200); do     # up to 120 s: RGW creates its pools first
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; then up=1; break; fi
  if [ $((i % 10)) -eq 0 ]; then
    alive mon.a || die "ceph-mon exited" mon.a
    alive "osd.$ID" || die "ceph-osd exited" "osd.$ID"
    if ! alive client.rgw.a; then
      [ $rgw_tries -lt 3 ] || die "radosgw exited ($rgw_tries attempts)" client.rgw.a
      log "radosgw exited during start-up (attempt $rgw_tries), starting it again"
      launch_rgw || die "radosgw did not start" client.rgw.a
    fi
  fi
  sleep 0.1
done
[ $up = 1 ] || die "radosgw does not answer on 127.0.0.1:$PORT after 120 s" client.rgw.a "osd.$ID"

made=0
for i in 1 2 3 4 5; do
  if timeout 60 radosgw-admin -c "$CONF" user create --uid=tc --display-name=tc \
       --access-key="$KEY" --secret-key="$SECRET" </dev/null >>"$D/log/user.out" 2>&1 \
     || timeout 60 radosgw-admin -c "$CONF" user info --uid=tc </dev/null 2>>"$D/log/user.out" \
          | grep -qF "\"access_key\": \"$KEY\""; then made=1; break; fi
  sleep 2
done
[ $made = 1 ] || die "radosgw-admin user create failed" user client.admin
ok=0
for i in $(seq 1 100); do s3_ok && { ok=1; break; }; sleep 0.2; done
[ $ok = 1 ] || die "a signed request with key $KEY is refused" client.rgw.a

trap - INT TERM HUP
if [ $WATCH = 1 ]; then watchdog_spawn; fi

secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
echo "rgw up in ${secs}s: endpoint 127.0.0.1:$PORT key=$KEY dir=$D"
