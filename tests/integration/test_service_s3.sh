# The service end to end on S3 (the Ceph RGW the test fixture starts):
# convergence with every trace ID kept and sampled traces span-identical, retention with a per-tenant override,
# the tenant index, request metrics, SIGTERM; a wrong secret and a missing
# bucket are clear startup errors.
source "$(dirname "$0")/lib.sh"
: "${TC_S3_ENDPOINT:?TC_S3_ENDPOINT not set: this test needs the rgw fixture}"
KEY=${TC_S3_ACCESS_KEY:-TCKEY}; SECRET=${TC_S3_SECRET_KEY:-TCSECRET}
# curl's own signer is enough for these few test requests when the payload is
# declared unsigned and query values are pre-encoded.
s3() { curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$KEY:$SECRET" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
BUCKET="svc-$$-$RANDOM"
s3 -X PUT "http://$TC_S3_ENDPOINT/$BUCKET" >/dev/null || fail "cannot create bucket $BUCKET"

config() { # config FILE SECRET BUCKET
  cat > "$1" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0, graceful_shutdown_timeout: 10s}
compactor:
  compaction: {compaction_cycle: 1s, compacted_block_retention: 3s}
storage:
  trace:
    backend: s3
    blocklist_poll: 1s
    s3: {bucket: $3, endpoint: "$TC_S3_ENDPOINT", access_key: $KEY, secret_key: "$2", insecure: true, forcepathstyle: true}
overrides: {per_tenant_override_config: $TMP/overrides.yaml, per_tenant_override_period: 1s}
YAML
}
printf 'overrides:\n  "tenant-b":\n    block_retention: 48h\n' > "$TMP/overrides.yaml"
config "$TMP/c.yaml" "$SECRET" "$BUCKET"

now=$(date -u +%Y-%m-%dT%H:%M:%SZ); nows=$(date -d "$now" +%s)
age() { echo "$(( nows - ( (nows - $1 * 3600) / 3600 * 3600 + 1200 ) ))s"; }
seed_both() { # the same blocks into S3 and into a local copy to compare against
  "$TC_BIN" gen --config "$TMP/c.yaml" --now "$now" "$@" >/dev/null
  "$TC_BIN" gen --path "$TMP/original" --now "$now" "$@" >/dev/null
}
seed_both --tenant tenant-a --flushes 2 --replicas 2 --traces 120 --spans 6 --age "$(age 30)" --flush-interval 1m --seed 31
seed_both --tenant tenant-b --flushes 2 --replicas 2 --traces 100 --spans 6 --age "$(age 30)" --flush-interval 1m --seed 32
seed_both --tenant tenant-b --flushes 1 --replicas 2 --traces 40 --spans 6 --age "$(age 100)" --flush-interval 1m --seed 33
old_b=$(for d in "$TMP"/original/tenant-b/*/; do
  python3 -c 'import json,sys,datetime as D; e=json.load(open(sys.argv[1]))["endTime"]; sys.exit(0 if (D.datetime.now(D.timezone.utc)-D.datetime.fromisoformat(e.replace("Z","+00:00"))).total_seconds()>72*3600 else 1)' "$d/meta.json" && basename "$d"; done || true)
[ "$(echo $old_b | wc -w)" -eq 2 ] || fail "setup: old tenant-b blocks: $old_b"

"$TC_BIN" -config.file="$TMP/c.yaml" > "$TMP/log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; s3 -X DELETE "http://$TC_S3_ENDPOINT/$BUCKET" >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
port=$(wait_port "$TMP/log") || true
[ -n "$port" ] || { cat "$TMP/log"; fail "service did not start"; }
url="http://127.0.0.1:$port"
state() { curl -sf "$url/status/blocklist?tenant=$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["live"]), len(d["compacted"]))' 2>/dev/null || echo none; }
for _ in $(seq 240); do
  [ "$(state tenant-a)" = "1 0" ] && [ "$(state tenant-b)" = "1 0" ] && break
  sleep 0.5
done
[ "$(state tenant-a)" = "1 0" ] && [ "$(state tenant-b)" = "1 0" ] || { tail -30 "$TMP/log"; fail "did not converge on S3"; }
sleep 2.5
curl -sf "$url/metrics" > "$TMP/metrics"
grep -q '^tempodb_backend_request_duration_seconds_count{operation="GET",status_code="200"}' "$TMP/metrics" || fail "no request metrics"
grep -q '^tempodb_compaction_errors_total 0' "$TMP/metrics" || fail "compaction errors: $(grep errors_total "$TMP/metrics")"
marked=$(awk '$1 == "tempodb_retention_marked_for_deletion_total" { print $2 }' "$TMP/metrics")
[ "${marked:-0}" -ge 1 ] || fail "retention marked nothing"
kill -TERM $pid; wait $pid || fail "non-zero exit after SIGTERM"

# Retention removed every object of the old tenant-b blocks, and nothing of the others.
for b in $old_b; do
  s3 "http://$TC_S3_ENDPOINT/$BUCKET?list-type=2&prefix=tenant-b%2F$b%2F" > "$TMP/list" || fail "cannot list the bucket"
  grep -q '<Key>' "$TMP/list" && fail "old block $b still has objects"
done
# Tenant index = the live block the service reports.
s3 "http://$TC_S3_ENDPOINT/$BUCKET/tenant-a/index.json.gz" -o "$TMP/idx.gz" || fail "no tenant index"
python3 -c 'import gzip,json,sys; d=json.load(gzip.open(sys.argv[1])); assert len(d["meta"])==1 and d["meta"][0]["compactionLevel"]>=1, d' "$TMP/idx.gz" || fail "tenant index content"

# Every sampled trace of tenant-a and the young tenant-b traces, span for span.
for t in tenant-a tenant-b; do
  for d in "$TMP/original/$t"/*/; do
    echo "$old_b" | grep -qx "$(basename "$d")" && continue
    "$TC_BIN" inspect --ids "$d" | sed -n 's/^id=//p'
  done | sort -u > "$TMP/ids"
  n=0
  while read -r id; do
    n=$((n + 1)); [ $(( n % 11 )) -eq 1 ] || continue
    same_trace $t "$id" "--config $TMP/c.yaml" "--path $TMP/original" || fail "$t: trace $id differs on S3"
  done < "$TMP/ids"
done

# A wrong secret and a missing bucket: startup errors naming the S3 error code, nothing written.
config "$TMP/bad.yaml" "not-the-secret" "$BUCKET"
expect_exit 1 "$TC_BIN" -config.file="$TMP/bad.yaml"
grep -q SignatureDoesNotMatch "$TMP/err" || fail "wrong secret: $(cat "$TMP/err")"
config "$TMP/nobucket.yaml" "$SECRET" "no-such-bucket-$$"
expect_exit 1 "$TC_BIN" -config.file="$TMP/nobucket.yaml"
grep -q NoSuchBucket "$TMP/err" || fail "missing bucket: $(cat "$TMP/err")"
grep -q "$SECRET" "$TMP/log" "$TMP/err" && fail "the secret appears in the logs"
echo ok
