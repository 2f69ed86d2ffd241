# serve and the ring, without an etcd: no ring configured, /compactor/ring is
# a 404 that says so; a ring whose etcd cannot be reached stops the start
# with exit 1 (the world's fault), one whose address cannot be worked out
# with exit 2 (the config's), and instance_port 0 is warned about.
source "$(dirname "$0")/lib.sh"
mkdir -p "$TMP/b"
base="server: {http_listen_address: 127.0.0.1, http_listen_port: 0}
storage: {trace: {backend: local, local: {path: $TMP/b}}}"

echo "$base" > "$TMP/plain.yaml"
"$TC_BIN" -config.file="$TMP/plain.yaml" > "$TMP/log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT
port=$(wait_port "$TMP/log") || { cat "$TMP/log"; fail "no http port"; }
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "http://127.0.0.1:$port/compactor/ring")
[ "$code" = 404 ] || fail "/compactor/ring without a ring: $code"
grep -q 'compactor.ring.kvstore.store is not set' "$TMP/body" || fail "404 body: $(cat "$TMP/body")"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -d forget=x "http://127.0.0.1:$port/compactor/ring")
[ "$code" = 404 ] || fail "POST /compactor/ring without a ring: $code"
kill -TERM $pid; wait $pid || fail "exit $? after SIGTERM"

# Nothing listens on port 1: refused at once, every retry.
ring() { printf '%s\ncompactor:\n  ring:\n    kvstore: {store: etcd, etcd: {endpoints: ["127.0.0.1:1"], dial_timeout: 1s, max_retries: 1}}\n%s\n' "$base" "$1" > "$TMP/ring.yaml"; }
ring "    instance_addr: 127.0.0.1"
t0=$(date +%s)
expect_exit 1 "$TC_BIN" -config.file="$TMP/ring.yaml"
[ $(( $(date +%s) - t0 )) -lt 30 ] || fail "an unreachable etcd took $(( $(date +%s) - t0 ))s to give up"
grep -q 'msg="startup failed" exit=1' "$TMP/err" || fail "$(cat "$TMP/err")"
grep -q '127.0.0.1:1' "$TMP/err" || fail "the error does not name the endpoint: $(cat "$TMP/err")"
grep -q 'instance_port is 0' "$TMP/err" || fail "no warning about instance_port 0: $(cat "$TMP/err")"

ring "    instance_interface_names: [tc-no-such-if0]"
expect_exit 2 "$TC_BIN" -config.file="$TMP/ring.yaml"
grep -q 'tc-no-such-if0' "$TMP/err" || fail "the error does not name the interface: $(cat "$TMP/err")"
echo ok
