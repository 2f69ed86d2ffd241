# Three replicas in one compactor ring (etcd), on one local bucket of ten
# tenants: every replica becomes ACTIVE with 512 tokens in a value that
# decodes as Tempo's ring, sees 3 ACTIVE members, and the bucket converges
# with every job done exactly once, by at least two replicas, no span lost.
# Then SIGTERM: a replica goes LEAVING, then leaves the value, and exits 0.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ring_lib.sh"

B="$TMP/bucket"; mkdir -p "$B"
TENANTS="t0 t1 t2 t3 t4 t5 t6 t7 t8 t9"
i=0
for t in $TENANTS; do
  i=$((i + 1))
  "$TC_BIN" gen --path "$B" --tenant $t --flushes 2 --replicas 2 --traces 60 --spans 5 --age "$(age 30)" \
    --flush-interval 1m --seed $i >/dev/null
done
cp -r "$B" "$TMP/original"
ls -d "$B"/t*/*/ | xargs -n1 basename | sort > "$TMP/inputs"
[ "$(wc -l < "$TMP/inputs")" -eq 40 ] || fail "setup: $(wc -l < "$TMP/inputs") blocks, want 40"
STORAGE="    backend: local
    local: {path: $B}"

for r in 0 1 2; do start_replica $r; done
for r in 0 1 2; do wait_ready $r; done

# Converged: one live block per tenant, every input compacted.
for _ in $(seq 240); do
  done=1
  for t in $TENANTS; do [ "$(live "$B" $t)" -eq 1 ] || done=0; done
  [ $done = 1 ] && break
  sleep 0.5
done
for t in $TENANTS; do
  [ "$(live "$B" $t)" -eq 1 ] || { tail -5 "$TMP"/log.*; fail "$t did not converge"; }
done
exactly_once "$TMP"/log.*
[ "$(comm -23 "$TMP/inputs" "$TMP/compacted")" = "" ] || fail "never compacted: $(comm -23 "$TMP/inputs" "$TMP/compacted")"
[ "$(cat "$TMP"/log.* | grep -c 'msg="compacted blocks"')" -eq 10 ] || fail "want 10 jobs"
workers=0
for r in 0 1 2; do grep -q 'msg="compacted blocks"' "$TMP/log.$r" && workers=$((workers + 1)); done
[ $workers -ge 2 ] || fail "all the work went to one replica"
grep -q 'level=error' "$TMP"/log.* && { grep 'level=error' "$TMP"/log.*; fail "errors in the logs"; }
for t in t0 t5; do same_sample $t "$TMP/original" "--path $B" 7; done

# The value in etcd is Tempo's ring: three ACTIVE members, 512 sorted tokens
# each, none shared; the CLI reads it from etcd the same way.
ring_value "$TMP/value"
"$TC_BIN" ring dump --file "$TMP/value" > "$TMP/dump.json" || fail "ring dump failed"
python3 - "$TMP/dump.json" <<'PY' || fail "ring value: $(cat "$TMP/dump.json")"
import json, sys
d = json.load(open(sys.argv[1]))
ins = {i["id"]: i for i in d["instances"]}
assert sorted(ins) == ["replica-0", "replica-1", "replica-2"], sorted(ins)
for k, i in ins.items():
    assert i["state"] == "ACTIVE" and i["healthy"], i
    assert i["tokens"] == 512 and i["tokens_sorted"], i
    assert i["addr"] == "127.0.0.1:%d" % (9100 + int(k[-1])), i
    assert i["registered_timestamp"] > 0, i
assert d["duplicate_tokens"] == 0
assert abs(sum(i["ownership"] for i in ins.values()) - 1) < 1e-9
PY
cat > "$TMP/dump.yaml" <<YAML
compactor:
  ring:
    kvstore: {store: etcd, prefix: $PREFIX, etcd: {endpoints: [$TC_ETCD_ENDPOINT]}}
YAML
"$TC_BIN" ring dump --config "$TMP/dump.yaml" > "$TMP/dump2.json" || fail "ring dump --config failed"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["instances"]) == 3 and d["version"] > 0' \
  "$TMP/dump2.json" || fail "ring dump --config: $(cat "$TMP/dump2.json")"

# Every replica counts three ACTIVE members (Tempo 1.5's and later Tempo's metric names).
for r in 0 1 2; do
  for _ in $(seq 50); do [ "$(metric $r 'cortex_ring_members{name="compactor",state="ACTIVE"}')" = 3 ] && break; sleep 0.1; done
  [ "$(metric $r 'cortex_ring_members{name="compactor",state="ACTIVE"}')" = 3 ] || fail "replica $r: cortex_ring_members ACTIVE != 3"
  [ "$(metric $r 'tempo_ring_members{name="compactor",state="ACTIVE"}')" = 3 ] || fail "replica $r: tempo_ring_members ACTIVE != 3"
  [ "$(metric $r 'cortex_ring_members{name="compactor",state="Unhealthy"}')" = 0 ] || fail "replica $r: unhealthy members"
  [ -n "$(metric $r 'tracecompactor_compaction_jobs_abandoned_total{reason="lock_held"}')" ] || fail "replica $r: no abandoned counter"
done

# The ring page: JSON on request, HTML otherwise.
curl -sf -H 'Accept: application/json' "http://127.0.0.1:${PORTS[0]}/compactor/ring" > "$TMP/ring.json" || fail "/compactor/ring JSON"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert sorted(s["id"] for s in d["shards"]) == ["replica-0","replica-1","replica-2"]' \
  "$TMP/ring.json" || fail "/compactor/ring: $(cat "$TMP/ring.json")"
curl -sf "http://127.0.0.1:${PORTS[0]}/compactor/ring" | grep -q 'replica-2' || fail "/compactor/ring HTML lacks replica-2"

# SIGTERM: LEAVING, then gone from the value, exit 0. etcdctl watch sees every write.
ectl watch "$KEY" -w json > "$TMP/watch" 2>/dev/null &
watch_pid=$!
sleep 0.5
stop_replica 2
sleep 1.5 # let the watch print the last writes
kill $watch_pid 2>/dev/null || true
python3 - "$TMP/watch" "$TC_BIN" <<'PY' || fail "replica-2 did not leave through LEAVING: $(tail -c 2000 "$TMP/watch")"
import base64, json, subprocess, sys, tempfile
seen = []
for line in open(sys.argv[1]):
    line = line.strip()
    if not line.startswith("{"):
        continue
    for ev in json.loads(line).get("Events") or []:
        val = base64.b64decode(ev["kv"].get("value", ""))
        with tempfile.NamedTemporaryFile() as f:
            f.write(val); f.flush()
            out = subprocess.run([sys.argv[2], "ring", "dump", "--file", f.name], capture_output=True, check=True)
        ins = {i["id"]: i["state"] for i in json.loads(out.stdout)["instances"]}
        seen.append(ins.get("replica-2", "gone"))
# LEAVING is written, then the entry removed; nothing brings it back.
assert "LEAVING" in seen, seen
assert seen[-1] == "gone", seen
assert "ACTIVE" not in seen[seen.index("LEAVING"):], seen
PY
grep -q 'replica-2' <<<"$(ring_states)" && fail "replica-2 still in the ring: $(ring_states)"
[ "$(ring_states)" = "replica-0=ACTIVE replica-1=ACTIVE" ] || fail "ring after leave: $(ring_states)"
stop_replica 0
stop_replica 1
[ "$(ring_states)" = "" ] || fail "ring not empty after all left: $(ring_states)"
[ "$(inspect_live "$B")" -eq 10 ] || fail "expected one live block per tenant, each passing inspect"
echo ok
