# shellcheck shell=bash
# SIGTERM in the middle of a compaction on an object store, whichever:
# sourced by test_service_sigterm_s3.sh and test_service_sigterm_azure.sh
# after lib.sh and the store's functions. Exit 0 within the shutdown
# timeout, no partial block left visible, nothing of the abandoned output
# left stored (S3: no multipart upload open; Azure: its staged blocks are
# never committed), every sampled trace still found.
BUCKET="sigterm-$$-$RANDOM"
store_create "$BUCKET" || fail "cannot create $BUCKET"
trap 'store_drop "$BUCKET"; rm -rf "$TMP"' EXIT
cat > "$TMP/c.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0, graceful_shutdown_timeout: 1s}
compactor: {compaction: {compaction_cycle: 1s, flush_size_bytes: 65536}}
storage:
  trace:
    backend: $STORE_BACKEND
    blocklist_poll: 1s
    block: {index_downsample_bytes: 65536}
    $(store_yaml "$STORE_SECRET" "$BUCKET" "$STORE_STREAM_EXTRA")
YAML
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
args="--tenant t --flushes 2 --replicas 2 --traces 6000 --spans 20 --age 30h --flush-interval 1m --seed 51"
"$TC_BIN" gen --config "$TMP/c.yaml" --now "$now" $args >/dev/null
"$TC_BIN" gen --path "$TMP/original" --now "$now" $args >/dev/null

abandoned=0
for attempt in 1 2 3; do
  "$TC_BIN" -config.file="$TMP/c.yaml" > "$TMP/log" 2>&1 &
  pid=$!
  # The first cycle starts a second after the start; stop it while it writes.
  for _ in $(seq 100); do grep -q 'compactor started' "$TMP/log" 2>/dev/null && break; sleep 0.05; done
  sleep 1.3
  t0=$(date +%s%N)
  kill -TERM $pid
  set +e; wait $pid; rc=$?; set -e
  t1=$(date +%s%N)
  [ "$rc" -eq 0 ] || { cat "$TMP/log"; fail "exit $rc after SIGTERM"; }
  [ $(( (t1 - t0) / 1000000 )) -lt 5000 ] || fail "shutdown took $(( (t1 - t0) / 1000000 )) ms"
  if grep -q "abandoning the running compaction" "$TMP/log"; then abandoned=1; break; fi
done
[ $abandoned -eq 1 ] || echo "note: the compaction finished before SIGTERM in every attempt" >&2
"$TC_BIN" block list --config "$TMP/c.yaml" --tenant t > "$TMP/blocks"
grep -q '^partial ' "$TMP/blocks" && { cat "$TMP/blocks"; fail "an abandoned output left a partial block"; }
store_pending "$BUCKET" > "$TMP/pending" || fail "cannot list pending uploads"
[ -s "$TMP/pending" ] && { cat "$TMP/pending"; fail "an abandoned output left an upload open"; }
for d in "$TMP/original/t"/*/; do "$TC_BIN" inspect --ids "$d" | sed -n 's/^id=//p'; done | sort -u > "$TMP/ids"
n=0
while read -r id; do
  n=$((n + 1)); [ $(( n % 211 )) -eq 1 ] || continue
  expect_exit 0 "$TC_BIN" query --config "$TMP/c.yaml" --tenant t "$id"
done < "$TMP/ids"
echo "ok (abandoned=$abandoned)"
