# block rebuild-index / rebuild-bloom make the files again from the data file,
# byte for byte as our writer and Tempo 1.5 wrote them; wrong bloom settings
# and damaged data are refused without writing. block mark --no-compact
# writes the service's quarantine marker (compact then skips the block) and
# block unquarantine removes it.
source "$(dirname "$0")/lib.sh"
need_fixtures

# A compaction with small index pages, data pages and bloom shards: its output has many of each,
# and its bloom was sized for the inputs' objects, duplicates included.
cat > "$TMP/c.yaml" <<Y
storage:
  trace:
    backend: local
    local: {path: $TMP/b}
    block: {bloom_filter_shard_size_bytes: 500, index_downsample_bytes: 4096, index_page_size_bytes: 300}
Y
"$TC_BIN" gen --path "$TMP/b" --tenant t --flushes 1 --replicas 2 --traces 1500 --spans 2 --age 3h --seed 8 >/dev/null
expect_exit 0 "$TC_BIN" compact --config "$TMP/c.yaml" --tenant t
P=(--config "$TMP/c.yaml" --tenant t)
set -- $(basename "$(dirname "$(ls "$TMP"/b/t/*/meta.json)")")
"$TC_BIN" gen --path "$TMP/b" --tenant t --flushes 1 --replicas 2 --traces 30 --spans 2 --age 2h --seed 9 >/dev/null
set -- "$1" $(for m in "$TMP"/b/t/*/meta.json; do b=$(basename "$(dirname "$m")"); [ "$b" = "$1" ] || echo "$b"; done)
d="$TMP/b/t/$1"
cp -r "$d" "$TMP/orig"
ls "$d" | grep -q '^bloom-1$' || fail "want a block with several bloom shards"

# Unchanged files are left alone; missing or damaged ones are written again, identical.
expect_exit 0 "$TC_BIN" block rebuild-index "${P[@]}" "$1"
grep -q "index unchanged" "$TMP/out" && grep -q "^index verified: " "$TMP/out" || { cat "$TMP/out"; fail "rebuild-index on a good block"; }
rm "$d/index"
head -c 1000 /dev/urandom > "$d/bloom-1"
rm "$d/bloom-0"
expect_exit 1 "$TC_BIN" inspect "$d"
expect_exit 0 "$TC_BIN" block rebuild-index "${P[@]}" "$1"
grep -q "t/$1/index written" "$TMP/out" || { cat "$TMP/out"; fail "index not written"; }
expect_exit 0 "$TC_BIN" block rebuild-bloom "${P[@]}" "$1"
grep -q "bloom-0 written" "$TMP/out" && grep -q "bloom-1 written" "$TMP/out" && grep -q "^bloom verified: " "$TMP/out" ||
  { cat "$TMP/out"; fail "bloom shards not written"; }
for f in index $(cd "$TMP/orig" && ls bloom-*); do
  cmp "$TMP/orig/$f" "$d/$f" || fail "rebuilt $f differs from what the writer wrote"
done
ls -a "$d" | grep -q tc-tmp && fail "a temporary file was left behind"
expect_exit 0 "$TC_BIN" inspect "$d"

# Tempo's blocks, level 0 and compacted (bloom shards of 100000 bytes, tests/data/README.md).
cp -r "$FIX/snappy/blocks" "$TMP/tempo"
cp -r "$FIX/snappy-tempo-compacted/blocks/." "$TMP/tempo/"
n=0
for m in "$TMP"/tempo/*/*/meta*.json; do
  blk=$(dirname "$m"); ten=$(basename "$(dirname "$blk")"); id=$(basename "$blk")
  cp "$blk/index" "$blk/bloom-0" "$TMP/"
  rm "$blk/index" "$blk/bloom-0"
  expect_exit 0 "$TC_BIN" block rebuild-index --path "$TMP/tempo" --tenant "$ten" "$id"
  expect_exit 0 "$TC_BIN" block rebuild-bloom --path "$TMP/tempo" --tenant "$ten" "$id" --bloom-shard-size 100000
  cmp "$TMP/index" "$blk/index" && cmp "$TMP/bloom-0" "$blk/bloom-0" || fail "Tempo block $id: rebuilt files differ"
  n=$((n + 1))
done
[ "$n" -ge 5 ] || fail "only $n Tempo blocks"
# The shard size the block was not written with: refused, naming the right one; nothing written.
blk=$(dirname "$(ls "$TMP"/tempo/*/*/meta.json | head -1)")
before=$(tree_sum "$TMP/tempo")
expect_exit 2 "$TC_BIN" block rebuild-bloom --path "$TMP/tempo" --tenant single-tenant "$(basename "$blk")"
grep -q "pass --bloom-shard-size 100000" "$TMP/err" || fail "wrong shard size: $(cat "$TMP/err")"
expect_exit 2 "$TC_BIN" block rebuild-bloom --path "$TMP/tempo" --tenant single-tenant "$(basename "$blk")" --bloom-fp 0.5 --bloom-shard-size 10
# Damaged data: no index is made from it.
truncate -s -50 "$blk/data"
before=$(tree_sum "$TMP/tempo")
expect_exit 1 "$TC_BIN" block rebuild-index --path "$TMP/tempo" --tenant single-tenant "$(basename "$blk")"
grep -q "meta.json says size" "$TMP/err" || fail "truncated data: $(cat "$TMP/err")"
[ "$(tree_sum "$TMP/tempo")" = "$before" ] || fail "a refused rebuild changed the bucket"

# block mark --no-compact: the marker the service writes, which compact honours; unquarantine removes it.
expect_exit 2 "$TC_BIN" block mark "${P[@]}" "$2" --reason "no flag"
expect_exit 2 "$TC_BIN" block mark "${P[@]}" "$2" --no-compact
expect_exit 0 "$TC_BIN" block mark "${P[@]}" "$2" --no-compact --reason "disk errors on node 3"
python3 - "$TMP/b/t/$2/nocompact.json" <<'PY' || fail "marker content"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["reason"] == "disk errors on node 3" and m["time"] and "error" in m, m
PY
expect_exit 0 "$TC_BIN" block list "${P[@]}"
grep -q "^quarantined $2 " "$TMP/out" || fail "block list does not show the mark"
expect_exit 0 "$TC_BIN" compact "${P[@]}"
grep -q "$2" "$TMP/out" && fail "a marked block was compacted"
[ -f "$TMP/b/t/$2/meta.json" ] || fail "the marked block is no longer live"
compacted=$(ls "$TMP"/b/t/*/meta.compacted.json | head -1 | xargs dirname | xargs basename)
expect_exit 2 "$TC_BIN" block mark "${P[@]}" "$compacted" --no-compact --reason x
grep -q "is compacted" "$TMP/err" || fail "marking a compacted block: $(cat "$TMP/err")"
expect_exit 1 "$TC_BIN" block mark "${P[@]}" 33333333-3333-4333-8333-333333333333 --no-compact --reason x
expect_exit 0 "$TC_BIN" block unquarantine "${P[@]}" "$2"
[ -e "$TMP/b/t/$2/nocompact.json" ] && fail "unquarantine left the marker"
expect_exit 1 "$TC_BIN" block unquarantine "${P[@]}" "$2"
grep -q "is not quarantined" "$TMP/err" || fail "unquarantine twice: $(cat "$TMP/err")"
echo ok
