# Shared by the integration tests: fail(), a temp dir removed on exit, and
# the locations ctest passes in (TC_BIN, TC_DATA, TC_SRC).
set -euo pipefail
: "${TC_BIN:?TC_BIN must point at the tracecompactor binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tc-it.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# need_fixtures: for scripts that read the Tempo fixture blocks. Sets FIX to
# $TC_DATA/tempo-v2 (tests/data/README.md) or fails naming what is missing;
# a missing fixture is a failure, never a skip. Copy a set into $TMP before
# changing anything in it. Scripts that need no fixtures do not call it.
need_fixtures() {
  [ -n "${TC_DATA:-}" ] || fail "TC_DATA is not set (run the tests through ctest, or set it to the repository's tests/data)"
  FIX="$TC_DATA/tempo-v2"
  [ -d "$FIX" ] || fail "fixtures missing: $FIX (tests/data/README.md)"
}
# expect_exit CODE CMD... : runs CMD, fails unless it exits with CODE; output in $TMP/out, $TMP/err
expect_exit() {
  local want=$1; shift
  set +e; "$@" >"$TMP/out" 2>"$TMP/err"; local got=$?; set -e
  [ "$got" -eq "$want" ] || { cat "$TMP/out" "$TMP/err" >&2; fail "exit $got, want $want: $*"; }
}
# inspect_live ROOT: runs `inspect` on every live block (meta.json) of every tenant under
# ROOT except quarantined ones (nocompact.json: kept live as known bad) and fails naming
# the first one it rejects; prints how many passed. Every test that compacts a local
# bucket ends with it, so nothing a compaction writes can be unreadable.
inspect_live() {
  local d n=0
  for d in "$1"/*/*/; do
    d=${d%/}
    [ -f "$d/meta.json" ] || continue
    [ -f "$d/nocompact.json" ] && continue
    "$TC_BIN" inspect "$d" >"$TMP/inspect.out" 2>"$TMP/inspect.err" ||
      { cat "$TMP/inspect.err" >&2; fail "live block $d fails inspect"; }
    n=$((n + 1))
  done
  echo "$n"
}
tree_sum() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum; find . | sort) | sha256sum; }
# wait_port LOG: waits (up to 15 s) for the service to log its HTTP port and prints it.
wait_port() {
  local p=""
  for _ in $(seq 150); do
    p=$(sed -n 's/.*msg="http server listening".* port=\([0-9]*\).*/\1/p' "$1" 2>/dev/null | head -1 || true)
    [ -n "$p" ] && { echo "$p"; return 0; }
    sleep 0.1
  done
  return 1
}
# same_trace TENANT ID "BUCKET_A" "BUCKET_B": queries the trace in two buckets
# (each "--path DIR" or "--config FILE") and fails unless both hold it with
# exactly the same spans. The caller adds its own `|| fail "why"`.
same_trace() {
  expect_exit 0 "$TC_BIN" query $3 --tenant "$1" "$2"; mv "$TMP/out" "$TMP/trace-a.json"
  expect_exit 0 "$TC_BIN" query $4 --tenant "$1" "$2"; mv "$TMP/out" "$TMP/trace-b.json"
  python3 "$(dirname "${BASH_SOURCE[0]}")/same_spans.py" "$TMP/trace-a.json" "$TMP/trace-b.json" "$2"
}
