# Incremental polling on S3, the RGW fixture (tests/integration/poll_changes_lib.sh):
# changes made with plain S3 requests behind the service's back.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/poll_changes_lib.sh"
: "${TC_S3_ENDPOINT:?TC_S3_ENDPOINT not set: this test needs the rgw fixture}"
KEY=${TC_S3_ACCESS_KEY:-TCKEY}; SECRET=${TC_S3_SECRET_KEY:-TCSECRET}
s3() { curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$KEY:$SECRET" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
BUCKET="poll-$$-$RANDOM"
B="http://$TC_S3_ENDPOINT/$BUCKET"
s3 -X PUT "$B" >/dev/null || fail "cannot create bucket $BUCKET"
config_backend() {
  printf '    backend: s3\n    s3: {bucket: %s, endpoint: "%s", access_key: %s, secret_key: "%s", insecure: true, forcepathstyle: true}\n' \
    "$BUCKET" "$TC_S3_ENDPOINT" "$KEY" "$SECRET"
}
keys() { # PREFIX: every key below it
  s3 "$B?list-type=2&prefix=${1//\//%2F}" | python3 -c '
import re, sys
print("\n".join(re.findall(r"<Key>([^<]*)</Key>", sys.stdin.read())))'
}
cleanup_backend() { for k in $(keys ""); do s3 -X DELETE "$B/$k" >/dev/null || true; done; s3 -X DELETE "$B" >/dev/null 2>&1 || true; }
add_block() { "$TC_BIN" gen --config "$TMP/c.yaml" --tenant "$1" --flushes 1 --replicas 1 --traces 20 --spans 3 --age "$3h" --seed "$2" >/dev/null; }
truth() {
  keys "$1/" | python3 -c '
import sys
blocks = {}
for k in sys.stdin.read().split():
    parts = k.split("/")
    if len(parts) == 3:
        blocks.setdefault(parts[1], set()).add(parts[2])
live = sorted(b for b, o in blocks.items() if "meta.json" in o)
comp = sorted(b for b, o in blocks.items() if "meta.json" not in o and "meta.compacted.json" in o)
print("live:", " ".join(live)); print("compacted:", " ".join(comp))
print("quarantined:", " ".join(b for b in live if "nocompact.json" in blocks[b]))'
}
get_index() { s3 "$B/$1/index.json.gz" -o "$2"; }
mark_compacted() {
  s3 -X PUT -H "x-amz-copy-source: /$BUCKET/$1/$2/meta.json" "$B/$1/$2/meta.compacted.json" >/dev/null
  s3 -X DELETE "$B/$1/$2/meta.json" >/dev/null
}
quarantine() { s3 -X PUT --data-binary '{"reason":"by hand"}' "$B/$1/$2/nocompact.json" >/dev/null; }
unquarantine() { s3 -X DELETE "$B/$1/$2/nocompact.json" >/dev/null; }
delete_block() { for k in $(keys "$1/$2/"); do s3 -X DELETE "$B/$k" >/dev/null; done; }
break_meta() { s3 "$B/$1/$2/meta.json" -o "$TMP/saved-meta"; s3 -X PUT --data-binary '{"format":' "$B/$1/$2/meta.json" >/dev/null; }
fix_meta() { s3 -X PUT --data-binary @"$TMP/saved-meta" "$B/$1/$2/meta.json" >/dev/null; }
run_changes
