# An overrides file swapped for a FIFO at run time: the reload (on the
# thread that also takes SIGTERM) used to block in open() for ever, and then
# SIGTERM never completed. Now the reload fails at once with "not a regular
# file", is logged and counted every period, the last good overrides stay,
# and SIGTERM stops the service within server.graceful_shutdown_timeout.
# (The reload runs on the signal thread: no reload can outlast its bounded
# read of a regular file and its bounded parse.)
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/b"
printf 'overrides:\n  "t": {block_retention: 48h}\n' > "$TMP/overrides.yaml"
cat > "$TMP/c.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0, graceful_shutdown_timeout: 2s}
storage: {trace: {backend: local, local: {path: $TMP/b}, blocklist_poll: 1s}}
overrides: {per_tenant_override_config: $TMP/overrides.yaml, per_tenant_override_period: 1s}
YAML
"$TC_BIN" -config.file="$TMP/c.yaml" -log.level=debug > "$TMP/log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT
port=$(wait_port "$TMP/log") || { cat "$TMP/log"; fail "service did not start"; }
for _ in $(seq 50); do grep -q 'msg="overrides reloaded" trigger=period' "$TMP/log" && break; sleep 0.1; done
grep -q 'msg="overrides reloaded" trigger=period' "$TMP/log" || { cat "$TMP/log"; fail "no periodic reload"; }

# Swapped in by rename, as a config-management tool replaces a file.
mkfifo "$TMP/fifo"
mv "$TMP/fifo" "$TMP/overrides.yaml"
errors() { curl -sf "http://127.0.0.1:$port/metrics" | awk '$1 == "tracecompactor_overrides_reload_errors_total" { print $2 }'; }
# Two failed periodic reloads: the loop goes on after the first.
for _ in $(seq 100); do [ "$(errors || echo 0)" -ge 2 ] 2>/dev/null && break; sleep 0.1; done
[ "$(errors)" -ge 2 ] || { cat "$TMP/log"; fail "failed reloads not counted: $(errors)"; }
grep -q 'failed to reload overrides; keeping the last good ones.*overrides.yaml: not a regular file (a FIFO)' "$TMP/log" ||
  { cat "$TMP/log"; fail "FIFO reload error not logged"; }
kill -0 $pid || fail "service died on a FIFO overrides file"
# The last good overrides are still in force: t's blocks of 100h go (48h
# there), u's stay (the default, 336h).
for tenant in t u; do
  "$TC_BIN" gen --path "$TMP/b" --tenant $tenant --flushes 1 --replicas 1 --traces 5 --age 100h >/dev/null
done
for _ in $(seq 100); do grep -q 'msg="marking block for deletion" tenant=t ' "$TMP/log" && break; sleep 0.1; done
grep -q 'msg="marking block for deletion" tenant=t ' "$TMP/log" || { cat "$TMP/log"; fail "t's override (48h) lost"; }
! grep -q 'msg="marking block for deletion" tenant=u ' "$TMP/log" || fail "u's block deleted under a 48h retention"

t0=$(date +%s.%N)
kill -TERM $pid
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
if kill -0 $pid 2>/dev/null; then
  kill -9 $pid
  cat "$TMP/log"
  fail "SIGTERM did not stop the service within 5 s (graceful_shutdown_timeout is 2s)"
fi
set +e; wait $pid; rc=$?; set -e
t1=$(date +%s.%N)
[ "$rc" -eq 0 ] || { cat "$TMP/log"; fail "exit $rc after SIGTERM"; }
python3 -c "import sys; sys.exit(0 if $t1 - $t0 <= 2 else 1)" ||
  fail "shutdown took $(python3 -c "print(round($t1 - $t0, 2))")s, more than graceful_shutdown_timeout (2s)"
grep -q 'msg="stopped"' "$TMP/log" || { cat "$TMP/log"; fail "no clean stop"; }
echo ok
