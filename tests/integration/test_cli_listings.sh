# tempo-cli's listings (list blocks|block|compaction-summary|index, view index,
# query blocks) on a bucket made with gen and compact: every live block is
# listed, the summary has a row per level, the counts agree with the metas,
# every --format json parses, and hostile tenant or block IDs are refused.
source "$(dirname "$0")/lib.sh"

now=$(date +%s)
age="$(( now - ( (now - 30 * 3600) / 3600 * 3600 + 600 ) ))s"   # 10 minutes into an hour, 30h ago
"$TC_BIN" gen --path "$TMP/b" --tenant t --flushes 4 --replicas 3 --traces 60 --spans 3 --age "$age" \
  --flush-interval 20m --seed 5 >/dev/null
P=(--path "$TMP/b" --tenant t)
live_ids() { for m in "$TMP"/b/t/*/meta.json; do basename "$(dirname "$m")"; done | sort; }
meta_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
json_ok() { python3 -m json.tool "$TMP/out" >/dev/null || { cat "$TMP/out"; fail "$1: --format json does not parse"; }; }

# list blocks: every live block, one row each, and the totals row.
expect_exit 0 "$TC_BIN" list blocks "${P[@]}"
head -3 "$TMP/out" | grep -q '^id  *lvl  *objects  *size  *encoding  *vers  *window  *start  *end  *duration  *age$' ||
  { cat "$TMP/out"; fail "list blocks: not tempo-cli's columns"; }
for id in $(live_ids); do
  grep -q "^$id  " "$TMP/out" || fail "list blocks misses live block $id"
done
[ "$(grep -cE '^[0-9a-f]{8}-' "$TMP/out")" -eq 12 ] || { cat "$TMP/out"; fail "list blocks: want 12 rows"; }
grep -qE '^total  +720  ' "$TMP/out" || { cat "$TMP/out"; fail "list blocks: totals row (720 objects)"; }

# A compaction: the summary has a row per level present, level first on the line.
expect_exit 0 "$TC_BIN" compact "${P[@]}"
expect_exit 0 "$TC_BIN" list compaction-summary "${P[@]}"
cp "$TMP/out" "$TMP/summary"
levels=$(for m in "$TMP"/b/t/*/meta.json; do meta_field "$m" compactionLevel; done | sort -un)
[ "$(echo "$levels" | wc -l)" -ge 2 ] || fail "the compaction should leave more than one level (got $levels)"
for l in $levels; do
  grep -qE "^$l  +[0-9]+ \([0-9]+ %\)  +[0-9,]+ objects \(" "$TMP/summary" || { cat "$TMP/summary"; fail "no row for level $l"; }
done
[ "$(grep -cE '^[0-9]+  ' "$TMP/summary")" -eq "$(echo "$levels" | wc -l)" ] || { cat "$TMP/summary"; fail "a row per level, no more"; }
expect_exit 0 "$TC_BIN" list compaction-summary "${P[@]}" --format json; json_ok compaction-summary
python3 - "$TMP/out" $levels <<'PY' || fail "compaction-summary json levels"
import json, sys
d = json.load(open(sys.argv[1]))
assert [l["level"] for l in d["levels"]] == [int(x) for x in sys.argv[2:]], d["levels"]
assert sum(l["blocks"] for l in d["levels"]) == d["blocks"]
PY

