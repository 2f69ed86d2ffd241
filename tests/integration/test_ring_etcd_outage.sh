# Three replicas in one ring on one local bucket. One is killed -9 while it
# writes a job's output; etcd is then paused for 5 s while a new tenant
# arrives. The survivors take over the dead replica's share, finish its job
# and the new tenant exactly once, remove its half-written block after
# partial_block_grace, forget it from the ring, lose no span, and exit 0 on
# SIGTERM. Then etcd restarts while one more tenant arrives: the survivors
# stay in the ring and compact it once. (Pauses and restarts the shared
# etcd: RUN_SERIAL, tests/CMakeLists.txt.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ring_lib.sh"
: "${TC_ETCD_DIR:?TC_ETCD_DIR not set: this test pauses the etcd of the fixture}"

B="$TMP/bucket"; mkdir -p "$B"
gen() { "$TC_BIN" gen --path "$B" --tenant "$1" --flushes 2 --replicas 2 --traces "$2" --spans 5 --age "$(age "$3")" \
          --flush-interval 1m --seed "$4" >/dev/null; }
# Big jobs in two windows of two tenants: long enough to be caught writing.
gen big1 5000 30 1; gen big1 5000 40 2; gen big2 5000 30 3; gen big2 5000 40 4
gen s1 60 30 5; gen s2 60 30 6
cp -r "$B" "$TMP/original"
GRACE=5s
STORAGE="    backend: local
    local: {path: $B}"
for r in 0 1 2; do start_replica $r; done

# The replica writing a job's output holds its data file open: kill that one.
victim="" vdir=""
for _ in $(seq 3000); do
  for r in 0 1 2; do
    vdir=$(ls -l /proc/${PIDS[$r]}/fd 2>/dev/null | grep -o "$B/big[12]/[0-9a-f-]*/data" | head -1 || true)
    if [ -n "$vdir" ]; then victim=$r; break 2; fi
  done
  sleep 0.02
done
[ -n "$victim" ] || { tail -5 "$TMP"/log.*; fail "no replica was ever caught writing a big job"; }
kill -9 "${PIDS[$victim]}"
wait "${PIDS[$victim]}" 2>/dev/null || true
PIDS[$victim]=""
vdir=$(dirname "$vdir")
had_partial=0
[ -e "$vdir/meta.json" ] || had_partial=1
[ "$had_partial" = 1 ] || echo "note: the killed job's output was already complete" >&2
survivors=$(for r in 0 1 2; do if [ $r != "$victim" ]; then echo $r; fi; done)

# etcd pauses for 5 s while a new tenant arrives.
"$TC_SRC/scripts/etcd.sh" pause "$TC_ETCD_DIR" >/dev/null
gen late 60 30 7
cp -r "$B/late" "$TMP/original/late"
sleep 5 # the outage lasts 5 s
"$TC_SRC/scripts/etcd.sh" resume "$TC_ETCD_DIR" >/dev/null

# Converged among the survivors, half-written block removed, dead replica forgotten.
want() { case $1 in big*) echo 2 ;; *) echo 1 ;; esac; }
for _ in $(seq 360); do
  done=1
  for t in big1 big2 s1 s2 late; do [ "$(live "$B" $t)" -eq "$(want $t)" ] || done=0; done
  [ "$(partials "$B")" -eq 0 ] || done=0
  [ "$(ring_states)" = "$(for r in $survivors; do printf 'replica-%s=ACTIVE ' $r; done | sed 's/ $//')" ] || done=0
  [ $done = 1 ] && break
  sleep 0.5
done
for t in big1 big2 s1 s2 late; do
  [ "$(live "$B" $t)" -eq "$(want $t)" ] || { tail -20 "$TMP"/log.*; fail "$t did not converge ($(live "$B" $t) live)"; }
done
[ "$(partials "$B")" -eq 0 ] || { ls -la "$B"/*/*/; fail "a partial block was left behind"; }
[ "$(ring_states)" = "$(for r in $survivors; do printf 'replica-%s=ACTIVE ' $r; done | sed 's/ $//')" ] ||
  fail "ring: $(ring_states)"

# Exactly once over all four logs, the dead replica's included; the new
# tenant by a survivor.
exactly_once "$TMP"/log.*
for d in "$TMP/original/late"/*/; do
  grep -q "$(basename "$d")" "$TMP/compacted" || fail "late: $(basename "$d") never compacted"
done
grep -q 'tenant=late' "$TMP/log.$victim" && fail "the dead replica compacted the late tenant"
if [ "$had_partial" = 1 ]; then
  [ ! -e "$vdir" ] || fail "the dead replica's half-written $vdir is still there"
  cat $(for r in $survivors; do echo "$TMP/log.$r"; done) | grep -q "msg=\"removed partial block\".* block=$(basename "$vdir")" ||
    fail "no survivor logged removing the dead replica's partial block $(basename "$vdir")"
fi

# etcd restarts (its data survives, the replicas see a short outage) while
# another tenant arrives: the survivors stay members and compact it once.
"$TC_SRC/scripts/etcd.sh" restart "$TC_ETCD_DIR" >/dev/null
gen late2 60 30 8
cp -r "$B/late2" "$TMP/original/late2"
for _ in $(seq 240); do
  [ "$(live "$B" late2)" -eq 1 ] && break
  sleep 0.5
done
[ "$(live "$B" late2)" -eq 1 ] || { tail -20 "$TMP"/log.*; fail "late2 did not converge after the etcd restart"; }
[ "$(ring_states)" = "$(for r in $survivors; do printf 'replica-%s=ACTIVE ' $r; done | sed 's/ $//')" ] ||
  fail "ring after the etcd restart: $(ring_states)"
exactly_once "$TMP"/log.*
for r in $survivors; do
  kill -0 "${PIDS[$r]}" 2>/dev/null || fail "replica $r died across the etcd restart"
done

# Nothing lost.
for t in big1 big2 s1 s2 late late2; do
  case $t in big*) every=401 ;; *) every=7 ;; esac
  same_sample $t "$TMP/original" "--path $B" $every
done
for r in $survivors; do stop_replica $r; done
[ "$(inspect_live "$B")" -ge 6 ] || fail "expected a live block per tenant, each passing inspect"
echo ok
