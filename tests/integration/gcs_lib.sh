# For the GCS integration tests (source lib.sh first): a service-account key
# made here with openssl and a fake GCS (tests/fake_gcs.py) checking it.
#   start_fake_gcs BUCKET [FAKE FLAGS...]
# sets GCS_PORT, GCS_ENDPOINT, GCS_VIOLATIONS, GCS_KEY (the key file, also
# exported as GOOGLE_APPLICATION_CREDENTIALS) and GCS_PEM (its private key);
# the fake exits with this shell. gcs_stat NAME prints one of the fake's stats
# ("tokens_issued", "violations", "requests.list"...).
GCS_EMAIL=tc-it@tc-project.iam.gserviceaccount.com
start_fake_gcs() {
  local bucket=$1; shift
  mkdir -p "$TMP/gcs"
  openssl genrsa -out "$TMP/gcs/key.pem" 2048 2>/dev/null || fail "openssl genrsa"
  openssl rsa -in "$TMP/gcs/key.pem" -pubout -out "$TMP/gcs/pub.pem" 2>/dev/null || fail "openssl rsa -pubout"
  GCS_VIOLATIONS=$TMP/gcs/violations; : > "$GCS_VIOLATIONS"
  python3 "$TC_SRC/tests/fake_gcs.py" --port-file "$TMP/gcs/port" --bucket "$bucket" --auth \
    --client-email "$GCS_EMAIL" --public-key "$TMP/gcs/pub.pem" --violations "$GCS_VIOLATIONS" \
    --parent $$ "$@" > "$TMP/gcs/fake.log" 2>&1 &
  for _ in $(seq 100); do [ -s "$TMP/gcs/port" ] && break; sleep 0.05; done
  GCS_PORT=$(cat "$TMP/gcs/port" 2>/dev/null) || fail "the fake GCS did not start: $(cat "$TMP/gcs/fake.log")"
  GCS_ENDPOINT="http://127.0.0.1:$GCS_PORT/storage/v1/"
  GCS_PEM=$TMP/gcs/key.pem
  GCS_KEY=$TMP/gcs/sa.json
  gcs_key_file "$GCS_PEM" > "$GCS_KEY"
  export GOOGLE_APPLICATION_CREDENTIALS=$GCS_KEY
}
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
gcs_stat() {
  curl -sf "http://127.0.0.1:$GCS_PORT/_fake/stats" | python3 -c '
import json, sys
d = json.load(sys.stdin); k = sys.argv[1]
v = d["requests"].get(k[9:], 0) if k.startswith("requests.") else d[k]
print(len(v) if isinstance(v, list) else v)' "$1"
}
gcs_list() { curl -sf "http://127.0.0.1:$GCS_PORT/_fake/list?bucket=$1&prefix=$2"; }
gcs_get() { curl -sf "http://127.0.0.1:$GCS_PORT/_fake/object?bucket=$1&name=$(python3 -c 'import sys,urllib.parse as u; print(u.quote(sys.argv[1], safe=""))' "$2")" -o "$3"; }
