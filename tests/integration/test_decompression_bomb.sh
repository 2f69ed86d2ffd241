# Decompression bombs (docs/FORMAT.md#decompression-caps): a data page of
# a few kilobytes that decompresses to up to 1 GiB, in every compressing
# codec, is refused by inspect, query, compact and the service, each
# within a few MB of the peak RSS it has on a good block of the same
# tenant. Peak RSS is GNU time's %M for the commands and VmHWM for the
# service. The pages' caps follow the config: allowed, a bomb's object
# reads.
source "$(dirname "$0")/lib.sh"
: "${TC_MKBOMB:?TC_MKBOMB must point at the tc_mkbomb test tool}"
[ -x /usr/bin/time ] || fail "GNU time is missing (scripts/install-deps.sh installs it)"

# "A few MB": a refused bomb costs a chunk, a window and (compact) the
# pages written before it failed, against about 1 GB before the caps.
SLACK_KB=20480
# Under ASan freed memory stays resident in its quarantine (it would count
# as the bomb's) and every allocation carries redzones and shadow.
if ldd "$TC_BIN" 2>/dev/null | grep -q libasan; then
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
  SLACK_KB=28672
fi
B="$TMP/bucket"; mkdir -p "$B"
# An age that puts a block's end 20 minutes into an hour H hours ago (test_service.sh).
age() { local now; now=$(date +%s); echo "$(( now - ( (now - $1 * 3600) / 3600 * 3600 + 1200 ) ))s"; }
"$TC_BIN" gen --path "$B" --tenant t --flushes 2 --replicas 1 --traces 100 --age "$(age 30)" --flush-interval 1m --seed 5 >/dev/null
like=$(ls "$B"/t/*/meta.json | head -1)
good=$(dirname "$like")
good_id=$("$TC_BIN" inspect --ids "$good" | sed -n 's/^id=//p' | head -1)
cp -r "$B" "$TMP/clean"

# rss KB_FILE CMD...: runs CMD under GNU time; its exit status in $rc, output in $TMP/out, $TMP/err.
rss() {
  local f=$1; shift
  set +e; /usr/bin/time -o "$f" -f '%M' "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; set -e
  tail -1 "$f" | grep -Eq '^[0-9]+$' || fail "no RSS from GNU time: $(cat "$f")"
}
within() { # what KB BASE_KB
  echo "$1: peak RSS $2 KB, baseline $3 KB"
  [ "$2" -le $(( $3 + SLACK_KB )) ] || fail "$1: peak RSS $2 KB is more than $SLACK_KB KB over the baseline $3 KB"
}

rss "$TMP/t" "$TC_BIN" inspect "$good"; [ "$rc" -eq 0 ] || fail "inspect of a good block: $(cat "$TMP/err")"
base_inspect=$(tail -1 "$TMP/t")
rss "$TMP/t" "$TC_BIN" query --path "$B" --tenant t "$good_id"; [ "$rc" -eq 0 ] || fail "query: $(cat "$TMP/err")"
base_query=$(tail -1 "$TMP/t")
cp -r "$TMP/clean" "$TMP/c0"
rss "$TMP/t" "$TC_BIN" compact --path "$TMP/c0" --tenant t; [ "$rc" -eq 0 ] || fail "compact of good blocks: $(cat "$TMP/err")"
base_compact=$(tail -1 "$TMP/t")

# ENC BYTES: 1 MiB objects. Snappy cannot expand more than 21:1, so its
# bomb is bigger in the file and refused by the ratio term (16 x the page).
for spec in zstd:1G gzip:256M lz4:256M lz4-64k:64M snappy:48M; do
  enc=${spec%%:*}; bytes=${spec#*:}
  mkdir -p "$TMP/b-$enc"
  "$TC_MKBOMB" block "$TMP/b-$enc" t "$enc" "$bytes" 1M "$like" > "$TMP/bomb" || fail "tc_mkbomb $enc"
  bomb=$(sed -n 's/^block=\([^ ]*\) .*/\1/p' "$TMP/bomb"); last=$(sed -n 's/.* last=\([0-9a-f]*\) .*/\1/p' "$TMP/bomb")
  echo "$enc: $(cat "$TMP/bomb")"

  rss "$TMP/t" "$TC_BIN" inspect "$TMP/b-$enc/t/$bomb"
  [ "$rc" -eq 1 ] || fail "$enc: inspect of a bomb exits $rc: $(cat "$TMP/out" "$TMP/err")"
  grep -q "t/$bomb/data at offset 0: .*cap of [0-9]* .*bytes" "$TMP/err" || fail "$enc: inspect: $(cat "$TMP/err")"
  within "$enc inspect" "$(tail -1 "$TMP/t")" "$base_inspect"

  # The bomb beside the good blocks: query's last ID, and compact of them all.
  cp -r "$TMP/clean" "$TMP/q-$enc"; cp -r "$TMP/b-$enc/t/$bomb" "$TMP/q-$enc/t/"
  rss "$TMP/t" "$TC_BIN" query --path "$TMP/q-$enc" --tenant t "$last"
  [ "$rc" -eq 1 ] || fail "$enc: query exits $rc: $(cat "$TMP/err")"
  grep -q "t/$bomb/data at offset 0: .*cap of [0-9]* .*bytes" "$TMP/err" || fail "$enc: query: $(cat "$TMP/err")"
  within "$enc query" "$(tail -1 "$TMP/t")" "$base_query"

  before=$(tree_sum "$TMP/q-$enc")
  rss "$TMP/t" "$TC_BIN" compact --path "$TMP/q-$enc" --tenant t
  [ "$rc" -eq 1 ] || fail "$enc: compact exits $rc: $(cat "$TMP/out" "$TMP/err")"
  grep -q "input block $bomb failed: .*cap of [0-9]* .*bytes" "$TMP/err" || fail "$enc: compact: $(cat "$TMP/err")"
  [ "$(tree_sum "$TMP/q-$enc")" = "$before" ] || fail "$enc: a refused compaction changed the bucket"
  within "$enc compact" "$(tail -1 "$TMP/t")" "$base_compact"
done

# One object that claims the whole gigabyte: refused before it is decoded.
mkdir -p "$TMP/one"
"$TC_MKBOMB" block "$TMP/one" t zstd 1G 0 "$like" > "$TMP/bomb" || fail "tc_mkbomb one object"
one=$(sed -n 's/^block=\([^ ]*\) .*/\1/p' "$TMP/bomb")
rss "$TMP/t" "$TC_BIN" inspect "$TMP/one/t/$one"
[ "$rc" -eq 1 ] || fail "one object: inspect exits $rc"
grep -qF "t/$one/data at offset 0: object at page position 0 claims 1073741824 bytes, past the page's cap of 7298576 decompressed bytes (storage.trace.block.index_downsample_bytes 1048576 + 1.25 x max_bytes_per_trace 5000000)" "$TMP/err" ||
  fail "one object: $(cat "$TMP/err")"
within "one-object inspect" "$(tail -1 "$TMP/t")" "$base_inspect"

# The caps come from the config: one object of 64 MiB is refused by
# default and read whole for a tenant allowed 100 MB traces.
mkdir -p "$TMP/one64"
"$TC_MKBOMB" block "$TMP/one64" t zstd 64M 0 "$like" > "$TMP/bomb" || fail "tc_mkbomb 64 MiB object"
last64=$(sed -n 's/.* last=\([0-9a-f]*\) .*/\1/p' "$TMP/bomb")
expect_exit 1 "$TC_BIN" query --path "$TMP/one64" --tenant t --raw "$last64"
grep -q "cap of 7298576" "$TMP/err" || fail "64 MiB object under the defaults: $(cat "$TMP/err")"
printf 'overrides: {max_bytes_per_trace: 100000000}\n' > "$TMP/big.yaml"
expect_exit 0 "$TC_BIN" query --path "$TMP/one64" --config "$TMP/big.yaml" --tenant t --raw "$last64"
[ "$(stat -c %s "$TMP/out")" -eq $(( (64 << 20) - 24 )) ] || fail "query --raw printed $(stat -c %s "$TMP/out") bytes"
expect_exit 0 "$TC_BIN" inspect --config "$TMP/big.yaml" "$TMP/one64/t/$(ls "$TMP/one64/t")"
rm -f "$TMP/out"
printf 'storage: {trace: {block: {max_page_bytes: 65536}}}\n' > "$TMP/tiny.yaml"
expect_exit 1 "$TC_BIN" inspect --config "$TMP/tiny.yaml" "$good"
grep -q "exceeds the 65536-byte page limit (storage.trace.block.max_page_bytes)" "$TMP/err" ||
  fail "inspect --config: $(cat "$TMP/err")"

# The service: the zstd bomb among the good blocks is quarantined with the
# cap in its reason, the rest of the tenant is compacted, and the service's
# peak RSS stays near that of a service compacting the good blocks alone.
serve() { # BUCKET LOG: starts the service, sets $pid
  cat > "$TMP/serve.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0, graceful_shutdown_timeout: 10s}
compactor: {compaction: {compaction_cycle: 1s}}
storage: {trace: {backend: local, local: {path: $1}, blocklist_poll: 1s}}
YAML
  "$TC_BIN" -config.file="$TMP/serve.yaml" >"$2" 2>&1 &
  pid=$!
}
stop() { # LOG: sets $hwm to the service's VmHWM in KB, then SIGTERM
  hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
  kill -TERM "$pid"
  set +e; wait "$pid"; local st=$?; set -e
  [ "$st" -eq 0 ] || { tail -20 "$1" >&2; fail "service exit status $st"; }
}
live() { ls "$1"/t/*/meta.json 2>/dev/null | wc -l; }
trap 'kill -9 ${pid:-0} 2>/dev/null || true; rm -rf "$TMP"' EXIT

cp -r "$TMP/clean" "$TMP/s0"
serve "$TMP/s0" "$TMP/log0"
for _ in $(seq 300); do [ "$(live "$TMP/s0")" -eq 1 ] && break; sleep 0.1; done
[ "$(live "$TMP/s0")" -eq 1 ] || { cat "$TMP/log0"; fail "the good blocks were not compacted"; }
stop "$TMP/log0"; base_serve=$hwm

zbomb=$(ls "$TMP/b-zstd/t")
cp -r "$TMP/clean" "$TMP/s1"; cp -r "$TMP/b-zstd/t/$zbomb" "$TMP/s1/t/"
serve "$TMP/s1" "$TMP/log1"
q="$TMP/s1/t/$zbomb/nocompact.json"
for _ in $(seq 300); do [ -e "$q" ] && [ "$(live "$TMP/s1")" -eq 2 ] && break; sleep 0.1; done
[ -e "$q" ] || { cat "$TMP/log1"; fail "the bomb was not quarantined"; }
[ "$(live "$TMP/s1")" -eq 2 ] || { cat "$TMP/log1"; fail "the good blocks were not compacted beside the quarantined bomb"; }
grep -q '"reason":"limit exceeded"' "$q" && grep -q "cap of 7298576 decompressed bytes" "$q" || fail "quarantine reason: $(cat "$q")"
stop "$TMP/log1"; within "service" "$hwm" "$base_serve"
echo ok
