# The README's first command works as written: from a directory laid out like
# the repository root (build/tracecompactor and the shipped
# configs/tracecompactor.yaml), `build/tracecompactor
# -config.file=configs/tracecompactor.yaml` creates ./data, answers /ready on
# the config's port 3200, and exits 0 on SIGTERM. It runs in a copy, so no
# ./data is left in the source tree.
#
# Port 3200 may be taken on this machine (another checkout's test, a real
# Tempo). Where unprivileged user and network namespaces work, the test runs
# in its own network namespace, where 3200 is always free, so the command is
# run exactly as written. Elsewhere it runs on the host, and only if 3200 is
# taken there does it add -server.http_listen_port=0 (and says so).
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "${TC_IN_NETNS:-}" != 1 ] && command -v unshare >/dev/null && command -v ip >/dev/null &&
   unshare -rn true 2>/dev/null; then
  TC_IN_NETNS=1 exec unshare -rn bash "$HERE/$(basename "$0")"
fi
[ "${TC_IN_NETNS:-}" != 1 ] || ip link set lo up
source "$HERE/lib.sh"

CMD="build/tracecompactor -config.file=configs/tracecompactor.yaml"
grep -q "^$CMD" "$TC_SRC/README.md" || fail "README's first command is no longer \"$CMD\": update this test"
ROOT="$TMP/root"
mkdir -p "$ROOT/configs" "$ROOT/build"
cp "$TC_SRC/configs/tracecompactor.yaml" "$ROOT/configs/"
ln -s "$TC_BIN" "$ROOT/build/tracecompactor"
src_data_before=$(ls -d "$TC_SRC/data" 2>/dev/null || true)

# start [FLAGS...]: runs the command in $ROOT; sets pid and port, or returns 1
# if the service exited first (log in $TMP/log).
start() {
  (cd "$ROOT" && exec $CMD "$@") >"$TMP/log" 2>&1 &
  pid=$!
  port=
  for _ in $(seq 300); do
    port=$(sed -n 's/.*msg="http server listening".* port=\([0-9]*\).*/\1/p' "$TMP/log" | head -1)
    [ -n "$port" ] && return 0
    kill -0 $pid 2>/dev/null || return 1
    sleep 0.1
  done
  cat "$TMP/log"; fail "no 'http server listening' within 30 s"
}

trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT
if start; then
  [ "$port" = 3200 ] || fail "listening on $port, not the config's 3200"
elif [ "${TC_IN_NETNS:-}" != 1 ] && grep -q 'Address already in use' "$TMP/log"; then
  echo "note: port 3200 is taken on this host; running with -server.http_listen_port=0" >&2
  start -server.http_listen_port=0 || { cat "$TMP/log"; fail "did not start"; }
else
  cat "$TMP/log"; fail "\"$CMD\" did not start"
fi
ready=
for _ in $(seq 300); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ready")" = 200 ] && { ready=1; break; }
  sleep 0.1
done
[ -n "$ready" ] || { cat "$TMP/log"; fail "/ready did not answer 200 within 30 s"; }
[ -d "$ROOT/data" ] || fail "./data was not created"
curl -sf "http://127.0.0.1:$port/config" | grep -q 'path: "./data"' || fail "/config does not show ./data"
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
[ $rc -eq 0 ] || { cat "$TMP/log"; fail "exit $rc after SIGTERM, want 0"; }
grep -q 'msg="stopped"' "$TMP/log" || { cat "$TMP/log"; fail "no clean stop logged"; }
[ "$(ls -d "$TC_SRC/data" 2>/dev/null || true)" = "$src_data_before" ] || fail "a ./data appeared in the source tree"
echo ok
