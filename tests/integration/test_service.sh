# The service end to end on a local bucket: generated blocks of three
# tenants converge to one compacted block per window with every trace ID
# kept and sampled traces span-identical; retention with a per-tenant override removes exactly the old
# blocks of that tenant; the tenant index lists what is in the bucket;
# /metrics agrees; SIGTERM exits 0 and leaves everything findable.
source "$(dirname "$0")/lib.sh"

B="$TMP/bucket"; mkdir -p "$B"
# An age that puts a block's end 20 minutes into an hour about H hours ago,
# so flushes one minute apart always share a compaction window.
age() { local now; now=$(date +%s); echo "$(( now - ( (now - $1 * 3600) / 3600 * 3600 + 1200 ) ))s"; }
# tenant-a: 2 flushes x 2 replicas, recent (inactive window, compactable)
"$TC_BIN" gen --path "$B" --tenant tenant-a --flushes 2 --replicas 2 --traces 150 --age $(age 30) --flush-interval 1m --seed 1 >/dev/null
# tenant-b: the same shape, plus old blocks that its 48h retention override removes
"$TC_BIN" gen --path "$B" --tenant tenant-b --flushes 2 --replicas 2 --traces 120 --age $(age 30) --flush-interval 1m --seed 2 >/dev/null
"$TC_BIN" gen --path "$B" --tenant tenant-b --flushes 1 --replicas 2 --traces 50 --age $(age 100) --flush-interval 1m --seed 3 >/dev/null
# tenant-c: old too, but under the default 336h retention: kept
"$TC_BIN" gen --path "$B" --tenant tenant-c --flushes 2 --replicas 1 --traces 80 --age $(age 100) --flush-interval 1m --seed 4 >/dev/null
cp -r "$B" "$TMP/original"
# Directory names that are not tenants or blocks are skipped with a warning.
mkdir -p "$B/not a tenant" "$B/tenant-a/not-a-block"

old_b=$(python3 - "$B/tenant-b" <<'PY'
import datetime, json, os, sys
now = datetime.datetime.now(datetime.timezone.utc)
for b in sorted(os.listdir(sys.argv[1])):
    end = json.load(open(os.path.join(sys.argv[1], b, "meta.json")))["endTime"]
    if (now - datetime.datetime.fromisoformat(end.replace("Z", "+00:00"))).total_seconds() > 72 * 3600:
        print(b)
PY
)
[ "$(echo "$old_b" | wc -w)" -eq 2 ] || fail "setup: expected 2 old tenant-b blocks, got: $old_b"

cat > "$TMP/overrides.yaml" <<YAML
overrides:
  "tenant-b":
    block_retention: 48h
YAML
cat > "$TMP/config.yaml" <<YAML
server:
  http_listen_address: 127.0.0.1
  http_listen_port: 0
  graceful_shutdown_timeout: 10s
compactor:
  compaction:
    compaction_cycle: 1s
    compacted_block_retention: 3s
storage:
  trace:
    backend: local
    local:
      path: $B
    blocklist_poll: 1s
overrides:
  per_tenant_override_config: $TMP/overrides.yaml
  per_tenant_override_period: 1s
YAML

"$TC_BIN" -config.file="$TMP/config.yaml" > "$TMP/log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT
port=$(wait_port "$TMP/log") || true
[ -n "$port" ] || { cat "$TMP/log"; fail "no http port in the log"; }
url="http://127.0.0.1:$port"

# Converged: each tenant has one live block per flush window pair, nothing compacted left over.
live() { ls "$B/$1"/*/meta.json 2>/dev/null | wc -l; }
compacted() { ls "$B/$1"/*/meta.compacted.json 2>/dev/null | wc -l; }
for _ in $(seq 240); do
  if [ "$(live tenant-a)" -eq 1 ] && [ "$(live tenant-b)" -eq 1 ] && [ "$(live tenant-c)" -eq 1 ] &&
     [ "$(compacted tenant-a)" -eq 0 ] && [ "$(compacted tenant-b)" -eq 0 ] && [ "$(compacted tenant-c)" -eq 0 ]; then
    break
  fi
  sleep 0.5
done
for t in tenant-a tenant-b tenant-c; do
  [ "$(live $t)" -eq 1 ] && [ "$(compacted $t)" -eq 0 ] || { cat "$TMP/log"; ls -R "$B/$t"; fail "$t did not converge"; }
done
sleep 2.5 # two polls: the tenant index and gauges catch up with the last retention pass
curl -sf "$url/ready" | grep -q ready || fail "/ready"
curl -sf "$url/metrics" > "$TMP/metrics"
curl -sf "$url/config" | grep -q "compaction_cycle: 1s" || fail "/config"
curl -sf "$url/status/blocklist?tenant=tenant-a" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["live"])==1, d' || fail "/status/blocklist"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/status/blocklist?tenant=..")" = 400 ] || fail "bad tenant not 400"

kill -TERM $pid
for _ in $(seq 150); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
set +e; wait $pid; rc=$?; set -e
[ "$rc" -eq 0 ] || { tail -20 "$TMP/log"; fail "exit status $rc after SIGTERM"; }

