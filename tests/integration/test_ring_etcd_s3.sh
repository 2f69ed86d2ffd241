# Two replicas in one compactor ring (etcd) on one S3 bucket (the RGW
# fixture): the bucket converges with every job done exactly once and no
# span lost, and both replicas leave the ring and exit 0 on SIGTERM.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ring_lib.sh"
: "${TC_S3_ENDPOINT:?TC_S3_ENDPOINT not set: this test needs the rgw fixture}"
S3KEY=${TC_S3_ACCESS_KEY:-TCKEY}; S3SECRET=${TC_S3_SECRET_KEY:-TCSECRET}
s3() { curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3KEY:$S3SECRET" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
BUCKET="ring-$$-$RANDOM"
s3 -X PUT "http://$TC_S3_ENDPOINT/$BUCKET" >/dev/null || fail "cannot create bucket $BUCKET"
trap 'ring_cleanup; s3 -X DELETE "http://$TC_S3_ENDPOINT/$BUCKET" >/dev/null 2>&1 || true' EXIT

STORAGE="    backend: s3
    s3: {bucket: $BUCKET, endpoint: \"$TC_S3_ENDPOINT\", access_key: $S3KEY, secret_key: \"$S3SECRET\", insecure: true, forcepathstyle: true}"
replica_config 0
TENANTS="u0 u1 u2 u3 u4 u5"
# One reference time for both copies, so they hold the same blocks.
now=$(date -u +%Y-%m-%dT%H:%M:%SZ); a30=$(age 30)
i=0
for t in $TENANTS; do
  i=$((i + 1))
  for dest in "--config $TMP/r0.yaml" "--path $TMP/original"; do
    "$TC_BIN" gen $dest --now "$now" --tenant $t --flushes 2 --replicas 2 --traces 60 --spans 5 \
      --age "$a30" --flush-interval 1m --seed $i >/dev/null
  done
done
ls -d "$TMP/original"/u*/*/ | xargs -n1 basename | sort > "$TMP/inputs"

for r in 0 1; do start_replica $r; done
state() { curl -sf "http://127.0.0.1:${PORTS[0]}/status/blocklist?tenant=$1" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["live"]))' 2>/dev/null || echo none; }
for _ in $(seq 240); do
  done=1
  for t in $TENANTS; do [ "$(state $t)" = 1 ] || done=0; done
  [ $done = 1 ] && break
  sleep 0.5
done
for t in $TENANTS; do [ "$(state $t)" = 1 ] || { tail -20 "$TMP"/log.*; fail "$t did not converge on S3"; }; done
exactly_once "$TMP"/log.*
[ "$(comm -23 "$TMP/inputs" "$TMP/compacted")" = "" ] || fail "never compacted: $(comm -23 "$TMP/inputs" "$TMP/compacted")"
grep -q 'level=error' "$TMP"/log.* && { grep 'level=error' "$TMP"/log.*; fail "errors in the logs"; }
for t in u0 u3; do same_sample $t "$TMP/original" "--config $TMP/r0.yaml" 9; done
[ "$(ring_states)" = "replica-0=ACTIVE replica-1=ACTIVE" ] || fail "ring: $(ring_states)"
stop_replica 0
stop_replica 1
[ "$(ring_states)" = "" ] || fail "ring not empty: $(ring_states)"
echo ok
