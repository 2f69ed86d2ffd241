# The service and a trace body that is corrupt in one block only: the job
# that meets it fails, the block is quarantined (nocompact.json, reason
# corrupt, the message naming trace and offset) and stays live, the rest of
# the tenant compacts, and every live block outside the quarantine passes
# inspect.
source "$(dirname "$0")/lib.sh"

B="$TMP/b"
now=$(date +%s)
age="$(( now - ( (now - 30 * 3600) / 3600 * 3600 + 600 ) ))s"   # 10 minutes into an hour, 30h ago
"$TC_BIN" gen --path "$B" --tenant t --flushes 3 --replicas 1 --traces 60 --spans 4 --continue 0 \
  --encoding none --age "$age" --flush-interval 5m --seed 5 >/dev/null
blk=$(ls "$B/t" | head -1)
trace=$("$TC_BIN" inspect --ids "$B/t/$blk" | sed -n 's/^id=//p' | sed -n 5p)
read -r page pos < <(python3 "$(dirname "$0")/corrupt_body.py" "$B/t/$blk" "$trace" wiretype)

cat > "$TMP/config.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0, graceful_shutdown_timeout: 10s}
compactor: {compaction: {compaction_cycle: 1s, compacted_block_retention: 1h}}
storage: {trace: {backend: local, local: {path: $B}, blocklist_poll: 1s}}
YAML
"$TC_BIN" -config.file="$TMP/config.yaml" > "$TMP/log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT
port=$(wait_port "$TMP/log") || { cat "$TMP/log"; fail "no http port in the log"; }

# Converged: the damaged block quarantined and live, the other two compacted into one.
live() { ls "$B/t"/*/meta.json 2>/dev/null | wc -l; }
for _ in $(seq 120); do
  [ -e "$B/t/$blk/nocompact.json" ] && [ "$(live)" -eq 2 ] && [ "$(ls "$B/t"/*/meta.compacted.json 2>/dev/null | wc -l)" -eq 2 ] && break
  sleep 0.5
done
[ -e "$B/t/$blk/nocompact.json" ] || { cat "$TMP/log"; fail "the damaged block was not quarantined"; }
[ -e "$B/t/$blk/meta.json" ] || fail "the quarantined block is no longer live"
[ "$(live)" -eq 2 ] || { cat "$TMP/log"; ls -R "$B/t"; fail "the rest of the tenant did not compact"; }
python3 - "$B/t/$blk/nocompact.json" "t/$blk/data at offset $page: object at page position $pos, trace $trace: " <<'PY' ||
import json, sys
m = json.load(open(sys.argv[1]))
assert m["reason"] == "corrupt", m
assert sys.argv[2] in m["error"] and "illegal wire type" in m["error"], m["error"]
PY
  fail "nocompact.json: $(cat "$B/t/$blk/nocompact.json")"
grep -q "msg=\"quarantined block" "$TMP/log" || fail "no quarantine log line"
curl -sf "http://127.0.0.1:$port/metrics" > "$TMP/metrics" || fail "/metrics"
grep -q '^tempodb_compaction_blocks_quarantined_total{tenant="t"} 1$' "$TMP/metrics" || fail "quarantine not counted"
[ "$(inspect_live "$B")" -eq 1 ] || fail "expected one live block outside the quarantine"

kill -TERM $pid
wait $pid || fail "serve exited $? after SIGTERM"
echo ok
