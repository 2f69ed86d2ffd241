# The service end to end on S3 (the Ceph RGW the test fixture starts): the
# scenario of service_scenario.sh (three tenants, per-tenant retention,
# convergence, tenant index, metrics, SIGTERM); a wrong secret and a missing
# bucket are clear startup errors.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/service_scenario.sh"
: "${TC_S3_ENDPOINT:?TC_S3_ENDPOINT not set: this test needs the rgw fixture}"
KEY=${TC_S3_ACCESS_KEY:-TCKEY}; SECRET=${TC_S3_SECRET_KEY:-TCSECRET}
# curl's own signer is enough for these few test requests when the payload is
# declared unsigned and query values are pre-encoded.
s3() { curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$KEY:$SECRET" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
BUCKET="svc-$$-$RANDOM"
s3 -X PUT "http://$TC_S3_ENDPOINT/$BUCKET" >/dev/null || fail "cannot create bucket $BUCKET"
trap 'scenario_cleanup; s3 -X DELETE "http://$TC_S3_ENDPOINT/$BUCKET" >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT

s3_yaml() { # SECRET BUCKET
  echo "s3: {bucket: $2, endpoint: \"$TC_S3_ENDPOINT\", access_key: $KEY, secret_key: \"$1\", insecure: true, forcepathstyle: true}"
}
list_keys() {
  s3 "http://$TC_S3_ENDPOINT/$BUCKET?list-type=2&prefix=$(python3 -c 'import sys,urllib.parse as u; print(u.quote(sys.argv[1], safe=""))' "$1")" |
    python3 -c 'import re,sys; [print(k) for k in re.findall(r"<Key>([^<]*)</Key>", sys.stdin.read())]'
}
get_object() { s3 "http://$TC_S3_ENDPOINT/$BUCKET/$1" -o "$2"; }
storage_yaml=$(s3_yaml "$SECRET" "$BUCKET")
service_scenario S3
grep -q "$SECRET" "$TMP/config.out" && fail "the secret appears in /config"

# A wrong secret and a missing bucket: startup errors naming the S3 error code, nothing written.
scenario_config "$TMP/bad.yaml" "$(s3_yaml not-the-secret "$BUCKET")"
expect_exit 1 "$TC_BIN" -config.file="$TMP/bad.yaml"
grep -q SignatureDoesNotMatch "$TMP/err" || fail "wrong secret: $(cat "$TMP/err")"
scenario_config "$TMP/nobucket.yaml" "$(s3_yaml "$SECRET" "no-such-bucket-$$")"
expect_exit 1 "$TC_BIN" -config.file="$TMP/nobucket.yaml"
grep -q NoSuchBucket "$TMP/err" || fail "missing bucket: $(cat "$TMP/err")"
grep -q "$SECRET" "$TMP/log" "$TMP/err" && fail "the secret appears in the logs"
echo ok
