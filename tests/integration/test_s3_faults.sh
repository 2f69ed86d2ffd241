# Fault injection between the service and RGW (tests/integration/faultproxy.py):
# with 500s, connection resets and stalls at a seeded random rate the
# service converges with every trace intact and counts its retries; while
# every request fails, compactions fail cleanly (no meta.json for a partial
# output, inputs untouched) and succeed on a later cycle once faults stop.
source "$(dirname "$0")/lib.sh"
: "${TC_S3_ENDPOINT:?TC_S3_ENDPOINT not set: this test needs the rgw fixture}"
KEY=${TC_S3_ACCESS_KEY:-TCKEY}; SECRET=${TC_S3_SECRET_KEY:-TCSECRET}
s3() { curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$KEY:$SECRET" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
SEED=${TC_FAULT_SEED:-$RANDOM}
echo "fault seed $SEED (rerun with TC_FAULT_SEED=$SEED)"
BUCKET="faults-$$-$RANDOM"
s3 -X PUT "http://$TC_S3_ENDPOINT/$BUCKET" >/dev/null || fail "cannot create bucket"

echo 0 > "$TMP/rate"
python3 "$(dirname "$0")/faultproxy.py" --listen-port-file "$TMP/pport" --upstream "$TC_S3_ENDPOINT" \
  --seed "$SEED" --control "$TMP/rate" --stall 1.0 &
proxy=$!
trap 'kill $proxy 2>/dev/null || true; wait $proxy 2>/dev/null || true; [ -z "$pid" ] || kill -9 $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT
pid=""
for _ in $(seq 50); do [ -s "$TMP/pport" ] && break; sleep 0.1; done
endpoint="127.0.0.1:$(cat "$TMP/pport")"

cat > "$TMP/c.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0, graceful_shutdown_timeout: 5s}
compactor:
  compaction: {compaction_cycle: 500ms, compacted_block_retention: 1h, partial_block_grace: 2s}
storage:
  trace:
    backend: s3
    blocklist_poll: 1s
    s3: {bucket: $BUCKET, endpoint: "$endpoint", access_key: $KEY, secret_key: "$SECRET", insecure: true,
         forcepathstyle: true, max_retries: 8}
YAML
now=$(date -u +%Y-%m-%dT%H:%M:%SZ); nows=$(date -d "$now" +%s)
age="$(( nows - ( (nows - 30 * 3600) / 3600 * 3600 + 1200 ) ))s"
for t in f1 f2; do
  args="--tenant $t --flushes 2 --replicas 2 --traces 150 --spans 6 --age $age --flush-interval 1m --seed ${#t}$RANDOM"
  "$TC_BIN" gen --config "$TMP/c.yaml" --now "$now" $args >/dev/null
  "$TC_BIN" gen --path "$TMP/original" --now "$now" $args >/dev/null
done

# Phase 1: the service starts, then every request fails: its compactions fail
# cleanly. Inputs stay live and unmarked; a partial output may remain, but
# without meta.json, and is removed later (partial_block_grace).
sed 's/compaction_cycle: 500ms/compaction_cycle: 2s/' "$TMP/c.yaml" > "$TMP/c1.yaml"
"$TC_BIN" -config.file="$TMP/c1.yaml" > "$TMP/log1" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q 'compactor started' "$TMP/log1" 2>/dev/null && break; sleep 0.05; done
echo 1.0 > "$TMP/rate"
sleep 5
kill -TERM $pid; wait $pid || fail "non-zero exit after SIGTERM under faults"
echo 0 > "$TMP/rate"
grep -q 'compaction failed' "$TMP/log1" || { cat "$TMP/log1"; fail "no compaction was attempted under persistent faults"; }
for t in f1 f2; do
  "$TC_BIN" block list --config "$TMP/c.yaml" --tenant $t > "$TMP/blocks1"
  [ "$(grep -c '^live ' "$TMP/blocks1")" -eq 4 ] && ! grep -q '^compacted ' "$TMP/blocks1" ||
    { cat "$TMP/blocks1"; fail "$t: persistent faults changed the inputs"; }
done

# Phase 2: faults at 20% of requests: converges, retries counted.
echo 0.2 > "$TMP/rate"
"$TC_BIN" -config.file="$TMP/c.yaml" > "$TMP/log" 2>&1 &
pid=$!
port=$(wait_port "$TMP/log") || true
[ -n "$port" ] || { cat "$TMP/log"; fail "service did not start through the proxy"; }
done_=0
for _ in $(seq 240); do
  leveled() { (curl -sf "http://127.0.0.1:$port/status/blocklist?tenant=$1" || true) | { grep -o '"compactionLevel":[1-9]' || true; } | wc -l; }
  n1=$(leveled f1); n2=$(leveled f2)
  if [ "$n1" -ge 1 ] && [ "$n2" -ge 1 ]; then done_=1; break; fi
  sleep 0.5
done
curl -sf "http://127.0.0.1:$port/metrics" > "$TMP/metrics" || true
kill -TERM $pid; wait $pid || fail "non-zero exit after SIGTERM"
[ $done_ -eq 1 ] || { tail -20 "$TMP/log"; fail "did not converge under 20% faults (seed $SEED)"; }
retries=$(awk '$1 ~ /^tracecompactor_backend_retries_total/ { s += $2 } END { print s + 0 }' "$TMP/metrics")
[ "$retries" -gt 0 ] || fail "no retries counted under faults"
echo 0 > "$TMP/rate"
for t in f1 f2; do
  "$TC_BIN" block list --config "$TMP/c.yaml" --tenant $t > "$TMP/blocks"
  grep -q '^partial ' "$TMP/blocks" && { cat "$TMP/blocks"; fail "$t: partial block visible"; }
  for d in "$TMP/original/$t"/*/; do "$TC_BIN" inspect --ids "$d" | sed -n 's/^id=//p'; done | sort -u > "$TMP/ids"
  n=0
  while read -r id; do
    n=$((n + 1)); [ $(( n % 13 )) -eq 1 ] || continue
    same_trace $t "$id" "--config $TMP/c.yaml" "--path $TMP/original" || fail "$t: trace $id differs after faults (seed $SEED)"
  done < "$TMP/ids"
done
kill $proxy; wait $proxy 2>/dev/null || true
echo "ok: retries=$retries proxy: $(cat "$TMP/rate.stats" 2>/dev/null)"