# After the compaction: still every live block; the compacted ones only with --include-compacted, marked Y.
expect_exit 0 "$TC_BIN" list blocks "${P[@]}"
for id in $(live_ids); do grep -q "^$id  " "$TMP/out" || fail "list blocks misses live block $id after compacting"; done
comp=$(ls "$TMP"/b/t/*/meta.compacted.json | head -1 | xargs dirname | xargs basename)
grep -q "^$comp " "$TMP/out" && fail "a compacted block is listed without --include-compacted"
expect_exit 0 "$TC_BIN" list blocks "${P[@]}" --include-compacted
grep -qE "^$comp .* Y$" "$TMP/out" || { cat "$TMP/out"; fail "compacted block $comp not listed with cmp=Y"; }
expect_exit 0 "$TC_BIN" list blocks "${P[@]}" --format json; json_ok "list blocks"
python3 - "$TMP/out" $(live_ids) <<'PY' || fail "list blocks json: ids"
import json, sys
d = json.load(open(sys.argv[1]))
assert sorted(b["id"] for b in d["blocks"]) == sorted(sys.argv[2:])
assert d["totals"]["objects"] == sum(b["objects"] for b in d["blocks"])
PY

# list block (--scan reads every object), list index and view index agree with the meta.
id=$(live_ids | head -1)
m="$TMP/b/t/$id/meta.json"
expect_exit 0 "$TC_BIN" list block "${P[@]}" "$id" --scan
grep -q "^ID            :  $id$" "$TMP/out" || { cat "$TMP/out"; fail "list block: ID line"; }
grep -q "^Objects scanned :  $(meta_field "$m" totalObjects)$" "$TMP/out" || { cat "$TMP/out"; fail "list block --scan: object count"; }
grep -q "^Duplicates      :  0$" "$TMP/out" || fail "list block --scan: duplicates"
expect_exit 0 "$TC_BIN" list block "${P[@]}" "$id" --scan --format json; json_ok "list block"
expect_exit 0 "$TC_BIN" list index "${P[@]}" "$id"
grep -q "^Index entries: $(meta_field "$m" totalRecords)$" "$TMP/out" || { cat "$TMP/out"; fail "list index: entries"; }
grep -qE '^Min record: ID:[0-9a-f]{32} Start:[0-9]+ Length:[0-9]+$' "$TMP/out" || fail "list index: min record"
expect_exit 0 "$TC_BIN" list index "${P[@]}" "$id" --format json; json_ok "list index"
expect_exit 0 "$TC_BIN" view index "${P[@]}" "$id"
[ "$(grep -c '^Index entry: ' "$TMP/out")" -eq "$(meta_field "$m" totalRecords)" ] || { cat "$TMP/out"; fail "view index: a line per record"; }
expect_exit 0 "$TC_BIN" view index "${P[@]}" "$id" --format json; json_ok "view index"
expect_exit 0 "$TC_BIN" block list "${P[@]}" --format json; json_ok "block list"

# query blocks: each block holding the trace, then the combined trace, which is what query returns.
tid=$("$TC_BIN" inspect --ids "$TMP/b/t/$comp" | sed -n 's/^id=//p' | head -1)
expect_exit 0 "$TC_BIN" query blocks "${P[@]}" "$tid"
cp "$TMP/out" "$TMP/qb"
grep -q "^$comp :$" "$TMP/qb" || { head -c 2000 "$TMP/qb"; fail "query blocks: the compacted block holding the trace"; }
[ "$(grep -c '^combined:$' "$TMP/qb")" -eq 1 ] || fail "query blocks: one combined trace"
sed -n '/^combined:$/{n;p}' "$TMP/qb" > "$TMP/combined.json"
expect_exit 0 "$TC_BIN" query "${P[@]}" "$tid"
python3 "$(dirname "$0")/same_spans.py" "$TMP/combined.json" "$TMP/out" "$tid" || fail "query blocks: combined differs from query"
expect_exit 0 "$TC_BIN" query blocks "${P[@]}" "$tid" --format json; json_ok "query blocks"
python3 - "$TMP/out" "$comp" <<'PY' || fail "query blocks json"
import json, sys
d = json.load(open(sys.argv[1]))
assert sys.argv[2] in [b["blockID"] for b in d["blocks"]] and d["combined"]["batches"]
PY

# Hostile names never reach the bucket.
for t in .. . 'a/b' '../t' "$(printf 'a\nb')" ''; do
  for cmd in "list blocks" "list compaction-summary" "retention --dry-run" "bucket verify"; do
    expect_exit 2 "$TC_BIN" $cmd --path "$TMP/b" --tenant "$t"
  done
  expect_exit 2 "$TC_BIN" list block --path "$TMP/b" --tenant "$t" "$id"
  expect_exit 2 "$TC_BIN" block mark --path "$TMP/b" --tenant "$t" "$id" --no-compact --reason x
done
for b in ../t "$id/../x" not-a-uuid; do
  expect_exit 2 "$TC_BIN" list block "${P[@]}" "$b"
  grep -q "is not a block ID" "$TMP/err" || fail "block ID $b: $(cat "$TMP/err")"
  expect_exit 2 "$TC_BIN" block rebuild-index "${P[@]}" "$b"
done
expect_exit 2 "$TC_BIN" list blocks "${P[@]}" --format yaml
echo ok
