# SIGTERM in the middle of a compaction: the service exits 0 within the
# shutdown timeout, the abandoned output leaves no half block behind, and
# every trace of the bucket is still found by query.
source "$(dirname "$0")/lib.sh"

B="$TMP/bucket"; mkdir -p "$B"
"$TC_BIN" gen --path "$B" --tenant t --flushes 2 --replicas 2 --traces 6000 --spans 20 --age 30h \
  --flush-interval 1m --seed 5 >/dev/null
cp -r "$B" "$TMP/original"
cat > "$TMP/config.yaml" <<YAML
server:
  http_listen_address: 127.0.0.1
  http_listen_port: 0
  graceful_shutdown_timeout: 1s
compactor:
  compaction:
    compaction_cycle: 1s
    flush_size_bytes: 65536
storage:
  trace:
    backend: local
    local:
      path: $B
    blocklist_poll: 1s
    block:
      index_downsample_bytes: 65536
YAML
for attempt in 1 2 3; do
  "$TC_BIN" -config.file="$TMP/config.yaml" > "$TMP/log" 2>&1 &
  pid=$!
  # Wait until an output block directory without meta.json exists: a compaction is writing.
  for _ in $(seq 400); do
    for d in "$B"/t/*/; do [ -e "$d/meta.json" ] || [ -e "$d/meta.compacted.json" ] || break 2; done
    sleep 0.01
  done
  t0=$(date +%s.%N)
  kill -TERM $pid
  set +e; wait $pid; rc=$?; set -e
  t1=$(date +%s.%N)
  [ "$rc" -eq 0 ] || { cat "$TMP/log"; fail "exit $rc after SIGTERM"; }
  python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 5 else 1)" || fail "shutdown took longer than 5s"
  for d in "$B"/t/*/; do
    [ -e "$d/meta.json" ] || [ -e "$d/meta.compacted.json" ] || { ls -la "$d"; fail "half-written block $d left behind"; }
  done
  grep -q "abandoning the running compaction" "$TMP/log" && break
done
grep -q "abandoning the running compaction" "$TMP/log" || echo "note: the compaction finished before SIGTERM in every attempt" >&2

for d in "$TMP/original"/t/*/; do "$TC_BIN" inspect --ids "$d" | sed -n 's/^id=//p'; done | sort -u > "$TMP/ids"
n=0
while read -r id; do
  n=$((n + 1)); [ $(( n % 97 )) -eq 1 ] || continue
  expect_exit 0 "$TC_BIN" query --path "$B" --tenant t "$id"
done < "$TMP/ids"
[ "$(inspect_live "$B")" -ge 1 ] || fail "expected live blocks passing inspect"
echo ok
