# valgrind memcheck over one end-to-end scenario: a fixture set compacted by
# the one-shot command, then the service polling, compacting and retaining a
# generated bucket until SIGTERM. Zero errors and zero leaks. (Runs in the
# plain build only: valgrind cannot run an AddressSanitizer binary, and that
# tree has ASan's own leak checker.)
source "$(dirname "$0")/lib.sh"
need_fixtures
if ldd "$TC_BIN" 2>/dev/null | grep libasan >/dev/null; then echo "sanitizer build: memcheck runs in the plain tree"; exit 0; fi
command -v valgrind >/dev/null || fail "valgrind is not installed (scripts/install-deps.sh)"
VG=(valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes)

cp -r "$FIX/zstd/blocks" "$TMP/b"
"${VG[@]}" "$TC_BIN" compact --path "$TMP/b" --tenant single-tenant > "$TMP/out" 2> "$TMP/vg1" ||
  { cat "$TMP/vg1"; fail "memcheck: compact"; }
grep -q '^compacted ' "$TMP/out" || fail "compact did nothing under valgrind"

now=$(date +%s); age="$(( now - ( (now - 30 * 3600) / 3600 * 3600 + 1200 ) ))s"
"$TC_BIN" gen --path "$TMP/g" --tenant t --flushes 2 --replicas 2 --traces 100 --spans 5 --age "$age" --flush-interval 1m >/dev/null
"$TC_BIN" gen --path "$TMP/g" --tenant old --flushes 1 --replicas 2 --traces 20 --spans 5 --age 400h --seed 3 >/dev/null
cat > "$TMP/c.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0}
compactor: {compaction: {compaction_cycle: 1s, compacted_block_retention: 1s}}
storage: {trace: {backend: local, local: {path: $TMP/g}, blocklist_poll: 1s}}
YAML
"${VG[@]}" "$TC_BIN" -config.file="$TMP/c.yaml" > "$TMP/log" 2> "$TMP/vg2" &
pid=$!
converged=0
for _ in $(seq 200); do
  [ "$(ls "$TMP"/g/t/*/meta.json 2>/dev/null | wc -l)" -eq 1 ] && [ ! -e "$TMP/g/old/$(ls "$TMP/g/old" | head -1)/meta.json" ] && { converged=1; break; }
  sleep 0.25
done
[ "$converged" -eq 1 ] || { kill -9 $pid; cat "$TMP/log"; fail "memcheck: the service did not converge"; }
port=$(wait_port "$TMP/vg2") || { kill -9 $pid; fail "memcheck: no port"; }
curl -sf "http://127.0.0.1:$port/metrics" >/dev/null || { kill -9 $pid; fail "memcheck: /metrics failed"; }
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
[ "$rc" -eq 0 ] || { cat "$TMP/vg2"; fail "memcheck: serve exited $rc"; }
grep -q 'msg="compacted blocks"' "$TMP/vg2" "$TMP/log" || fail "the service compacted nothing under valgrind"
[ "$(inspect_live "$TMP/b")" -eq 1 ] && [ "$(inspect_live "$TMP/g")" -ge 1 ] || fail "live blocks failing inspect"
echo ok
