# shellcheck shell=bash
# The S3 (RGW fixture) side of the backend-neutral scenarios
# (service_scenario.sh, sigterm_scenario.sh): sourced after lib.sh.
#   store_create NAME / store_drop NAME   a bucket
#   store_yaml SECRET NAME [EXTRA]        the storage.trace keys of the backend, one flow line
#   store_ls NAME PREFIX                  object keys under PREFIX
#   store_get NAME KEY FILE
#   store_pending NAME                    what an abandoned streamed write left stored (open uploads)
: "${TC_S3_ENDPOINT:?TC_S3_ENDPOINT not set: this test needs the rgw fixture}"
KEY=${TC_S3_ACCESS_KEY:-TCKEY}; STORE_SECRET=${TC_S3_SECRET_KEY:-TCSECRET}
STORE_BACKEND=s3
STORE_BAD_CODE=SignatureDoesNotMatch
STORE_MISSING_CODE=NoSuchBucket
STORE_STREAM_EXTRA="part_size: 5242880"
# curl's own signer is enough for these few test requests when the payload is
# declared unsigned and query values are pre-encoded.
s3() { curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$KEY:$STORE_SECRET" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
store_create() { s3 -X PUT "http://$TC_S3_ENDPOINT/$1" >/dev/null; }
store_drop() { s3 -X DELETE "http://$TC_S3_ENDPOINT/$1" >/dev/null 2>&1 || true; }
store_yaml() {
  echo "s3: {bucket: $2, endpoint: \"$TC_S3_ENDPOINT\", access_key: $KEY, secret_key: \"$1\", insecure: true, forcepathstyle: true${3:+, $3}}"
}
store_ls() {
  local p=${2//\//%2F}
  s3 "http://$TC_S3_ENDPOINT/$1?list-type=2&prefix=$p" | grep -o '<Key>[^<]*</Key>' | sed 's/<[^>]*>//g'
}
store_get() { s3 "http://$TC_S3_ENDPOINT/$1/$2" -o "$3"; }
store_pending() { s3 "http://$TC_S3_ENDPOINT/$1?uploads=" | grep -o '<Key>[^<]*</Key>' || true; }
