# tracecompactor ring dump --file: decodes a ring value written by Tempo's own
# code (Go's snappy.Encode of ring.Desc, the two-member value of
# tests/unit/test_ring_desc.c) into its members as JSON, and refuses damage.
source "$(dirname "$0")/lib.sh"

python3 - "$TMP/value" <<'PY'
import sys
open(sys.argv[1], "wb").write(bytes.fromhex(
    "7c6c0a3b0a1174656d706f2d636f6d706163746f722d3112260a0d31302e010280363a393039351083e2cfaa06"
    "18013207e80780a8d6b907408cdecfaa060a3d0a113e3d0008301228153d0035093d0080013d48320b05ac02f0"
    "a204ffffffff0f4098dacfaa06"))
PY
expect_exit 0 "$TC_BIN" ring dump --file "$TMP/value"
python3 - "$TMP/out" <<'PY' || fail "ring dump output: $(cat "$TMP/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["key"] == "collectors/compactor", d["key"]
assert d["duplicate_tokens"] == 0
i = {x["id"]: x for x in d["instances"]}
assert [x["id"] for x in d["instances"]] == ["tempo-compactor-0", "tempo-compactor-1"]
a, b = i["tempo-compactor-0"], i["tempo-compactor-1"]
assert (a["addr"], a["state"], a["tokens"], a["timestamp"], a["registered_timestamp"]) == \
    ("10.0.0.5:9095", "ACTIVE", 4, 1700000000, 1699999000), a
assert (b["addr"], b["state"], b["tokens"], b["timestamp"], b["registered_timestamp"]) == \
    ("10.0.0.6:9095", "LEAVING", 2, 1700000003, 1699999500), b
assert a["heartbeat"] == "2023-11-14T22:13:20Z"
assert a["tokens_sorted"] and b["tokens_sorted"]
# Heartbeats from 2023 are long past any heartbeat_timeout.
assert not a["healthy"] and not b["healthy"]
# tempo-compactor-1 owns [300, 1000) and [70000, 2000000000) of 2^32.
assert abs(b["ownership"] - 1999930700 / 2**32) < 1e-12, b["ownership"]
assert abs(a["ownership"] + b["ownership"] - 1) < 1e-12
PY

# The key comes from the config: prefix + override_ring_key.
cat > "$TMP/cfg.yaml" <<'YAML'
compactor:
  override_ring_key: other-ring
  ring:
    kvstore:
      prefix: tempo/
YAML
expect_exit 0 "$TC_BIN" ring dump --file "$TMP/value" --config "$TMP/cfg.yaml"
grep -q '"key":[[:space:]]*"tempo/other-ring"' "$TMP/out" || fail "key not from the config: $(cat "$TMP/out")"

# Damage names the key; a config without a ring has nothing to read.
head -c 40 "$TMP/value" > "$TMP/cut"
expect_exit 1 "$TC_BIN" ring dump --file "$TMP/cut"
grep -q 'collectors/compactor' "$TMP/err" || fail "no key in: $(cat "$TMP/err")"
expect_exit 1 "$TC_BIN" ring dump --file "$TMP/missing"
expect_exit 2 "$TC_BIN" ring dump --config "$TMP/cfg.yaml"
grep -q 'kvstore.store is not set' "$TMP/err" || fail "$(cat "$TMP/err")"
expect_exit 2 "$TC_BIN" ring dump
expect_exit 2 "$TC_BIN" ring list --file "$TMP/value"
echo ok
