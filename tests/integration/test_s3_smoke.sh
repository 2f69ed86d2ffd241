#!/usr/bin/env bash
# The RGW fixture is up and speaks S3 on TC_S3_ENDPOINT: an anonymous
# ListAllMyBuckets answers S3 XML, a request signed (SigV4) with
# TC_S3_ACCESS_KEY/TC_S3_SECRET_KEY lists the test user's buckets, and one
# signed with a wrong secret is refused with SignatureDoesNotMatch.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${TC_S3_ENDPOINT:?TC_S3_ENDPOINT not set: run through ctest (fixture rgw)}"
: "${TC_S3_ACCESS_KEY:?}" "${TC_S3_SECRET_KEY:?}"
url="http://$TC_S3_ENDPOINT/"
empty=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

body=$(curl -sS --max-time 10 "$url") || fail "no answer from $url"
case "$body" in
  '<?xml'*ListAllMyBucketsResult*) ;;
  *) fail "anonymous GET $url is not S3 XML: $body" ;;
esac

signed() {  # signed SECRET: http code, then body
  curl -sS --max-time 10 -w '\n%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$TC_S3_ACCESS_KEY:$1" -H "x-amz-content-sha256: $empty" "$url"
}
out=$(signed "$TC_S3_SECRET_KEY") || fail "signed GET $url failed"
[ "${out##*$'\n'}" = 200 ] || fail "signed GET $url: $out"
grep -q "<ID>[^<]*</ID>" <<<"$out" || fail "signed GET $url: no owner in $out"

out=$(signed "not-$TC_S3_SECRET_KEY") || fail "signed GET $url failed"
[ "${out##*$'\n'}" = 403 ] && grep -q SignatureDoesNotMatch <<<"$out" \
  || fail "a wrong secret was not refused: $out"
echo "rgw at $TC_S3_ENDPOINT answers S3"
