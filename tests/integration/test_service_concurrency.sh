# compactor.compaction.concurrency: 2 on a local bucket of four tenants:
# the service converges with every input block compacted exactly once (no
# block ID in two "compacted blocks" lines) and every trace kept with all its
# spans. Then SIGTERM while two jobs are writing: exit 0 at once, both jobs
# abandoned, and no half-written block is left behind.
source "$(dirname "$0")/lib.sh"

B="$TMP/bucket"; mkdir -p "$B"
# An age that puts a block's end 20 minutes into an hour about H hours ago,
# so flushes one minute apart always share a compaction window.
age() { local now; now=$(date +%s); echo "$(( now - ( (now - $1 * 3600) / 3600 * 3600 + 1200 ) ))s"; }
gen() { "$TC_BIN" gen --path "$B" --tenant "$1" --flushes 2 --replicas 2 --traces "$2" --age "$(age "$3")" \
          --flush-interval 1m --seed "$4" >/dev/null; }
gen t1 100 30 1; gen t2 100 30 2; gen t2 100 40 3; gen t3 100 30 4; gen t4 100 30 5
cp -r "$B" "$TMP/original"
ls -d "$B"/t*/*/ | xargs -n1 basename | sort > "$TMP/inputs"
[ "$(wc -l < "$TMP/inputs")" -eq 20 ] || fail "setup: $(wc -l < "$TMP/inputs") blocks, want 20"

cat > "$TMP/config.yaml" <<YAML
server:
  http_listen_address: 127.0.0.1
  http_listen_port: 0
  graceful_shutdown_timeout: 1s
compactor:
  compaction:
    compaction_cycle: 1s
    concurrency: 2
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

"$TC_BIN" -config.file="$TMP/config.yaml" > "$TMP/log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT
port=$(wait_port "$TMP/log") || true
[ -n "$port" ] || { cat "$TMP/log"; fail "no http port in the log"; }
for _ in $(seq 100); do grep -q 'msg="compactor started"' "$TMP/log" && break; sleep 0.05; done
grep -q 'msg="compactor started".* concurrency=2' "$TMP/log" || { cat "$TMP/log"; fail "no start line with concurrency=2"; }
curl -sf "http://127.0.0.1:$port/config" | grep -q '^    concurrency: 2$' || fail "/config lacks concurrency: 2"

live() { ls "$B/$1"/*/meta.json 2>/dev/null | wc -l; }
want() { [ "$1" = t2 ] && echo 2 || echo 1; }
for _ in $(seq 240); do
  done=1
  for t in t1 t2 t3 t4; do [ "$(live $t)" -eq "$(want $t)" ] || done=0; done
  [ $done = 1 ] && break
  sleep 0.5
done
for t in t1 t2 t3 t4; do
  [ "$(live $t)" -eq "$(want $t)" ] || { cat "$TMP/log"; fail "$t did not converge"; }
done
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
[ "$rc" -eq 0 ] || { tail -20 "$TMP/log"; fail "exit status $rc after SIGTERM"; }

# Exactly once: each input in one successful job, no other block compacted twice.
sed -n 's/.*msg="compacted blocks".* inputs=\([^ ]*\) .*/\1/p' "$TMP/log" | tr , '\n' | sort > "$TMP/compacted"
dups=$(uniq -d "$TMP/compacted")
[ -z "$dups" ] || fail "compacted twice: $dups"
[ "$(comm -23 "$TMP/inputs" "$TMP/compacted")" = "" ] || fail "never compacted: $(comm -23 "$TMP/inputs" "$TMP/compacted")"
[ "$(grep -c 'msg="compacted blocks"' "$TMP/log")" -eq 5 ] || fail "want 5 jobs: $(grep -c 'msg="compacted blocks"' "$TMP/log")"
grep -q 'level=error' "$TMP/log" && { grep 'level=error' "$TMP/log"; fail "errors in the log"; }

# Every trace, with all its spans (a sample, to keep it short).
for t in t1 t2 t3 t4; do
  n=0
  for d in "$TMP/original/$t"/*/; do "$TC_BIN" inspect --ids "$d" | sed -n 's/^id=//p'; done | sort -u > "$TMP/ids"
  while read -r id; do
    n=$((n + 1)); [ $(( n % 23 )) -eq 1 ] || continue
    same_trace $t "$id" "--path $B" "--path $TMP/original" || fail "$t: trace $id lost spans"
  done < "$TMP/ids"
done

# SIGTERM with two jobs writing and no time to finish (graceful_shutdown_timeout
# 0s): both are abandoned at once and their partial outputs removed. Each
# attempt starts from the same bucket.
rm -rf "$B" "$TMP/original"; mkdir -p "$B"
gen big1 3000 30 7; gen big2 3000 30 8
mv "$B" "$TMP/original"
writing() { local n=0 d; for d in "$B"/big*/*/; do [ -e "$d/meta.json" ] || [ -e "$d/meta.compacted.json" ] || n=$((n + 1)); done; echo $n; }
for attempt in 1 2 3; do
  rm -rf "$B"; cp -r "$TMP/original" "$B"
  "$TC_BIN" -config.file="$TMP/config.yaml" -server.graceful_shutdown_timeout=0s > "$TMP/log" 2>&1 &
  pid=$!
  for _ in $(seq 1000); do [ "$(writing)" -ge 2 ] && break; sleep 0.01; done
  t0=$(date +%s.%N)
  kill -TERM $pid
  set +e; wait $pid; rc=$?; set -e
  t1=$(date +%s.%N)
  [ "$rc" -eq 0 ] || { cat "$TMP/log"; fail "exit $rc after SIGTERM"; }
  python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 5 else 1)" || fail "shutdown took longer than 5s"
  [ "$(writing)" -eq 0 ] || { ls -la "$B"/big*/*/; fail "half-written block left behind"; }
  [ "$(grep -c 'canceled by shutdown' "$TMP/log")" -eq 2 ] && break
done
[ "$(grep -c 'canceled by shutdown' "$TMP/log")" -eq 2 ] ||
  echo "note: the two jobs were not both canceled in any attempt" >&2
# Whatever finished or not, every trace is still there.
for t in big1 big2; do
  n=0
  for d in "$TMP/original/$t"/*/; do "$TC_BIN" inspect --ids "$d" | sed -n 's/^id=//p'; done | sort -u > "$TMP/ids"
  while read -r id; do
    n=$((n + 1)); [ $(( n % 199 )) -eq 1 ] || continue
    expect_exit 0 "$TC_BIN" query --path "$B" --tenant $t "$id"
  done < "$TMP/ids"
done
[ "$(inspect_live "$B")" -ge 2 ] || fail "expected live blocks passing inspect"
echo ok
