# bucket verify: a healthy bucket (ours and Tempo's fixture blocks) passes
# with exit 0; a truncated data file, a bad bloom shard and an unreadable meta
# are each reported as damaged with exit 1; partial blocks are reported as
# stale past the grace; overlapping blocks of one level and window are listed.
source "$(dirname "$0")/lib.sh"
need_fixtures

"$TC_BIN" gen --path "$TMP/b" --tenant t --flushes 2 --replicas 2 --traces 40 --spans 3 --seed 3 >/dev/null
"$TC_BIN" gen --path "$TMP/b" --tenant u --flushes 1 --replicas 1 --traces 40 --spans 3 --seed 4 >/dev/null
expect_exit 0 "$TC_BIN" bucket verify --path "$TMP/b"
grep -q '^summary tenants=2 blocks=5 ok=5 damaged=0 ' "$TMP/out" || { cat "$TMP/out"; fail "healthy bucket summary"; }
[ "$(grep -c ' status=ok ' "$TMP/out")" -eq 5 ] || fail "a line per block"
# the two replicas of each flush overlap in level 0 of their window
grep -qE '^overlap tenant=t level=0 window=\S+ blocks=[0-9a-f-]{36},[0-9a-f-]{36}' "$TMP/out" || { cat "$TMP/out"; fail "overlap not reported"; }
expect_exit 0 "$TC_BIN" bucket verify --path "$TMP/b" --tenant u --format json
python3 - "$TMP/out" <<'PY' || fail "json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["summary"]["blocks"] == 1 and d["summary"]["damaged"] == 0 and d["blocks"][0]["status"] == "ok"
PY

# Tempo 1.5's blocks pass as they are (a copy: verify only reads, but the data is never touched in place).
cp -r "$FIX/zstd/blocks" "$TMP/tempo"
cp -r "$FIX/zstd-tempo-compacted/blocks/." "$TMP/tempo/"
expect_exit 0 "$TC_BIN" bucket verify --path "$TMP/tempo"
grep -q ' damaged=0 ' "$TMP/out" || { cat "$TMP/out"; fail "Tempo's blocks"; }

# Damage: a truncated data file.
set -- $(ls "$TMP/b/t")
truncate -s -100 "$TMP/b/t/$1/data"
expect_exit 1 "$TC_BIN" bucket verify --path "$TMP/b"
grep -q "^tenant=t block=$1 status=damaged .*err=.*data" "$TMP/out" || { cat "$TMP/out"; fail "truncated block not named"; }
grep -q '^summary tenants=2 blocks=5 ok=4 damaged=1 ' "$TMP/out" || { cat "$TMP/out"; fail "summary after truncation"; }
# a bloom shard with a bit cleared everywhere, and a meta that is not JSON
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[24:]=bytes(len(b)-24); open(p,"wb").write(b)' "$TMP/b/t/$2/bloom-0"
echo '{not json' > "$TMP/b/u/$(ls "$TMP/b/u")/meta.json"
expect_exit 1 "$TC_BIN" bucket verify --path "$TMP/b"
grep -q "^tenant=t block=$2 status=damaged .*bloom" "$TMP/out" || { cat "$TMP/out"; fail "bloom damage not named"; }
grep -q "^tenant=u block=.* status=damaged .*meta.json" "$TMP/out" || { cat "$TMP/out"; fail "bad meta not named"; }
grep -q ' damaged=3 ' "$TMP/out" || { cat "$TMP/out"; fail "three damaged"; }
expect_exit 1 "$TC_BIN" bucket verify --path "$TMP/b" --format json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["summary"]["damaged"] == 3' "$TMP/out" || fail "json damaged"

# Partial blocks: young ones are left alone, old ones reported; neither is damage.
rm -rf "$TMP/b/t/$1" "$TMP/b/t/$2" "$TMP/b/u"
mkdir -p "$TMP/b/t/11111111-1111-4111-8111-111111111111" "$TMP/b/t/22222222-2222-4222-8222-222222222222" "$TMP/b/t/not-a-block"
echo x > "$TMP/b/t/11111111-1111-4111-8111-111111111111/data"
echo x > "$TMP/b/t/22222222-2222-4222-8222-222222222222/data"
touch -d '3 hours ago' "$TMP/b/t/22222222-2222-4222-8222-222222222222/data"
expect_exit 0 "$TC_BIN" bucket verify --path "$TMP/b"
grep -q '^tenant=t block=11111111-1111-4111-8111-111111111111 status=partial ' "$TMP/out" || { cat "$TMP/out"; fail "young partial"; }
grep -q '^tenant=t block=22222222-2222-4222-8222-222222222222 status=stale-partial .*grace 1h0m0s' "$TMP/out" || { cat "$TMP/out"; fail "stale partial"; }
grep -q '^tenant=t block=not-a-block status=skipped' "$TMP/out" || fail "a prefix that is not a block"
grep -q ' damaged=0 compacted=0 partial=2 stale_partial=1 skipped=1 ' "$TMP/out" || { cat "$TMP/out"; fail "summary with partials"; }
expect_exit 0 "$TC_BIN" bucket verify --path "$TMP/b" --grace 4h
grep -q ' stale_partial=0 ' "$TMP/out" || fail "--grace"
expect_exit 2 "$TC_BIN" bucket verify --path "$TMP/b" --grace never
expect_exit 2 "$TC_BIN" bucket check --path "$TMP/b"
expect_exit 1 "$TC_BIN" bucket verify --path "$TMP/missing"
echo ok
