# A mistyped path is an error, never a new directory: every command that
# opens a local bucket (compact, block list, block unquarantine, query,
# inspect, serve) exits 1 with `path "..." does not exist` and creates
# nothing, neither the root nor its parent nor a tenant directory. Only
# `gen` (demo and test data) and serve with storage.trace.local.create: true
# create the root.
source "$(dirname "$0")/lib.sh"

ID=3c5a3e0d-1b2a-4c3d-8e4f-5a6b7c8d9e0f
MISSING="$TMP/typo/root"

# missing CODE CMD...: CMD exits CODE, names $MISSING as missing, and $TMP/typo does not exist.
missing() {
  expect_exit "$@"
  grep -q "path .*$MISSING.* does not exist" "$TMP/err" || fail "no 'path ... does not exist' from: ${*:2}: $(cat "$TMP/err")"
  [ ! -e "$TMP/typo" ] || fail "created $(find "$TMP/typo" | tr '\n' ' ')by: ${*:2}"
}

missing 1 "$TC_BIN" compact --path "$MISSING" --tenant t
missing 1 "$TC_BIN" compact --path "$MISSING" --tenant t --blocks "$ID"
missing 1 "$TC_BIN" block list --path "$MISSING" --tenant t
missing 1 "$TC_BIN" block unquarantine --path "$MISSING" --tenant t "$ID"
missing 1 "$TC_BIN" query --path "$MISSING" --tenant t 0123abcd
missing 1 "$TC_BIN" inspect "$MISSING/t/$ID"
missing 1 "$TC_BIN" inspect --ids "$MISSING/t/$ID"

# The same path given by a config (storage.trace.local.path).
cat > "$TMP/c.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0}
storage: {trace: {backend: local, local: {path: $MISSING}}}
YAML
missing 1 "$TC_BIN" compact --config "$TMP/c.yaml" --tenant t
missing 1 "$TC_BIN" block list --config "$TMP/c.yaml" --tenant t
missing 1 "$TC_BIN" query --config "$TMP/c.yaml" --tenant t 0123abcd
missing 1 "$TC_BIN" -config.file="$TMP/c.yaml"
missing 1 "$TC_BIN" serve --config "$TMP/c.yaml"
grep -q 'startup failed' "$TMP/err" || fail "serve: $(cat "$TMP/err")"
missing 1 "$TC_BIN" serve --config "$TMP/c.yaml" -storage.trace.local.create=false
# A flag-given path too.
missing 1 "$TC_BIN" serve -server.http_listen_port=0 -server.http_listen_address=127.0.0.1 \
  -storage.trace.local.path="$MISSING"

# An existing root: the commands work and still create nothing (no tenant dir).
mkdir -p "$TMP/empty"
expect_exit 0 "$TC_BIN" compact --path "$TMP/empty" --tenant t
expect_exit 0 "$TC_BIN" block list --path "$TMP/empty" --tenant t
expect_exit 2 "$TC_BIN" query --path "$TMP/empty" --tenant t 0123abcd
grep -q 'not found in 0 live blocks' "$TMP/err" || fail "query on an empty bucket: $(cat "$TMP/err")"
[ -z "$(ls -A "$TMP/empty")" ] || fail "commands created $(ls -A "$TMP/empty") in an existing root"

# gen sets up buckets: it creates its root (and parents).
expect_exit 0 "$TC_BIN" gen --path "$TMP/new/root" --tenant t --flushes 1 --replicas 1 --traces 5
[ -d "$TMP/new/root/t" ] || fail "gen did not create its root"
expect_exit 0 "$TC_BIN" block list --path "$TMP/new/root" --tenant t
grep -q '^live ' "$TMP/out" || fail "gen's block not listed: $(cat "$TMP/out")"

# serve with storage.trace.local.create: true creates the path on its first start.
cat > "$TMP/create.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0}
storage: {trace: {backend: local, local: {path: $TMP/first/start, create: true}}}
YAML
"$TC_BIN" -config.file="$TMP/create.yaml" >"$TMP/log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT
port=$(wait_port "$TMP/log") || { cat "$TMP/log"; fail "serve with create: true did not start"; }
ready=
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null && { ready=1; break; }
  sleep 0.1
done
[ -n "$ready" ] || { cat "$TMP/log"; fail "not ready"; }
[ -d "$TMP/first/start" ] || fail "storage.trace.local.create: true did not create the path"
kill -TERM $pid; wait $pid || fail "non-zero exit after SIGTERM"
echo ok
