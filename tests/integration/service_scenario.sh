# shellcheck shell=bash
# The service end to end on an object store, whichever (three tenants): sourced by
# test_service_s3.sh, test_service_azure.sh and test_service_gcs.sh after
# lib.sh and the store's functions (store_s3.sh, store_azure.sh,
# store_gcs.sh). Convergence with every trace ID kept and sampled traces
# span-identical, retention with a per-tenant override, the tenant index of
# every tenant, request metrics, the key redacted in /config, SIGTERM; a
# wrong key and a missing bucket are startup errors naming the store's error
# code.
#
# Optional in the store's file: STORE_SECRET_TEXT, what of the secret must
# never be shown (default: STORE_SECRET itself); STORE_KEY_IN_CONFIG=0 when
# the key is not a config value (so /config has nothing to redact);
# STORE_BAD_SECRET, a wrong secret; store_env SECRET CMD..., runs CMD with
# what the secret needs in the environment; store_after_run, the store's own
# checks once the service has stopped.
: "${STORE_SECRET_TEXT:=$STORE_SECRET}"
: "${STORE_KEY_IN_CONFIG:=1}"
# (a wrong key of the right shape: base64 where the backend wants it)
: "${STORE_BAD_SECRET:=bm90LXRoZS1zZWNyZXQtbm90LXRoZS1zZWNyZXQ=}"
declare -F store_env >/dev/null || store_env() { shift; "$@"; }
BUCKET="svc-$$-$RANDOM"
store_create "$BUCKET" || fail "cannot create $BUCKET"

config() { # config FILE SECRET BUCKET
  cat > "$1" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0, graceful_shutdown_timeout: 10s}
compactor:
  compaction: {compaction_cycle: 1s, compacted_block_retention: 3s}
storage:
  trace:
    backend: $STORE_BACKEND
    blocklist_poll: 1s
    $(store_yaml "$2" "$3")
overrides: {per_tenant_override_config: $TMP/overrides.yaml, per_tenant_override_period: 1s}
YAML
}
printf 'overrides:\n  "tenant-b":\n    block_retention: 48h\n' > "$TMP/overrides.yaml"
config "$TMP/c.yaml" "$STORE_SECRET" "$BUCKET"

