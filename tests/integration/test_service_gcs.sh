# The service end to end on GCS, against the fake of tests/fake_gcs.py with a
# service-account key (made here) whose short-lived tokens must be renewed:
# the scenario of service_scenario.sh, a current bearer token on every
# request (the fake's violations stay empty), uploads carrying the configured
# object metadata, no key or token in the logs or
# /config; a wrong key and a missing bucket are startup errors naming GCS's reason.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/service_scenario.sh"
source "$(dirname "$0")/gcs_lib.sh"
BUCKET=tempo-svc
start_fake_gcs "$BUCKET" --token-lifetime 6
trap 'scenario_cleanup; rm -rf "$TMP"' EXIT

gcs_yaml() { # BUCKET
  echo "gcs: {bucket_name: $1, endpoint: \"$GCS_ENDPOINT\", chunk_buffer_size: 262144, object_cache_control: no-cache, object_metadata: {team: tracing}, hedge_requests_at: 500ms}"
}
list_keys() { gcs_list "$BUCKET" "$1"; }
get_object() { gcs_get "$BUCKET" "$1" "$2"; }
storage_yaml=$(gcs_yaml "$BUCKET")
service_scenario GCS

[ ! -s "$GCS_VIOLATIONS" ] || fail "requests the fake GCS refused: $(head -5 "$GCS_VIOLATIONS")"
tokens=$(gcs_stat tokens_issued)
[ "$tokens" -ge 2 ] || fail "$tokens tokens: the 6 s tokens were not renewed"
# with object metadata configured, every small object is a multipart upload
[ "$(gcs_stat requests.upload_multipart)" -ge 1 ] || fail "no multipart upload"
[ "$(gcs_stat requests.upload_media)" -eq 0 ] || fail "a media upload cannot carry the metadata"
[ "$(gcs_stat open_uploads)" -eq 0 ] || fail "upload sessions left open"
grep -q 'rewrite' <(curl -sf "http://127.0.0.1:$GCS_PORT/_fake/stats") || fail "no rewrite (mark compacted)"
curl -sf "http://127.0.0.1:$GCS_PORT/_fake/object?bucket=$BUCKET&name=tenant-a%2Findex.json.gz&meta=1" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["cacheControl"]=="no-cache" and d["metadata"]=={"team":"tracing"}, d' ||
  fail "object metadata not applied"
grep -q 'object_metadata: {"team": "tracing"}' "$TMP/config.out" || fail "/config lacks object_metadata"
key_line=$(sed -n 2p "$GCS_PEM")
for f in "$TMP/log" "$TMP/config.out"; do
  grep -q "ya29\." "$f" && fail "an access token appears in $f"
  grep -qF -- "$key_line" "$f" && fail "the private key appears in $f"
done

# A wrong key (the same account, another RSA key) and a missing bucket: startup errors.
openssl genrsa -out "$TMP/gcs/other.pem" 2048 2>/dev/null
gcs_key_file "$TMP/gcs/other.pem" > "$TMP/gcs/other.json"
scenario_config "$TMP/bad.yaml" "$(gcs_yaml "$BUCKET")"
GOOGLE_APPLICATION_CREDENTIALS=$TMP/gcs/other.json expect_exit 1 "$TC_BIN" -config.file="$TMP/bad.yaml"
grep -q "400 invalid_grant" "$TMP/err" || fail "wrong key: $(cat "$TMP/err")"
grep -qF -- "$(sed -n 2p "$TMP/gcs/other.pem")" "$TMP/err" && fail "the key appears in the error"
scenario_config "$TMP/nobucket.yaml" "$(gcs_yaml no-such-bucket)"
expect_exit 1 "$TC_BIN" -config.file="$TMP/nobucket.yaml"
grep -q "bucket no-such-bucket not found (404 notFound)" "$TMP/err" || fail "missing bucket: $(cat "$TMP/err")"
echo ok