# Every trace of tenant-a and tenant-c, and the young ones of tenant-b, with all their spans.
for t in tenant-a tenant-b tenant-c; do
  : > "$TMP/ids.$t"
  for d in "$TMP/original/$t"/*/; do
    [ "$t" = tenant-b ] && echo "$old_b" | grep -qx "$(basename "$d")" && continue
    "$TC_BIN" inspect --ids "$d" | sed -n 's/^id=//p' >> "$TMP/ids.$t"
  done
  sort -u -o "$TMP/ids.$t" "$TMP/ids.$t"
  n=0
  while read -r id; do
    n=$((n + 1)); [ $(( n % 7 )) -eq 1 ] || continue
    same_trace $t "$id" "--path $B" "--path $TMP/original" || fail "$t: trace $id lost spans"
  done < "$TMP/ids.$t"
done
# The old tenant-b blocks are gone, and their traces with them.
for blk in $old_b; do [ ! -e "$B/tenant-b/$blk" ] || fail "old tenant-b block $blk survived retention"; done
# tenant-c's old blocks were compacted, not deleted: its live block is at least 100h old.
grep -q 'marking block for deletion" tenant=tenant-c' "$TMP/log" && fail "tenant-c blocks expired under default retention"

# Tenant index: exactly the live blocks left in the bucket.
for t in tenant-a tenant-b tenant-c; do
  python3 - "$B/$t" <<'PY' || fail "$t: tenant index disagrees with the bucket"
import gzip, json, os, sys
d = sys.argv[1]
idx = json.load(gzip.open(os.path.join(d, "index.json.gz")))
live = sorted(m["blockID"] for m in idx["meta"] or [])
disk = sorted(b for b in os.listdir(d) if os.path.exists(os.path.join(d, b, "meta.json")))
assert live == disk, (live, disk)
comp = sorted(m["blockID"] for m in idx["compacted"] or [])
cdisk = sorted(b for b in os.listdir(d) if os.path.exists(os.path.join(d, b, "meta.compacted.json"))
               and not os.path.exists(os.path.join(d, b, "meta.json")))
assert comp == cdisk, (comp, cdisk)
assert all("compactedTime" in m for m in idx["compacted"] or [])
PY
done

# Metrics agree with the log.
metric() { awk -v k="$1" '$1 == k { s += $2 } END { print s + 0 }' "$TMP/metrics"; }
sumfam() { awk -v k="$1" 'index($1, k) == 1 && substr($1, length(k) + 1, 1) ~ /[{ ]|^$/ { s += $2 } END { print s + 0 }' "$TMP/metrics"; }
jobs=$(grep -c 'msg="compacted blocks"' "$TMP/log")
[ "$jobs" -ge 3 ] || fail "expected at least 3 compactions, log has $jobs"
# The old tenant-b blocks may be compacted together before retention marks the result.
marked=$(grep -c 'msg="marking block for deletion"' "$TMP/log" || true)
[ "$marked" -ge 1 ] && [ "$(metric tempodb_retention_marked_for_deletion_total)" = "$marked" ] ||
  fail "retention_marked: log $marked, $(grep retention_marked "$TMP/metrics")"
[ "$(grep 'msg="marking block for deletion"' "$TMP/log" | grep -vc 'tenant=tenant-b')" = 0 ] || fail "retention marked blocks of other tenants"
[ "$(sumfam tempodb_compaction_blocks_total)" -ge $((jobs * 2)) ] || fail "compaction_blocks_total"
[ "$(metric tempodb_compaction_errors_total)" = 0 ] || fail "compaction errors: $(grep errors_total "$TMP/metrics")"
grep -q '^tempodb_blocklist_length{tenant="tenant-a"} 1' "$TMP/metrics" || fail "blocklist_length"
grep -Eq '^tracecompactor_build_info\{revision="[^"]+",version="[^"]+"\} 1$' "$TMP/metrics" ||
  fail "build_info without a revision: $(grep build_info "$TMP/metrics")"
# Nothing was discarded, quarantined or failed, yet every tenant's series are there, at 0.
for t in tenant-a tenant-b tenant-c; do
  for series in "tempodb_compaction_spans_discarded_total{tenant=\"$t\"}" \
                "tempo_discarded_spans_total{reason=\"trace_too_large_to_compact\",tenant=\"$t\"}" \
                "tempodb_compaction_blocks_quarantined_total{tenant=\"$t\"}" \
                "tempodb_blocklist_tenant_index_errors_total{tenant=\"$t\"}"; do
    grep -qxF "$series 0" "$TMP/metrics" || fail "$series is not exported at 0"
  done
done
# Logs an operator's tools parse: one level= per line, the block's level as
# compaction_level=, times in RFC 3339 UTC.
awk '{ n = gsub(/(^| )level=/, "&"); if (n != 1) { print "line " NR ": " $0; bad = 1 } } END { exit bad }' "$TMP/log" ||
  fail "log lines without exactly one level= key"
[ "$(grep 'msg="compacted blocks"' "$TMP/log" | grep -Ec ' inputs=[0-9a-f-]{36}(,[0-9a-f-]{36})+ .* compaction_level=[0-9]+ ')" = "$jobs" ] ||
  fail "compacted blocks lines lack inputs= or compaction_level="
rfc3339='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z'
[ "$(grep 'msg="marking block for deletion"' "$TMP/log" | grep -Ec " end=$rfc3339 cutoff=$rfc3339\$")" = "$marked" ] ||
  fail "retention times are not RFC 3339 UTC: $(grep -m1 'marking block for deletion' "$TMP/log")"
grep -q 'skipping a prefix that is not a tenant ID' "$TMP/log" || fail "bad tenant dir not reported"
grep -q 'skipping a prefix that is not a block ID' "$TMP/log" || fail "bad block dir not reported"
grep -q '^tempodb_blocklist_poll_errors_total{tenant="tenant-a"} [1-9]' "$TMP/metrics" || fail "skipped prefix not counted as a poll error"
[ -d "$B/not a tenant" ] && [ -d "$B/tenant-a/not-a-block" ] || fail "foreign directories were touched"
[ "$(inspect_live "$B")" -eq 3 ] || fail "expected three live blocks passing inspect"
echo ok
