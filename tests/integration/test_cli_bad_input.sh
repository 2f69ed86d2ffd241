# Damaged blocks and hostile arguments through the real binary: a clear
# message naming the file, a non-zero exit, and not one byte of the bucket
# changed.
source "$(dirname "$0")/lib.sh"
need_fixtures

fresh() { rm -rf "$TMP/b"; cp -r "$FIX/$1/blocks" "$TMP/b"; ls -d "$TMP"/b/single-tenant/*/ | sed 's:/$::' > "$TMP/blocks"; }
nth() { sed -n "${1}p" "$TMP/blocks"; }
compact_fails() {
  local before; before=$(tree_sum "$TMP/b")
  expect_exit 1 "$TC_BIN" compact --path "$TMP/b" --tenant single-tenant
  grep -q "$1" "$TMP/err" || { cat "$TMP/err"; fail "compact error lacks '$1'"; }
  [ "$(tree_sum "$TMP/b")" = "$before" ] || fail "bucket changed by a failed compaction ($1)"
}

# Truncated data file.
fresh none; blk=$(nth 2); truncate -s 1000 "$blk/data"
expect_exit 1 "$TC_BIN" inspect "$blk"; grep -q "$(basename "$blk")/data" "$TMP/err" || fail "truncation: no file named"
compact_fails "/data"

# A flipped byte in an index page.
fresh zstd; blk=$(nth 3); printf '\x77' | dd of="$blk/index" bs=1 seek=30 conv=notrunc status=none
expect_exit 1 "$TC_BIN" inspect "$blk"; grep -q "index at offset 0" "$TMP/err" || fail "index flip: $(cat "$TMP/err")"
compact_fails "index at offset 0"

# meta.size wrong.
fresh gzip; blk=$(nth 1); sed -i 's/"size":\([0-9]*\)/"size":1\1/' "$blk/meta.json"
expect_exit 1 "$TC_BIN" inspect "$blk"; grep -q "meta.json says size" "$TMP/err" || fail "size: $(cat "$TMP/err")"
compact_fails "meta.json says size"

# A page length of 4 GiB in the data file.
fresh none; blk=$(nth 4); printf '\xff\xff\xff\xff' | dd of="$blk/data" bs=1 seek=0 conv=notrunc status=none
expect_exit 1 "$TC_BIN" inspect "$blk"; grep -q "data at offset 0" "$TMP/err" || fail "4GiB: $(cat "$TMP/err")"
compact_fails "data at offset 0"

# Garbage meta.json: the block is reported and skipped, the others still compact.
fresh snappy; blk=$(nth 1); echo '{"format": garbage' > "$blk/meta.json"
expect_exit 1 "$TC_BIN" inspect "$blk"; grep -q "meta.json" "$TMP/err" || fail "garbage meta: $(cat "$TMP/err")"
expect_exit 0 "$TC_BIN" compact --path "$TMP/b" --tenant single-tenant
grep -q "unreadable meta" "$TMP/err" || fail "garbage meta not reported"
[ "$(cat "$blk/meta.json")" = '{"format": garbage' ] || fail "garbage meta was touched"

# Hostile names and arguments.
fresh none
expect_exit 2 "$TC_BIN" compact --path "$TMP/b" --tenant ..
expect_exit 2 "$TC_BIN" compact --path "$TMP/b" --tenant a/b
expect_exit 2 "$TC_BIN" compact --path "$TMP/b" --tenant "$(head -c 10240 /dev/zero | tr '\0' a)"
grep -q "tenant" "$TMP/err" || fail "10 KB tenant: $(cat "$TMP/err")"
expect_exit 2 "$TC_BIN" query --path "$TMP/b" --tenant "$(printf 'x\001y')" 1
expect_exit 1 "$TC_BIN" compact --path "$TMP/b" --tenant single-tenant --blocks ../../etc
expect_exit 2 "$TC_BIN" compact --path "$TMP/b" --tenant single-tenant --no-such-flag
expect_exit 2 "$TC_BIN" inspect "$TMP/b"
expect_exit 2 "$TC_BIN" bogus-command
echo ok
