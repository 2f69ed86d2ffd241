# Start-up failures exit 2 when the configuration is at fault (config file
# missing, unreadable or invalid, unknown key, bad value or flag, storage
# keys missing, overrides file missing or invalid) and 1 when the world is
# (port in use, storage unreachable, local path missing; a missing bucket
# and a wrong secret are in test_service_s3.sh), each with a message naming
# the cause. At run time a broken overrides file keeps the last good
# overrides, is logged and counted, and never crashes the service.
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
grep -q 'missing.yaml' "$TMP/err" || fail "missing config: $(cat "$TMP/err")"
# Unreadable: a directory opens but cannot be read (a chmod 000 file would be read by root).
mkdir "$TMP/dir.yaml"
expect_exit 2 "$TC_BIN" -config.file="$TMP/dir.yaml"
grep -q 'dir.yaml' "$TMP/err" || fail "unreadable config: $(cat "$TMP/err")"
expect_exit 2 "$TC_BIN" serve -storage.trace.no.such=1
grep -q 'storage.trace.no.such' "$TMP/err" || fail "unknown flag key: $(cat "$TMP/err")"
expect_exit 2 "$TC_BIN" serve -server.http_listen_port=http
grep -q 'server.http_listen_port' "$TMP/err" || fail "bad flag value: $(cat "$TMP/err")"
expect_exit 2 "$TC_BIN" serve -log.level=loud
# A stray argument is named, wherever it stands.
expect_exit 2 "$TC_BIN" serve stray -log.level=debug
grep -q 'unexpected argument "stray"' "$TMP/err" || fail "stray argument: $(cat "$TMP/err")"

# The ring: only etcd is supported, and an etcd ring needs endpoints.
printf 'compactor:\n  ring:\n    kvstore:\n      store: consul\n' > "$TMP/consul.yaml"
expect_exit 2 "$TC_BIN" -config.file="$TMP/consul.yaml"
grep -qF 'consul.yaml:4: compactor.ring.kvstore.store: "consul" is not supported (supported: etcd)' "$TMP/err" ||
  fail "consul ring: $(cat "$TMP/err")"
expect_exit 2 "$TC_BIN" serve -compactor.ring.kvstore.store=memberlist
grep -qF '"memberlist" is not supported (supported: etcd)' "$TMP/err" || fail "memberlist flag: $(cat "$TMP/err")"
cat > "$TMP/noendpoints.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0}
compactor: {ring: {kvstore: {store: etcd}}}
storage: {trace: {backend: local, local: {path: $TMP/b}}}
YAML
expect_exit 2 "$TC_BIN" -config.file="$TMP/noendpoints.yaml"
grep -q 'compactor.ring.kvstore.etcd.endpoints: must not be empty' "$TMP/err" && grep -q 'exit=2' "$TMP/err" ||
  fail "etcd ring without endpoints: $(cat "$TMP/err")"
expect_exit 2 "$TC_BIN" -config.file="$TMP/noendpoints.yaml" \
  -compactor.ring.kvstore.etcd.endpoints=127.0.0.1:1,127.0.0.1:2 -compactor.ring.heartbeat_timeout=5s
grep -q 'heartbeat_timeout: must be longer than' "$TMP/err" || fail "heartbeat timeout: $(cat "$TMP/err")"

# Storage keys missing: the config is incomplete.
printf 'server:\n  http_listen_port: 0\n' > "$TMP/nopath.yaml"
expect_exit 2 "$TC_BIN" -config.file="$TMP/nopath.yaml"
grep -q 'storage.trace.local.path is required' "$TMP/err" || fail "no path: $(cat "$TMP/err")"
printf 'server: {http_listen_port: 0}\nstorage: {trace: {backend: s3, s3: {endpoint: "127.0.0.1:1"}}}\n' > "$TMP/nobucketkey.yaml"
expect_exit 2 "$TC_BIN" -config.file="$TMP/nobucketkey.yaml"
grep -q 'storage.trace.s3.bucket is required' "$TMP/err" || fail "no bucket key: $(cat "$TMP/err")"

# Overrides broken or missing at startup: refused with the file (and line).
printf 'overrides:\n  "t": {block_retention: forever}\n' > "$TMP/bad-overrides.yaml"
cat > "$TMP/c1.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0}
storage: {trace: {backend: local, local: {path: $TMP/b}}}
overrides: {per_tenant_override_config: $TMP/bad-overrides.yaml}
YAML
expect_exit 2 "$TC_BIN" -config.file="$TMP/c1.yaml"
grep -q 'bad-overrides.yaml:2' "$TMP/err" || fail "bad overrides at start: $(cat "$TMP/err")"
grep -q 'exit=2' "$TMP/err" || fail "startup failure does not log its exit status: $(cat "$TMP/err")"
expect_exit 2 "$TC_BIN" -config.file="$TMP/c1.yaml" -overrides.per_tenant_override_config="$TMP/no-overrides.yaml"
grep -q 'no-overrides.yaml' "$TMP/err" || fail "missing overrides at start: $(cat "$TMP/err")"

# The local path does not exist: an error naming it, and nothing is created.
expect_exit 1 "$TC_BIN" -config.file="$TMP/c1.yaml" -overrides.per_tenant_override_config= \
  -storage.trace.local.path="$TMP/typo/b"
grep -q "path .*$TMP/typo/b.* does not exist" "$TMP/err" || fail "missing local path: $(cat "$TMP/err")"
[ ! -e "$TMP/typo" ] || fail "a missing local path was created"
printf x > "$TMP/file"
expect_exit 1 "$TC_BIN" -config.file="$TMP/c1.yaml" -overrides.per_tenant_override_config= \
  -storage.trace.local.path="$TMP/file"
grep -q 'is not a directory' "$TMP/err" || fail "local path is a file: $(cat "$TMP/err")"

# Storage unreachable: nothing listens on port 1; no retries, to fail at once.
cat > "$TMP/unreachable.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0}
storage: {trace: {backend: s3, s3: {bucket: traces, endpoint: "127.0.0.1:1", insecure: true, access_key: k, secret_key: s, region: us-east-1, max_retries: 0}}}
YAML
expect_exit 1 "$TC_BIN" -config.file="$TMP/unreachable.yaml"
grep -q 'startup failed.*bucket traces.*connect' "$TMP/err" || fail "unreachable storage: $(cat "$TMP/err")"

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
# Port in use (by the service above): a runtime failure.
expect_exit 1 "$TC_BIN" -config.file="$TMP/c2.yaml" -server.http_listen_port="$port"
grep -q 'startup failed' "$TMP/err" && grep -q "$port" "$TMP/err" || fail "port in use: $(cat "$TMP/err")"
printf 'overrides:\n  "t": {block_retention: [oops\n' > "$TMP/overrides.yaml"
kill -HUP $pid
for _ in $(seq 50); do grep -q 'failed to reload overrides' "$TMP/log" && break; sleep 0.1; done
grep -q 'failed to reload overrides; keeping the last good ones.*overrides.yaml' "$TMP/log" || { cat "$TMP/log"; fail "reload error not logged"; }
kill -0 $pid || fail "service died on a broken overrides file"
n=$(curl -sf "http://127.0.0.1:$port/metrics" | awk '$1 == "tracecompactor_overrides_reload_errors_total" { print $2 }')
[ "${n:-0}" -ge 1 ] || fail "reload errors not counted"
kill -TERM $pid; wait $pid || fail "non-zero exit after SIGTERM"
echo ok
