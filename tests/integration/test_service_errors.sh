# Bad configuration and overrides: a startup error that names the file, key
# and line (exit 2 for config, 1 for other startup failures), and at run
# time a broken overrides file keeps the last good overrides, is logged and
# counted, and never crashes the service.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/b"
printf 'compactor:\n  compaction:\n    compaction_cycle: 1s\n    no_such_key: 3\n' > "$TMP/unknown.yaml"
expect_exit 2 "$TC_BIN" -config.file="$TMP/unknown.yaml"
grep -q 'unknown.yaml:4' "$TMP/err" && grep -q 'no_such_key' "$TMP/err" || fail "unknown key: $(cat "$TMP/err")"

printf 'compactor:\n  compaction:\n    compaction_window: banana\n' > "$TMP/type.yaml"
expect_exit 2 "$TC_BIN" -config.file="$TMP/type.yaml"
grep -q 'type.yaml:3' "$TMP/err" && grep -q 'compaction_window' "$TMP/err" || fail "bad duration: $(cat "$TMP/err")"

printf 'server: [unclosed\n' > "$TMP/garbage.yaml"
expect_exit 2 "$TC_BIN" -config.file="$TMP/garbage.yaml"
grep -q 'garbage.yaml' "$TMP/err" || fail "garbage yaml: $(cat "$TMP/err")"
expect_exit 2 "$TC_BIN" -config.file="$TMP/missing.yaml"
expect_exit 2 "$TC_BIN" serve -storage.trace.no.such=1
# A stray argument is named, wherever it stands.
expect_exit 2 "$TC_BIN" serve stray -log.level=debug
grep -q 'unexpected argument "stray"' "$TMP/err" || fail "stray argument: $(cat "$TMP/err")"

# No local path: the backend cannot be opened.
printf 'server:\n  http_listen_port: 0\n' > "$TMP/nopath.yaml"
expect_exit 1 "$TC_BIN" -config.file="$TMP/nopath.yaml"
grep -q 'storage.trace.local.path' "$TMP/err" || fail "no path: $(cat "$TMP/err")"

# Overrides broken at startup: refused with the file and line.
printf 'overrides:\n  "t": {block_retention: forever}\n' > "$TMP/bad-overrides.yaml"
cat > "$TMP/c1.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0}
storage: {trace: {backend: local, local: {path: $TMP/b}}}
overrides: {per_tenant_override_config: $TMP/bad-overrides.yaml}
YAML
expect_exit 1 "$TC_BIN" -config.file="$TMP/c1.yaml"
grep -q 'bad-overrides.yaml' "$TMP/err" || fail "bad overrides at start: $(cat "$TMP/err")"

# Broken at run time: kept, logged, counted. The period is long, so only SIGHUP reloads.
printf 'overrides:\n  "t": {block_retention: 48h}\n' > "$TMP/overrides.yaml"
cat > "$TMP/c2.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0}
storage: {trace: {backend: local, local: {path: $TMP/b}, blocklist_poll: 1s}}
overrides: {per_tenant_override_config: $TMP/overrides.yaml, per_tenant_override_period: 1h}
YAML
"$TC_BIN" -config.file="$TMP/c2.yaml" > "$TMP/log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT
port=$(wait_port "$TMP/log") || true
printf 'overrides:\n  "t": {block_retention: [oops\n' > "$TMP/overrides.yaml"
kill -HUP $pid
for _ in $(seq 50); do grep -q 'failed to reload overrides' "$TMP/log" && break; sleep 0.1; done
grep -q 'failed to reload overrides; keeping the last good ones.*overrides.yaml' "$TMP/log" || { cat "$TMP/log"; fail "reload error not logged"; }
kill -0 $pid || fail "service died on a broken overrides file"
n=$(curl -sf "http://127.0.0.1:$port/metrics" | awk '$1 == "tracecompactor_overrides_reload_errors_total" { print $2 }')
[ "${n:-0}" -ge 1 ] || fail "reload errors not counted"
kill -TERM $pid; wait $pid || fail "non-zero exit after SIGTERM"
echo ok
