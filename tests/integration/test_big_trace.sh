# A trace larger than max_bytes_per_trace, spread over four blocks in parts
# larger than chunk_size_bytes (so they are streamed, never held whole):
# compaction keeps the trace under the limit with its first spans, counts and
# logs what it discarded once, and leaves every other trace as it was. The
# same blocks without a limit keep every span.
source "$(dirname "$0")/lib.sh"

# All four flushes end in one compaction window (:10 to :25 of an hour), whatever the clock says.
now=$(date -u -d "@$(( $(date +%s) / 3600 * 3600 - 3000 ))" +%Y-%m-%dT%H:%M:%SZ)
gen_args=(--tenant big --flushes 4 --replicas 1 --traces 20 --spans 5 --big-trace-bytes 8M --seed 3 --age 3h
	  --flush-interval 5m --now "$now")
expect_exit 0 "$TC_BIN" gen --path "$TMP/capped" "${gen_args[@]}"
big=$(sed -n 's/^bigTrace=\([0-9a-f]*\) .*/\1/p' "$TMP/out")
[ -n "$big" ] || fail "gen printed no bigTrace line"
small=$(sed -n 's/^id=//p' < <("$TC_BIN" inspect --ids "$(ls -d "$TMP"/capped/big/*/ | head -1)") | grep -v "$big" | head -1)
cp -a "$TMP/capped" "$TMP/unlimited"
cp -a "$TMP/capped" "$TMP/orig"

spans() { python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); print(sum(len(i.get("spans",[])) for b in t["batches"] for i in b.get("instrumentationLibrarySpans",[])))' "$1"; }
expect_exit 0 "$TC_BIN" query --path "$TMP/orig" --tenant big "$big"
before=$(spans "$TMP/out")

# config FILE LIMIT: parts of ~2 MB are larger than the 256 KiB chunks.
config() { printf 'compactor:\n  compaction:\n    chunk_size_bytes: 262144\noverrides:\n  max_bytes_per_trace: %s\n' "$2" >"$1"; }
config "$TMP/capped.yaml" 1000000
expect_exit 0 "$TC_BIN" compact --path "$TMP/capped" --tenant big --config "$TMP/capped.yaml"
grep -q '^compacted .* spans_discarded=[1-9]' "$TMP/out" || { cat "$TMP/out"; fail "no spans discarded"; }
discarded=$(awk '/^compacted / { for (i = 1; i <= NF; i++) if ($i ~ /^spans_discarded=/) { sub(/.*=/, "", $i); s += $i } } END { print s + 0 }' "$TMP/out")
[ "$(grep -c "trace too large to compact.* trace=$big " "$TMP/err")" -eq 1 ] || { cat "$TMP/err"; fail "expected one warning for $big"; }
[ "$(grep -c "trace too large" "$TMP/err")" -eq 1 ] || fail "a warning for another trace"

# The big trace: fewer spans, all of them the original's, the rest counted
# (the byte bound itself is asserted by the unit tests).
expect_exit 0 "$TC_BIN" query --path "$TMP/capped" --tenant big "$big"
mv "$TMP/out" "$TMP/capped.json"
after=$(spans "$TMP/capped.json")
[ "$after" -gt 0 ] && [ "$after" -lt "$before" ] || fail "big trace: $after spans after, $before before"
[ $((before - after)) -le "$discarded" ] || fail "lost $((before - after)) spans but counted $discarded"
"$TC_BIN" query --path "$TMP/orig" --tenant big "$big" >"$TMP/orig.json"
python3 -c '
import json, sys
def spans(p):
    t = json.load(open(p))
    return [json.dumps(s, sort_keys=True) for b in t["batches"] for i in b.get("instrumentationLibrarySpans", []) for s in i.get("spans", [])]
a, b = spans(sys.argv[1]), set(spans(sys.argv[2]))
sys.exit(0 if all(s in b for s in a) else "a span the original trace does not have")
' "$TMP/capped.json" "$TMP/orig.json" || fail "capped trace is not a subset"
[ "$(ls "$TMP"/capped/big/*/meta.json | wc -l)" -eq 1 ] || fail "expected one live block after compaction"
same_trace big "$small" "--path $TMP/orig" "--path $TMP/capped"

# No limit: nothing discarded, every span kept.
config "$TMP/unlimited.yaml" 0
expect_exit 0 "$TC_BIN" compact --path "$TMP/unlimited" --tenant big --config "$TMP/unlimited.yaml"
grep -q '^compacted .* spans_discarded=0 ' "$TMP/out" || { cat "$TMP/out"; fail "spans discarded without a limit"; }
same_trace big "$big" "--path $TMP/orig" "--path $TMP/unlimited"
same_trace big "$small" "--path $TMP/orig" "--path $TMP/unlimited"
[ "$(inspect_live "$TMP/capped")" -eq 1 ] && [ "$(inspect_live "$TMP/unlimited")" -eq 1 ] ||
  fail "expected one live block per bucket, each passing inspect"
echo ok
