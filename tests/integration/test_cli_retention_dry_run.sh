# retention --dry-run names every block of the tenant once, with the rule that
# applies (tenant override, "*", global, flag) and the decision, and changes
# nothing: the bucket's tree is byte-identical afterwards.
source "$(dirname "$0")/lib.sh"

now=$(date +%s)
"$TC_BIN" gen --path "$TMP/b" --tenant t --flushes 2 --replicas 2 --traces 30 --spans 3 --age 50h --seed 1 >/dev/null
"$TC_BIN" gen --path "$TMP/b" --tenant t --flushes 2 --replicas 2 --traces 30 --spans 3 --age 2h --seed 2 >/dev/null
"$TC_BIN" gen --path "$TMP/b" --tenant u --flushes 1 --replicas 2 --traces 30 --spans 3 --age 50h --seed 3 >/dev/null
set -- $(ls "$TMP/b/t")
end_of() { python3 -c 'import json,sys,datetime as d; m=json.load(open(sys.argv[1])); print(int(d.datetime.fromisoformat(m["endTime"].replace("Z","+00:00")).timestamp()))' "$1"; }
# two of the recent blocks compacted together: their inputs are compacted blocks
recent=$(for d in "$TMP"/b/t/*/; do
  if [ $(( now - $(end_of "$d/meta.json") )) -lt 10800 ]; then basename "$d"; fi; done | head -2 | paste -sd,)
"$TC_BIN" compact --path "$TMP/b" --tenant t --blocks "$recent" >/dev/null
mkdir -p "$TMP/b/t/0b8a2e1c-3c5d-4f6e-8a9b-0c1d2e3f4a5b" && echo x > "$TMP/b/t/0b8a2e1c-3c5d-4f6e-8a9b-0c1d2e3f4a5b/data"  # partial
all_ids() { ls "$1" | grep -E '^[0-9a-f]{8}-' | sort; }

cat > "$TMP/ov.yaml" <<Y
overrides:
  t: {block_retention: 24h}
  "*": {block_retention: 100h}
Y
cat > "$TMP/c.yaml" <<Y
storage:
  trace:
    backend: local
    local: {path: $TMP/b}
compactor:
  compaction: {block_retention: 336h, compacted_block_retention: 1h}
overrides:
  per_tenant_override_config: $TMP/ov.yaml
Y
before=$(tree_sum "$TMP/b")

# The config: tenant t's own entry (24h): the 50h-old blocks go, the 2h-old stay (until end + 24h).
expect_exit 0 "$TC_BIN" retention --dry-run --config "$TMP/c.yaml" --tenant t
cp "$TMP/out" "$TMP/plan"
grep -q '^tenant=t .* block_retention=24h0m0s (tenant-override) compacted_block_retention=1h0m0s (global) dry_run=true$' "$TMP/plan" ||
  { cat "$TMP/plan"; fail "header: effective retention and its rule"; }
for id in $(all_ids "$TMP/b/t"); do
  [ "$(grep -c "^$id " "$TMP/plan")" -eq 1 ] || { cat "$TMP/plan"; fail "block $id is not named exactly once"; }
done
[ "$(grep -cE '^[0-9a-f]{8}-' "$TMP/plan")" -eq "$(all_ids "$TMP/b/t" | wc -l)" ] || fail "a line per block, no more"
for d in "$TMP"/b/t/*/; do
  id=$(basename "$d")
  line=$(grep "^$id " "$TMP/plan")
  if [ -f "$d/meta.compacted.json" ]; then
    echo "$line" | grep -qE "^$id compacted compacted_time=\S+ rule=global compacted_block_retention=1h0m0s decision=keep until=" ||
      fail "compacted block just marked: keep for 1h: $line"
  elif [ -f "$d/meta.json" ]; then
    age_h=$(( (now - $(end_of "$d/meta.json")) / 3600 ))
    if [ "$age_h" -ge 24 ]; then want="decision=mark-compacted cutoff="; else want="decision=keep until="; fi
    echo "$line" | grep -qE "^$id live end=\S+ rule=tenant-override block_retention=24h0m0s $want" ||
      fail "live block ${age_h}h old, want '$want': $line"
  else
    echo "$line" | grep -q "^$id partial decision=none" || fail "partial block: $line"
  fi
done
grep -qE '^summary blocks=10 keep=5 mark-compacted=4 delete=0 partial=1 \(dry run: nothing changed\)$' "$TMP/plan" ||
  { cat "$TMP/plan"; fail "summary"; }
# Another tenant gets "*"; flags override either rule.
expect_exit 0 "$TC_BIN" retention --dry-run --config "$TMP/c.yaml" --tenant u
grep -q 'block_retention=100h0m0s (wildcard-override)' "$TMP/out" || fail "tenant u: the \"*\" entry"
[ "$(grep -c 'rule=wildcard-override block_retention=100h0m0s decision=keep until=' "$TMP/out")" -eq 2 ] || { cat "$TMP/out"; fail "u: kept"; }
expect_exit 0 "$TC_BIN" retention --dry-run --path "$TMP/b" --tenant t --block-retention 1h --compacted-block-retention 0s
[ "$(grep -c 'rule=flag block_retention=1h0m0s decision=mark-compacted' "$TMP/out")" -eq 7 ] || { cat "$TMP/out"; fail "flag: every live block past 1h"; }
[ "$(grep -c 'rule=flag compacted_block_retention=0s decision=delete' "$TMP/out")" -eq 2 ] || { cat "$TMP/out"; fail "flag: compacted blocks deleted"; }
# Without a config: the compactor's default (336h), named global.
expect_exit 0 "$TC_BIN" retention --dry-run --path "$TMP/b" --tenant t
grep -q 'block_retention=336h0m0s (global)' "$TMP/out" || fail "default retention"
[ "$(grep -c 'decision=keep' "$TMP/out")" -eq 9 ] || { cat "$TMP/out"; fail "336h: everything kept"; }
expect_exit 0 "$TC_BIN" retention --dry-run --config "$TMP/c.yaml" --tenant t --format json
python3 - "$TMP/out" $(all_ids "$TMP/b/t") <<'PY' || fail "retention json"
import json, sys
d = json.load(open(sys.argv[1]))
named = sorted([b["id"] for b in d["blocks"]] + d["partial"])
assert named == sorted(sys.argv[2:]), named
assert d["blockRetention"]["rule"] == "tenant-override" and d["dryRun"] is True
assert sorted(set(b["decision"] for b in d["blocks"])) == ["keep", "mark-compacted"]
PY

# Refusals: without --dry-run, bad durations.
expect_exit 2 "$TC_BIN" retention --config "$TMP/c.yaml" --tenant t
expect_exit 2 "$TC_BIN" retention --dry-run --config "$TMP/c.yaml" --tenant t --block-retention soon

[ "$(tree_sum "$TMP/b")" = "$before" ] || fail "the dry runs changed the bucket"
echo ok
