# Crash safety: the service is killed with SIGKILL at random moments (at
# least 30 times, seeds logged) and restarted each time. After a last,
# clean run has converged, every trace ID of the original bucket is still
# there and a sample of traces has identical spans, each window holds one block (duplicates
# left by a crash between writing an output and marking its inputs were
# compacted away) and no partial block is left (removed after the grace).
source "$(dirname "$0")/../integration/lib.sh"

SEED=${TC_CRASH_SEED:-$(date +%s)}
KILLS=${TC_CRASH_KILLS:-30}
echo "crash test: seed=$SEED kills=$KILLS (rerun with TC_CRASH_SEED=$SEED)"
RANDOM=$SEED

B="$TMP/bucket"; mkdir -p "$B"
age() { local now; now=$(date +%s); echo "$(( now - ( (now - $1 * 3600) / 3600 * 3600 + 1200 ) ))s"; }
"$TC_BIN" gen --path "$B" --tenant t1 --flushes 4 --replicas 3 --traces 700 --spans 12 --age "$(age 30)" \
  --flush-interval 1m --seed 21 >/dev/null
"$TC_BIN" gen --path "$B" --tenant t2 --flushes 3 --replicas 2 --traces 400 --spans 8 --age "$(age 50)" \
  --flush-interval 1m --seed 22 >/dev/null
cp -r "$B" "$TMP/original"

cat > "$TMP/config.yaml" <<YAML
server:
  http_listen_address: 127.0.0.1
  http_listen_port: 0
compactor:
  compaction:
    compaction_cycle: 100ms
    compacted_block_retention: 1s
    partial_block_grace: 2s
    flush_size_bytes: 32768
storage:
  trace:
    backend: local
    local:
      path: $B
    blocklist_poll: 500ms
    block:
      index_downsample_bytes: 32768
YAML

for i in $(seq "$KILLS"); do
  "$TC_BIN" -config.file="$TMP/config.yaml" >> "$TMP/log" 2>&1 &
  pid=$!
  delay=$(( RANDOM % 1500 + 50 ))
  sleep "$(printf '0.%03d' $((delay % 1000)))"; [ $delay -ge 1000 ] && sleep 1
  kill -9 $pid; wait $pid 2>/dev/null || true
done

# A clean run to convergence: one live block per tenant, nothing partial, nothing compacted left.
"$TC_BIN" -config.file="$TMP/config.yaml" >> "$TMP/log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT
settled() {
  for t in t1 t2; do
    [ "$(ls "$B/$t"/*/meta.json 2>/dev/null | wc -l)" -eq 1 ] || return 1
    for d in "$B/$t"/*/; do [ -e "$d/meta.json" ] || return 1; done
  done
}
for _ in $(seq 300); do settled && break; sleep 0.2; done
settled || { ls -la "$B"/t1 "$B"/t2; tail -30 "$TMP/log"; fail "bucket did not converge (seed $SEED)"; }
sleep 1.2 # two more polls: the tenant index is rewritten, sweeping temp files of killed writers
kill -TERM $pid; wait $pid || fail "non-zero exit after SIGTERM"
orphans=$(find "$B" -name '.tc-tmp.*' | wc -l)
[ "$orphans" -eq 0 ] || { find "$B" -name '.tc-tmp.*'; fail "temporary files of killed writers left behind"; }
grep -q 'panic\|AddressSanitizer\|runtime error' "$TMP/log" && fail "sanitizer or crash report in the log"

for t in t1 t2; do
  for d in "$TMP/original/$t"/*/; do "$TC_BIN" inspect --ids "$d" | sed -n 's/^id=//p'; done | sort -u > "$TMP/ids.before"
  for d in "$B/$t"/*/; do
    expect_exit 0 "$TC_BIN" inspect --ids "$d"
    sed -n 's/^id=//p' "$TMP/out"
  done | sort -u > "$TMP/ids.after"
  cmp -s "$TMP/ids.before" "$TMP/ids.after" || fail "$t: trace IDs differ after crashes (seed $SEED)"
  n=0
  while read -r id; do
    n=$((n + 1)); [ $(( n % 23 )) -eq 1 ] || continue
    same_trace $t "$id" "--path $B" "--path $TMP/original" || fail "$t: trace $id differs after crashes (seed $SEED)"
  done < "$TMP/ids.before"
done
cleaned=$(grep -c 'msg="removed partial block"' "$TMP/log" || true)
echo "ok: $KILLS kills, $(grep -c 'msg="compacted blocks"' "$TMP/log") compactions, $cleaned partial blocks cleaned"
