# tracecompactor gen: every block it writes passes inspect, replicas hold
# the same data, the same flags write the same bytes, compact merges the
# blocks, and a trace continued across two flushes comes back from query
# with the spans of both flushes, each once.
source "$(dirname "$0")/lib.sh"

# Both flushes end in one compaction window (:10 and :15 of an hour), so one job merges all four.
now=$(date -u -d "@$(( $(date +%s) / 3600 * 3600 - 3000 ))" +%Y-%m-%dT%H:%M:%SZ)
args=(--tenant gen-t --replicas 2 --traces 300 --spans 8 --continue 0.25 --seed 7 --age 3h --now "$now")
root="$TMP/bucket"

expect_exit 0 "$TC_BIN" gen --path "$root" --flushes 2 "${args[@]}"
cp "$TMP/out" "$TMP/gen.out"
[ "$(grep -c '^block=' "$TMP/gen.out")" -eq 4 ] || { cat "$TMP/gen.out"; fail "expected 4 block lines"; }
grep -q '^generated tenant=gen-t blocks=4 ' "$TMP/gen.out" || fail "no summary line"
block() { sed -n "s/^block=\([0-9a-f-]*\) .* flush=$1 replica=$2 .*/\1/p" "$TMP/gen.out"; }
[ "$(ls "$root/gen-t" | wc -l)" -eq 4 ] || fail "expected 4 block directories"

for b in "$root"/gen-t/*/; do
  expect_exit 0 "$TC_BIN" inspect "$b"
  grep -q '^ok$' "$TMP/out" || fail "inspect printed no ok for $b"
  grep -q ' level=0$' "$TMP/out" || fail "$b is not level 0"
  grep -q '^objects=300 ' "$TMP/out" || fail "$b does not hold 300 traces"
done

# Replicas: the same data under another block ID.
cmp -s "$root/gen-t/$(block 0 0)/data" "$root/gen-t/$(block 0 1)/data" || fail "flush 0 replicas differ"
cmp -s "$root/gen-t/$(block 1 0)/index" "$root/gen-t/$(block 1 1)/index" || fail "flush 1 replicas differ"

# Same flags, same bytes.
expect_exit 0 "$TC_BIN" gen --path "$TMP/again" --flushes 2 "${args[@]}"
[ "$(tree_sum "$root")" = "$(tree_sum "$TMP/again")" ] || fail "a second run with the same seed differs"

# A second run with the same seed into the same bucket refuses to overwrite.
expect_exit 2 "$TC_BIN" gen --path "$root" --flushes 2 "${args[@]}"
grep -q 'already exists' "$TMP/err" || fail "no message about existing blocks"

# The traces both flushes hold: a quarter of them continue.
expect_exit 0 "$TC_BIN" inspect --ids "$root/gen-t/$(block 0 0)"
sed -n 's/^id=//p' "$TMP/out" | sort > "$TMP/ids0"
expect_exit 0 "$TC_BIN" inspect --ids "$root/gen-t/$(block 1 0)"
sed -n 's/^id=//p' "$TMP/out" | sort > "$TMP/ids1"
comm -12 "$TMP/ids0" "$TMP/ids1" > "$TMP/continued"
[ "$(wc -l < "$TMP/continued")" -eq 75 ] || fail "expected 75 continued traces, got $(wc -l < "$TMP/continued")"
id=$(head -1 "$TMP/continued")

# Flush 0 alone (a one-flush run writes the same first flush) gives part 0's spans.
expect_exit 0 "$TC_BIN" gen --path "$TMP/first" --flushes 1 "${args[@]}"
expect_exit 0 "$TC_BIN" query --path "$TMP/first" --tenant gen-t "$id"
mv "$TMP/out" "$TMP/part0.json"
expect_exit 0 "$TC_BIN" query --path "$root" --tenant gen-t "$id"
mv "$TMP/out" "$TMP/before.json"

expect_exit 0 "$TC_BIN" compact --path "$root" --tenant gen-t
grep -q '^compacted ' "$TMP/out" || { cat "$TMP/out"; fail "nothing was compacted"; }
grep -q ' spans_deduped=[1-9]' "$TMP/out" || { cat "$TMP/out"; fail "no spans deduped"; }
for out in $(sed -n 's/.* output=\([0-9a-f-]*\) .*/\1/p' "$TMP/out"); do
  expect_exit 0 "$TC_BIN" inspect "$root/gen-t/$out"
  grep -q ' level=1$' "$TMP/out" || fail "output $out is not level 1"
done
[ "$(inspect_live "$root")" -eq 1 ] || fail "expected one live block after compaction"
expect_exit 0 "$TC_BIN" query --path "$root" --tenant gen-t "$id"
mv "$TMP/out" "$TMP/after.json"

python3 - "$TMP/part0.json" "$TMP/before.json" "$TMP/after.json" "$id" <<'PY' || fail "trace $id is not both flushes' spans"
import json, sys
def spans(p):
    t = json.load(open(p))
    return [s for b in t["batches"] for ils in b.get("instrumentationLibrarySpans", []) for s in ils.get("spans", [])]
part0, before, after = (spans(p) for p in sys.argv[1:4])
key = lambda s: json.dumps(s, sort_keys=True)
ids = [s["spanId"] for s in after]
assert len(ids) == len(set(ids)), "a span appears twice after compaction"
assert sorted(map(key, after)) == sorted(map(key, before)), "compaction changed the trace"
assert set(map(key, part0)) < set(map(key, after)), "flush 0's spans are not all there, or nothing was added"
assert all(s["traceId"].endswith(sys.argv[4].lstrip("0")) for s in after)
assert any("parentSpanId" not in s for s in after), "no root span"
PY

# Bad input: exit 2 and nothing written.
expect_exit 2 "$TC_BIN" gen --path "$TMP/bad" --tenant ../etc
grep -q 'tenant' "$TMP/err" || fail "no tenant message"
expect_exit 2 "$TC_BIN" gen --path "$TMP/bad" --tenant t --flushes 0
expect_exit 2 "$TC_BIN" gen --path "$TMP/bad" --tenant t --continue 2
expect_exit 2 "$TC_BIN" gen --path "$TMP/bad" --tenant t --encoding bogus
expect_exit 2 "$TC_BIN" gen --path "$TMP/bad" --tenant t --data-encoding v9
expect_exit 2 "$TC_BIN" gen --path "$TMP/bad" --tenant t --flush-interval soon
expect_exit 2 "$TC_BIN" gen --tenant t
[ ! -e "$TMP/bad" ] || fail "a rejected gen created $TMP/bad"
echo "ok"
