# Never write what cannot be read back, through the real binary: a trace
# body that is corrupt in one block only (so it would pass the merge
# undecoded) makes `compact` exit 1 naming the block, the trace ID and the
# offset, with the bucket byte-identical; `inspect` refuses the same object
# with the same words. Once the body is good again everything compacts and
# every live block passes inspect. Also: inspect refuses an index with bytes
# appended, and query refuses to print the bodies of an unknown data encoding.
source "$(dirname "$0")/lib.sh"
need_fixtures

now=$(date +%s)
age="$(( now - ( (now - 30 * 3600) / 3600 * 3600 + 600 ) ))s"   # 10 minutes into an hour, 30h ago
# Uncompressed pages, one replica, nothing continued: every trace is held by one block only.
"$TC_BIN" gen --path "$TMP/b" --tenant t --flushes 2 --replicas 1 --traces 60 --spans 4 --continue 0 \
  --encoding none --age "$age" --flush-interval 5m --seed 3 >/dev/null
set -- $(ls "$TMP/b/t")
[ $# -eq 2 ] || fail "setup: expected 2 blocks"
blk=$1
trace=$("$TC_BIN" inspect --ids "$TMP/b/t/$blk" | sed -n 's/^id=//p' | sed -n 7p)
cp "$TMP/b/t/$blk/data" "$TMP/data.good"

for mode in wiretype length; do
  read -r page pos < <(python3 "$(dirname "$0")/corrupt_body.py" "$TMP/b/t/$blk" "$trace" "$mode")
  case $mode in wiretype) why="illegal wire type" ;; length) why="length runs past the end" ;; esac
  where="t/$blk/data at offset $page: object at page position $pos, trace $trace"
  before=$(tree_sum "$TMP/b")
  expect_exit 1 "$TC_BIN" compact --path "$TMP/b" --tenant t
  grep -qF "input block $blk failed: $where: " "$TMP/err" && grep -qF "$why" "$TMP/err" ||
    { cat "$TMP/err"; fail "$mode: compact does not name block, trace and offset"; }
  [ "$(tree_sum "$TMP/b")" = "$before" ] || fail "$mode: a refused compaction changed the bucket"
  [ ! -e "$TMP/b/t/$blk/nocompact.json" ] || fail "$mode: the one-shot compact quarantined"
  expect_exit 1 "$TC_BIN" inspect "$TMP/b/t/$blk"
  grep -qF "inspect: $where: " "$TMP/err" && grep -qF "$why" "$TMP/err" ||
    { cat "$TMP/err"; fail "$mode: inspect does not refuse the same object"; }
  cp "$TMP/data.good" "$TMP/b/t/$blk/data"
done

# Good again: it compacts, and what it wrote passes inspect.
expect_exit 0 "$TC_BIN" compact --path "$TMP/b" --tenant t
grep -q '^compacted ' "$TMP/out" || fail "nothing compacted"
[ "$(inspect_live "$TMP/b")" -eq 1 ] || fail "expected one live block"

# An index file with bytes after its last page.
cp -r "$FIX/zstd/blocks" "$TMP/z"
blk=$(ls "$TMP/z/single-tenant" | head -1)
expect_exit 0 "$TC_BIN" inspect "$TMP/z/single-tenant/$blk"
size=$(stat -c %s "$TMP/z/single-tenant/$blk/index")
printf 'x' >> "$TMP/z/single-tenant/$blk/index"
expect_exit 1 "$TC_BIN" inspect "$TMP/z/single-tenant/$blk"
grep -qF "single-tenant/$blk/index: file is $((size + 1)) bytes" "$TMP/err" ||
  fail "appended index bytes: $(cat "$TMP/err")"

# query: a block whose bodies are of an unknown data encoding ("foo") is not printed as a trace.
fake="$FIX/tempo-repo-fake/blocks"
id=$("$TC_BIN" inspect --ids "$fake"/fake/*/ | sed -n 's/^id=//p' | head -1)
expect_exit 1 "$TC_BIN" query --path "$fake" --tenant fake "$id"
[ ! -s "$TMP/out" ] || fail "query printed opaque bytes"
grep -q 'dataEncoding=foo: query decodes only v1 and v2' "$TMP/err" || fail "opaque query: $(cat "$TMP/err")"
expect_exit 0 "$TC_BIN" query --path "$fake" --tenant fake --raw "$id"
[ -s "$TMP/out" ] || fail "--raw printed nothing"
echo ok
