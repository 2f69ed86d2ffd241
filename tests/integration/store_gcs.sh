# shellcheck shell=bash
# The GCS side of the backend-neutral scenarios (service_scenario.sh,
# sigterm_scenario.sh), with Tempo 1.5's gcs keys, against the fake of
# tests/fake_gcs.py (started here, gone with this shell) and a
# service-account key made here with openssl, whose 6 s tokens must be
# renewed. Same functions as store_s3.sh; the "secret" passed around is a
# key file, which reaches the service as GOOGLE_APPLICATION_CREDENTIALS (the
# gcs keys have none), so STORE_SECRET_TEXT is a line of its private key.
GCS_EMAIL=tc-it@tc-project.iam.gserviceaccount.com
STORE_BACKEND=gcs
STORE_BAD_CODE="400 invalid_grant"
STORE_MISSING_CODE="not found (404 notFound)"
STORE_STREAM_EXTRA=
STORE_KEY_IN_CONFIG=0
mkdir -p "$TMP/gcs"
openssl genrsa -out "$TMP/gcs/key.pem" 2048 2>/dev/null || fail "openssl genrsa"
openssl rsa -in "$TMP/gcs/key.pem" -pubout -out "$TMP/gcs/pub.pem" 2>/dev/null || fail "openssl rsa -pubout"
GCS_VIOLATIONS=$TMP/gcs/violations; : > "$GCS_VIOLATIONS"
python3 "$TC_SRC/tests/fake_gcs.py" --port-file "$TMP/gcs/port" --auth --token-lifetime 6 \
  --client-email "$GCS_EMAIL" --public-key "$TMP/gcs/pub.pem" --violations "$GCS_VIOLATIONS" \
  --parent $$ > "$TMP/gcs/fake.log" 2>&1 &
for _ in $(seq 100); do [ -s "$TMP/gcs/port" ] && break; sleep 0.05; done
GCS_PORT=$(cat "$TMP/gcs/port" 2>/dev/null) || fail "the fake GCS did not start: $(cat "$TMP/gcs/fake.log")"
GCS_ENDPOINT="http://127.0.0.1:$GCS_PORT/storage/v1/"
GCS_FAKE="http://127.0.0.1:$GCS_PORT/_fake"
# gcs_key_file PEM: a service-account key file for PEM, its token_uri on the fake.
gcs_key_file() {
  python3 - "$1" "$GCS_EMAIL" "http://127.0.0.1:$GCS_PORT/token" <<'PY'
import json, sys
pem, email, uri = sys.argv[1:]
print(json.dumps({"type": "service_account", "project_id": "tc-project",
                  "private_key_id": "it-key-1", "private_key": open(pem).read(),
                  "client_email": email, "client_id": "1", "token_uri": uri}, indent=2))
PY
}
gcs_key_file "$TMP/gcs/key.pem" > "$TMP/gcs/sa.json"
STORE_SECRET=$TMP/gcs/sa.json
STORE_SECRET_TEXT=$(sed -n 2p "$TMP/gcs/key.pem")
export GOOGLE_APPLICATION_CREDENTIALS=$STORE_SECRET
# A wrong key: the same account, another RSA key.
openssl genrsa -out "$TMP/gcs/other.pem" 2048 2>/dev/null || fail "openssl genrsa"
gcs_key_file "$TMP/gcs/other.pem" > "$TMP/gcs/other.json"
STORE_BAD_SECRET=$TMP/gcs/other.json
store_env() { local key=$1; shift; GOOGLE_APPLICATION_CREDENTIALS=$key "$@"; }

store_create() { curl -sf -X POST "$GCS_FAKE/bucket?name=$1" >/dev/null; }
store_drop() { :; } # the fake's buckets go with it
store_yaml() {
  echo "gcs: {bucket_name: $2, endpoint: \"$GCS_ENDPOINT\", chunk_buffer_size: 262144, object_cache_control: no-cache, object_metadata: {team: tracing}, hedge_requests_at: 500ms${3:+, $3}}"
}
store_ls() { curl -sf "$GCS_FAKE/list?bucket=$1&prefix=$(python3 -c 'import sys,urllib.parse as u; print(u.quote(sys.argv[1], safe=""))' "$2")"; }
store_get() { curl -sf "$GCS_FAKE/object?bucket=$1&name=$(python3 -c 'import sys,urllib.parse as u; print(u.quote(sys.argv[1], safe=""))' "$2")" -o "$3"; }
# gcs_stat NAME: one of the fake's stats ("tokens_issued", "violations", "requests.list"...).
gcs_stat() {
  curl -sf "$GCS_FAKE/stats" | python3 -c '
import json, sys
d = json.load(sys.stdin); k = sys.argv[1]
v = d["requests"].get(k[9:], 0) if k.startswith("requests.") else d[k]
print(len(v) if isinstance(v, list) else v)' "$1"
}
# Resumable upload sessions left open (real GCS expires them after a week).
store_pending() { curl -sf "$GCS_FAKE/stats" | python3 -c 'import json,sys; [print(n) for n in json.load(sys.stdin)["open_uploads"]]'; }

# After the service scenario's run: a current bearer token on every request
# (the fake's violations stay empty), renewed tokens, uploads carrying the
# configured object metadata, marking compacted by rewrite, no token shown.
store_after_run() {
  [ ! -s "$GCS_VIOLATIONS" ] || fail "requests the fake GCS refused: $(head -5 "$GCS_VIOLATIONS")"
  local tokens; tokens=$(gcs_stat tokens_issued)
  [ "$tokens" -ge 2 ] || fail "$tokens tokens: the 6 s tokens were not renewed"
  # with object metadata configured, every small object is a multipart upload
  [ "$(gcs_stat requests.upload_multipart)" -ge 1 ] || fail "no multipart upload"
  [ "$(gcs_stat requests.upload_media)" -eq 0 ] || fail "a media upload cannot carry the metadata"
  [ "$(gcs_stat open_uploads)" -eq 0 ] || fail "upload sessions left open"
  [ "$(gcs_stat requests.rewrite)" -ge 1 ] || fail "no rewrite (mark compacted)"
  curl -sf "$GCS_FAKE/object?bucket=$BUCKET&name=tenant-a%2Findex.json.gz&meta=1" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["cacheControl"]=="no-cache" and d["metadata"]=={"team":"tracing"}, d' ||
    fail "object metadata not applied"
  grep -q 'object_metadata: {"team": "tracing"}' "$TMP/config" || fail "/config lacks object_metadata"
  grep -q "ya29\." "$TMP/log" "$TMP/config" && fail "an access token appears in the log or /config"
  return 0
}
