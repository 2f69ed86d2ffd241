# The three commands on real Tempo blocks: inspect passes on every fixture,
# compact turns each set's four inputs into one level-1 block that inspect
# accepts, and query finds every trace with the same spans as in the block
# Tempo's own compactor made.
source "$(dirname "$0")/lib.sh"
need_fixtures

for meta in $(find "$FIX" -name meta.json | sort); do
  expect_exit 0 "$TC_BIN" inspect "$(dirname "$meta")"
  grep -q '^ok$' "$TMP/out" || fail "inspect printed no ok for $meta"
done

for set in zstd snappy none gzip lz4-1M; do
  cp -r "$FIX/$set" "$TMP/$set"
  root="$TMP/$set/blocks"
  expect_exit 0 "$TC_BIN" compact --path "$root" --tenant single-tenant
  [ "$(grep -c '^compacted ' "$TMP/out")" -eq 1 ] || { cat "$TMP/out"; fail "$set: expected one compaction"; }
  out=$(sed -n 's/.* output=\([0-9a-f-]*\) .*/\1/p' "$TMP/out")
  grep -q " level=1 " "$TMP/out" || fail "$set: output level is not 1"
  [ "$(ls "$root"/single-tenant/*/meta.compacted.json | wc -l)" -eq 4 ] || fail "$set: inputs not marked compacted"
  expect_exit 0 "$TC_BIN" inspect "$root/single-tenant/$out"
  [ "$(inspect_live "$root")" -eq 1 ] || fail "$set: expected one live block"

  # A second run finds nothing more to do.
  expect_exit 0 "$TC_BIN" compact --path "$root" --tenant single-tenant
  grep -q '^nothing to compact' "$TMP/out" || fail "$set: second run compacted again"

  ref=$(dirname "$(find "$FIX/$set-tempo-compacted" -name meta.json)")
  expect_exit 0 "$TC_BIN" inspect --ids "$ref"
  sed -n 's/^id=//p' "$TMP/out" > "$TMP/ids"
  [ "$(wc -l < "$TMP/ids")" -gt 100 ] || fail "$set: too few IDs"
  # A third of the traces of the zstd set, a sample of the others (each query is two processes;
  # unit/test_block finds every trace of every fixture in-process).
  step=3; [ "$set" = zstd ] || step=17
  n=0
  while read -r id; do
    n=$((n + 1)); [ $(( (n - 1) % step )) -eq 0 ] || continue
    same_trace single-tenant "$id" "--path $root" "--path $FIX/$set-tempo-compacted/blocks" || fail "$set: trace $id differs from Tempo's"
  done < "$TMP/ids"
done

# Not found is exit 2; a short ID is padded like Tempo does.
expect_exit 2 "$TC_BIN" query --path "$TMP/zstd/blocks" --tenant single-tenant 00000000000000000000000000000001
expect_exit 2 "$TC_BIN" query --path "$TMP/zstd/blocks" --tenant single-tenant 1
expect_exit 2 "$TC_BIN" query --path "$TMP/zstd/blocks" --tenant ../etc 1
expect_exit 2 "$TC_BIN" query --path "$TMP/zstd/blocks" --tenant single-tenant not-hex
echo "ok"
