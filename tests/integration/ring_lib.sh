# Shared by tests/integration/test_ring_etcd*.sh (after lib.sh): replicas of
# the service on one bucket, in a compactor ring kept in the fixture's etcd
# (TC_ETCD_ENDPOINT) under a key prefix of the test's own.
: "${TC_ETCD_ENDPOINT:?TC_ETCD_ENDPOINT not set: this test needs the etcd fixture}"
export ETCDCTL_API=3
PREFIX="tc-it-$$-$RANDOM/"
KEY="${PREFIX}compactor"
declare -a PIDS=() PORTS=()
ring_cleanup() {
  local p
  for p in "${PIDS[@]}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  [ -n "${TC_ETCD_DIR:-}" ] && "$TC_SRC/scripts/etcd.sh" resume "$TC_ETCD_DIR" >/dev/null 2>&1 || true
  etcdctl --endpoints="$TC_ETCD_ENDPOINT" del --prefix "$PREFIX" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap ring_cleanup EXIT
ectl() { etcdctl --endpoints="$TC_ETCD_ENDPOINT" --command-timeout=5s "$@"; }

# An age that puts a block's end 20 minutes into an hour about H hours ago,
# so flushes one minute apart share a compaction window.
age() { local now; now=$(date +%s); echo "$(( now - ( (now - $1 * 3600) / 3600 * 3600 + 1200 ) ))s"; }

# replica_config I: $TMP/r$I.yaml for replica I, storage from $STORAGE (YAML
# under storage.trace), partial_block_grace from $GRACE (default 1h).
replica_config() {
  cat > "$TMP/r$1.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0, graceful_shutdown_timeout: 5s}
compactor:
  compaction: {compaction_cycle: 1s, partial_block_grace: ${GRACE:-1h}, flush_size_bytes: 65536}
  ring:
    kvstore:
      store: etcd
      prefix: $PREFIX
      etcd: {endpoints: [$TC_ETCD_ENDPOINT], dial_timeout: 1s, max_retries: 2}
    heartbeat_period: 1s
    heartbeat_timeout: 5s
    wait_stability_min_duration: 1s
    wait_stability_max_duration: 3s
    wait_active_instance_timeout: 30s
    instance_id: replica-$1
    instance_addr: 127.0.0.1
    instance_port: $((9100 + $1))
storage:
  trace:
    blocklist_poll: 1s
    block: {index_downsample_bytes: 65536}
$STORAGE
YAML
}

# start_replica I: starts replica I in the background (log $TMP/log.$I), waits for its HTTP port.
start_replica() {
  replica_config "$1"
  "$TC_BIN" -config.file="$TMP/r$1.yaml" > "$TMP/log.$1" 2>&1 &
  PIDS[$1]=$!
  PORTS[$1]=$(wait_port "$TMP/log.$1") || { cat "$TMP/log.$1"; fail "replica $1 did not start"; }
}

# stop_replica I: SIGTERM; fails unless it exits 0.
stop_replica() {
  local rc
  kill -TERM "${PIDS[$1]}"
  set +e; wait "${PIDS[$1]}"; rc=$?; set -e
  PIDS[$1]=""
  [ "$rc" -eq 0 ] || { tail -20 "$TMP/log.$1"; fail "replica $1: exit $rc after SIGTERM"; }
}

# wait_ready I: until replica I's /ready says so (it is ACTIVE in a stable ring).
wait_ready() {
  for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:${PORTS[$1]}/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  tail -20 "$TMP/log.$1"; fail "replica $1 never ready"
}

# ring_value FILE: the ring's etcd value, raw bytes (etcdctl's JSON carries it in base64).
ring_value() {
  ectl get "$KEY" -w json | python3 -c '
import base64, json, sys
kvs = json.load(sys.stdin).get("kvs", [])
sys.stdout.buffer.write(base64.b64decode(kvs[0]["value"]) if kvs else b"")' > "$1"
}

# ring_states: "id=STATE ..." of the ring in etcd, decoded by `ring dump`, sorted by ID.
ring_states() {
  ring_value "$TMP/value"
  "$TC_BIN" ring dump --file "$TMP/value" | python3 -c '
import json, sys
print(" ".join("%s=%s" % (i["id"], i["state"]) for i in json.load(sys.stdin)["instances"]))'
}

# metric I NAME_AND_LABELS: the value of one series on replica I's /metrics ("" if absent).
metric() {
  curl -sf "http://127.0.0.1:${PORTS[$1]}/metrics" | awk -v s="$2" '$1 == s { print $2 }'
}

# live ROOT TENANT: live blocks of a tenant in a local bucket.
live() { ls "$1/$2"/*/meta.json 2>/dev/null | wc -l; }

# partials ROOT: block directories with neither meta.
partials() {
  local n=0 d
  for d in "$1"/*/*/; do
    [ -d "$d" ] || continue
    case $(basename "$d") in *-*-*-*-*) ;; *) continue ;; esac
    [ -e "$d/meta.json" ] || [ -e "$d/meta.compacted.json" ] || n=$((n + 1))
  done
  echo $n
}

# exactly_once LOGS...: no block ID is an input of two successful compactions
# across these logs; prints the IDs compacted to $TMP/compacted.
exactly_once() {
  cat "$@" | sed -n 's/.*msg="compacted blocks".* inputs=\([^ ]*\) .*/\1/p' | tr , '\n' | sort > "$TMP/compacted"
  local dups
  dups=$(uniq -d "$TMP/compacted")
  [ -z "$dups" ] || fail "compacted twice: $dups"
}

# same_sample TENANT ORIGINAL_ROOT BUCKET_ARGS EVERY: every EVERY-th trace of
# the original blocks has exactly the same spans in the bucket.
same_sample() {
  local n=0 d id
  for d in "$2/$1"/*/; do "$TC_BIN" inspect --ids "$d" | sed -n 's/^id=//p'; done | sort -u > "$TMP/ids"
  [ -s "$TMP/ids" ] || fail "$1: no trace IDs in the original"
  while read -r id; do
    n=$((n + 1)); [ $(( n % $4 )) -eq 1 ] || continue
    same_trace "$1" "$id" "$3" "--path $2" || fail "$1: trace $id lost spans"
  done < "$TMP/ids"
}
