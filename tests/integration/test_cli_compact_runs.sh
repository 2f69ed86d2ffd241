# `compact` without --blocks keeps selecting until nothing is left: two
# windows (of 9 and 3 level-0 blocks) end as one block per window, and
# --blocks compacts exactly the blocks named. Like the service, it leaves
# quarantined blocks alone and applies the tenant's overrides.
source "$(dirname "$0")/lib.sh"

now=$(date +%s)
age="$(( now - ( (now - 30 * 3600) / 3600 * 3600 + 600 ) ))s"   # 10 minutes into an hour, 30h ago
"$TC_BIN" gen --path "$TMP/b" --tenant t --flushes 4 --replicas 3 --traces 100 --spans 4 --age "$age" \
  --flush-interval 20m --seed 9 >/dev/null
# flushes end at :10, :30, :50 and :10 of the next hour: windows of 9 and 3 blocks
expect_exit 0 "$TC_BIN" compact --path "$TMP/b" --tenant t
jobs=$(grep -c '^compacted ' "$TMP/out")
live=$(ls "$TMP"/b/t/*/meta.json | wc -l)
[ "$live" -eq 2 ] || { cat "$TMP/out"; fail "expected one live block per window, got $live"; }
[ "$jobs" -eq 4 ] || { cat "$TMP/out"; fail "expected 4 jobs (9 blocks: 4, 4, then 3; 3 blocks: 1), got $jobs"; }
grep -q "level=2" "$TMP/out" || fail "outputs were not compacted again"

# --blocks: exactly the named live blocks; a compacted one is refused.
"$TC_BIN" gen --path "$TMP/c" --tenant t --flushes 1 --replicas 3 --traces 50 --spans 4 --seed 10 >/dev/null
set -- $(ls "$TMP/c/t")
expect_exit 0 "$TC_BIN" compact --path "$TMP/c" --tenant t --blocks "$1,$2"
[ -e "$TMP/c/t/$1/meta.compacted.json" ] && [ -e "$TMP/c/t/$2/meta.compacted.json" ] && [ -e "$TMP/c/t/$3/meta.json" ] ||
  fail "--blocks did not compact exactly the named blocks"
expect_exit 1 "$TC_BIN" compact --path "$TMP/c" --tenant t --blocks "$1,$3"
grep -q "already compacted" "$TMP/err" || fail "compacted input not refused: $(cat "$TMP/err")"
# A quarantined block is skipped; the overrides file's max_bytes_per_trace for the tenant applies.
"$TC_BIN" gen --path "$TMP/q" --tenant t --flushes 1 --replicas 3 --traces 50 --spans 4 --age "$age" --seed 11 >/dev/null
set -- $(ls "$TMP/q/t")
printf '{"reason":"test"}' > "$TMP/q/t/$1/nocompact.json"
printf 'overrides:\n  "t": {max_bytes_per_trace: 200}\n' > "$TMP/ov.yaml"
printf 'overrides:\n  per_tenant_override_config: %s\n' "$TMP/ov.yaml" > "$TMP/c.yaml"
expect_exit 0 "$TC_BIN" compact --path "$TMP/q" --tenant t --config "$TMP/c.yaml"
grep -q "^compacted .*inputs=.*$2" "$TMP/out" || { cat "$TMP/out"; fail "nothing compacted"; }
grep -q "$1" "$TMP/out" && fail "the quarantined block was compacted"
[ -e "$TMP/q/t/$1/meta.json" ] || fail "the quarantined block is no longer live"
grep -q ' spans_discarded=[1-9]' "$TMP/out" || { cat "$TMP/out"; fail "the tenant's max_bytes_per_trace was not applied"; }
# Everything the runs wrote reads back (the quarantined block is left out).
[ "$(inspect_live "$TMP/b")" -eq 2 ] && [ "$(inspect_live "$TMP/c")" -eq 2 ] && [ "$(inspect_live "$TMP/q")" -eq 1 ] ||
  fail "unexpected number of live blocks passing inspect"
echo ok