now=$(date -u +%Y-%m-%dT%H:%M:%SZ); nows=$(date -d "$now" +%s)
age() { echo "$(( nows - ( (nows - $1 * 3600) / 3600 * 3600 + 1200 ) ))s"; }
seed_both() { # the same blocks into the store and into a local copy to compare against
  "$TC_BIN" gen --config "$TMP/c.yaml" --now "$now" "$@" >/dev/null
  "$TC_BIN" gen --path "$TMP/original" --now "$now" "$@" >/dev/null
}
seed_both --tenant tenant-a --flushes 2 --replicas 2 --traces 120 --spans 6 --age "$(age 30)" --flush-interval 1m --seed 31
seed_both --tenant tenant-b --flushes 2 --replicas 2 --traces 100 --spans 6 --age "$(age 30)" --flush-interval 1m --seed 32
seed_both --tenant tenant-b --flushes 1 --replicas 2 --traces 40 --spans 6 --age "$(age 100)" --flush-interval 1m --seed 33
seed_both --tenant tenant-c --flushes 3 --replicas 1 --traces 60 --spans 4 --age "$(age 30)" --flush-interval 1m --seed 34
old_b=$(for d in "$TMP"/original/tenant-b/*/; do
  python3 -c 'import json,sys,datetime as D; e=json.load(open(sys.argv[1]))["endTime"]; sys.exit(0 if (D.datetime.now(D.timezone.utc)-D.datetime.fromisoformat(e.replace("Z","+00:00"))).total_seconds()>72*3600 else 1)' "$d/meta.json" && basename "$d"; done || true)
[ "$(echo $old_b | wc -w)" -eq 2 ] || fail "setup: old tenant-b blocks: $old_b"

"$TC_BIN" -config.file="$TMP/c.yaml" > "$TMP/log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; store_drop "$BUCKET"; rm -rf "$TMP"' EXIT
port=$(wait_port "$TMP/log") || true
[ -n "$port" ] || { cat "$TMP/log"; fail "service did not start"; }
url="http://127.0.0.1:$port"
state() { curl -sf "$url/status/blocklist?tenant=$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["live"]), len(d["compacted"]))' 2>/dev/null || echo none; }
for _ in $(seq 240); do
  [ "$(state tenant-a)" = "1 0" ] && [ "$(state tenant-b)" = "1 0" ] && [ "$(state tenant-c)" = "1 0" ] && break
  sleep 0.5
done
[ "$(state tenant-a)" = "1 0" ] && [ "$(state tenant-b)" = "1 0" ] && [ "$(state tenant-c)" = "1 0" ] || { tail -30 "$TMP/log"; fail "did not converge on $STORE_BACKEND"; }
sleep 2.5
curl -sf "$url/metrics" > "$TMP/metrics"
grep -q '^tempodb_backend_request_duration_seconds_count{operation="GET",status_code="200"}' "$TMP/metrics" || fail "no request metrics"
grep -q '^tempodb_compaction_errors_total 0' "$TMP/metrics" || fail "compaction errors: $(grep errors_total "$TMP/metrics")"
marked=$(awk '$1 == "tempodb_retention_marked_for_deletion_total" { print $2 }' "$TMP/metrics")
[ "${marked:-0}" -ge 1 ] || fail "retention marked nothing"
curl -sf "$url/config" > "$TMP/config" || fail "no /config"
grep -qF -- "$STORE_SECRET_TEXT" "$TMP/config" && fail "/config shows the key"
[ "$STORE_KEY_IN_CONFIG" = 0 ] || grep -q "<redacted>" "$TMP/config" || fail "/config does not say the key is redacted"
kill -TERM $pid; wait $pid || fail "non-zero exit after SIGTERM"

# Retention removed every object of the old tenant-b blocks, and nothing of the others.
store_ls "$BUCKET" "" > "$TMP/all" || fail "cannot list $BUCKET"
for b in $old_b; do
  grep -q "^tenant-b/$b/" "$TMP/all" && fail "old block $b still has objects"
done
grep -q "^tenant-a/.*/meta.json$" "$TMP/all" || fail "the listing shows no live block: $(head "$TMP/all")"
# Tenant index = the live block the service reports, for every tenant.
for t in tenant-a tenant-b tenant-c; do
  store_get "$BUCKET" $t/index.json.gz "$TMP/idx.gz" || fail "no tenant index for $t"
  python3 -c 'import gzip,json,sys; d=json.load(gzip.open(sys.argv[1])); assert len(d["meta"])==1 and d["meta"][0]["compactionLevel"]>=1, d' "$TMP/idx.gz" || fail "tenant index content of $t"
done

# Every sampled trace, and the young tenant-b traces, span for span.
for t in tenant-a tenant-b tenant-c; do
  for d in "$TMP/original/$t"/*/; do
    echo "$old_b" | grep -qx "$(basename "$d")" && continue
    "$TC_BIN" inspect --ids "$d" | sed -n 's/^id=//p'
  done | sort -u > "$TMP/ids"
  n=0
  while read -r id; do
    n=$((n + 1)); [ $(( n % 11 )) -eq 1 ] || continue
    same_trace $t "$id" "--config $TMP/c.yaml" "--path $TMP/original" || fail "$t: trace $id differs on $STORE_BACKEND"
  done < "$TMP/ids"
done

declare -F store_after_run >/dev/null && store_after_run

# A wrong key and a missing bucket: startup errors naming the store's error code, nothing written.
config "$TMP/bad.yaml" "$STORE_BAD_SECRET" "$BUCKET"
store_env "$STORE_BAD_SECRET" expect_exit 1 "$TC_BIN" -config.file="$TMP/bad.yaml"
grep -qE "$STORE_BAD_CODE" "$TMP/err" || fail "wrong secret: $(cat "$TMP/err")"
config "$TMP/nobucket.yaml" "$STORE_SECRET" "no-such-bucket-$$"
store_env "$STORE_SECRET" expect_exit 1 "$TC_BIN" -config.file="$TMP/nobucket.yaml"
grep -q "$STORE_MISSING_CODE" "$TMP/err" || fail "missing bucket: $(cat "$TMP/err")"
grep -qF -- "$STORE_SECRET_TEXT" "$TMP/log" "$TMP/err" && fail "the secret appears in the logs"
echo ok
