# `make run`'s demo (scripts/run-demo.sh) is the README's first command with
# demo flags on top: it serves configs/tracecompactor.yaml with DATA as the
# local path and PORT as the port, seeds an empty or missing DATA once (gen
# creates it) and stops with exit 0 on SIGTERM. DATA is absolute here, so
# nothing is written to the source tree.
source "$(dirname "$0")/lib.sh"

D="$TMP/demo"
# demo LOG: runs the demo in the background on a free port; sets pid and port.
demo() {
  BIN="$TC_BIN" DATA="$D" PORT=0 bash "$TC_SRC/scripts/run-demo.sh" >"$1" 2>&1 &
  pid=$!
  port=$(wait_port "$1") || { cat "$1"; fail "the demo did not start"; }
  for _ in $(seq 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ready")" = 200 ] && return 0
    sleep 0.1
  done
  cat "$1"; fail "the demo's /ready did not answer 200 within 30 s"
}
stop() {
  kill -TERM $pid
  set +e; wait $pid; local rc=$?; set -e
  [ $rc -eq 0 ] || { cat "$1"; fail "the demo exited $rc after SIGTERM"; }
}
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT

demo "$TMP/log1"
grep -q "seeding $D" "$TMP/log1" || fail "a missing DATA was not seeded"
for t in shop-frontend payments search; do
  expect_exit 0 "$TC_BIN" block list --path "$D" --tenant $t
  grep -q '^live ' "$TMP/out" || fail "tenant $t not seeded"
done
curl -sf "http://127.0.0.1:$port/config" >"$TMP/config"
# The shipped config underneath (its create: true), DATA and the demo's flags on top.
grep -q "path: \"$D\"" "$TMP/config" || fail "DATA is not the local path: $(cat "$TMP/config")"
grep -q 'create: true' "$TMP/config" || fail "not the shipped config: $(cat "$TMP/config")"
grep -q 'compaction_cycle: 5s' "$TMP/config" || fail "demo periods missing: $(cat "$TMP/config")"
grep -q 'per_tenant_override_config: "configs/overrides.yaml"' "$TMP/config" || fail "overrides missing: $(cat "$TMP/config")"
stop "$TMP/log1"

# A second run keeps the bucket as it is.
demo "$TMP/log2"
grep -q seeding "$TMP/log2" && fail "an existing DATA was seeded again"
stop "$TMP/log2"
echo ok
