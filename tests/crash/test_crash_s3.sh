# The crash test on S3 (RGW fixture): SIGKILL at random moments, at least
# 30 times, then a clean run to convergence; every sampled trace keeps its
# spans byte for byte, one block per window, no partial block, no
# multipart upload left open.
source "$(dirname "$0")/../integration/lib.sh"
: "${TC_S3_ENDPOINT:?TC_S3_ENDPOINT not set: this test needs the rgw fixture}"
KEY=${TC_S3_ACCESS_KEY:-TCKEY}; SECRET=${TC_S3_SECRET_KEY:-TCSECRET}
s3() { curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$KEY:$SECRET" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
SEED=${TC_CRASH_SEED:-$(date +%s)}
KILLS=${TC_CRASH_KILLS:-30}
echo "crash test (s3): seed=$SEED kills=$KILLS (rerun with TC_CRASH_SEED=$SEED)"
RANDOM=$SEED
BUCKET="crash-$$-$RANDOM"
s3 -X PUT "http://$TC_S3_ENDPOINT/$BUCKET" >/dev/null || fail "cannot create bucket"

cat > "$TMP/c.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0}
compactor:
  compaction: {compaction_cycle: 100ms, compacted_block_retention: 1s, partial_block_grace: 2s, flush_size_bytes: 32768}
storage:
  trace:
    backend: s3
    blocklist_poll: 500ms
    block: {index_downsample_bytes: 32768}
    s3: {bucket: $BUCKET, endpoint: "$TC_S3_ENDPOINT", access_key: $KEY, secret_key: "$SECRET", insecure: true,
         forcepathstyle: true, part_size: 5242880}
YAML
now=$(date -u +%Y-%m-%dT%H:%M:%SZ); nows=$(date -d "$now" +%s)
age="$(( nows - ( (nows - 30 * 3600) / 3600 * 3600 + 1200 ) ))s"
args="--tenant t1 --flushes 3 --replicas 3 --traces 500 --spans 10 --age $age --flush-interval 1m --seed 41"
"$TC_BIN" gen --config "$TMP/c.yaml" --now "$now" $args >/dev/null
"$TC_BIN" gen --path "$TMP/original" --now "$now" $args >/dev/null

for i in $(seq "$KILLS"); do
  "$TC_BIN" -config.file="$TMP/c.yaml" >> "$TMP/log" 2>&1 &
  pid=$!
  delay=$(( RANDOM % 1500 + 50 ))
  sleep "$(printf '0.%03d' $((delay % 1000)))"; [ $delay -ge 1000 ] && sleep 1
  kill -9 $pid; wait $pid 2>/dev/null || true
done

"$TC_BIN" -config.file="$TMP/c.yaml" >> "$TMP/log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT
settled() {
  "$TC_BIN" block list --config "$TMP/c.yaml" --tenant t1 > "$TMP/blocks" 2>/dev/null || return 1
  [ "$(grep -c '^live ' "$TMP/blocks")" -eq 1 ] && ! grep -q '^partial \|^compacted ' "$TMP/blocks"
}
for _ in $(seq 200); do settled && break; sleep 0.3; done
settled || { cat "$TMP/blocks"; tail -30 "$TMP/log"; fail "bucket did not converge (seed $SEED)"; }
# Uploads of killed writers are aborted by the poller once older than partial_block_grace.
for _ in $(seq 40); do
  s3 "http://$TC_S3_ENDPOINT/$BUCKET?uploads=" > "$TMP/uploads" || fail "cannot list multipart uploads"
  grep -q '<Upload>' "$TMP/uploads" || break
  sleep 0.5
done
grep -q '<Upload>' "$TMP/uploads" && { cat "$TMP/uploads"; fail "multipart uploads of killed writers left open"; }
kill -TERM $pid; wait $pid || fail "non-zero exit after SIGTERM"

for d in "$TMP/original/t1"/*/; do "$TC_BIN" inspect --ids "$d" | sed -n 's/^id=//p'; done | sort -u > "$TMP/ids"
n=0
while read -r id; do
  n=$((n + 1)); [ $(( n % 17 )) -eq 1 ] || continue
  same_trace t1 "$id" "--config $TMP/c.yaml" "--path $TMP/original" || fail "trace $id differs after crashes (seed $SEED)"
done < "$TMP/ids"
echo "ok: $KILLS kills, $(grep -c 'msg="compacted blocks"' "$TMP/log") compactions, $(grep -c 'removed partial block' "$TMP/log") partial blocks cleaned"
