#!/usr/bin/env bash
# Builds fuzz seed corpora from the Tempo fixtures in tests/data/tempo-v2.
#   scripts/fuzz-seed.sh OUTDIR           bigger corpora for `make fuzz` (build-fuzz/corpus)
#   scripts/fuzz-seed.sh OUTDIR --small   the handful kept in tests/fuzz/corpus
# One directory per target, OUTDIR/<target>/, in the input layout that
# target's header comment describes. Needs python3, gzip, zstd and lz4.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: fuzz-seed.sh OUTDIR [--small]}
mode=${2:-big}
fixtures="${TC_DATA:-$here/tests/data}/tempo-v2"
[ -d "$fixtures" ] || { echo "fuzz-seed: no fixtures at $fixtures" >&2; exit 1; }
for tool in python3 zstd lz4; do
  command -v "$tool" >/dev/null || { echo "fuzz-seed: $tool is required" >&2; exit 1; }
done
mkdir -p "$out"
exec python3 - "$fixtures" "$out" "$mode" "$here" <<'EOF'
import base64, glob, gzip, json, os, struct, subprocess, sys, zlib

fixtures, out, mode, src = sys.argv[1:5]
small = mode == "--small"
M64 = (1 << 64) - 1

def xxh64(data, seed=0):
    P1, P2, P3, P4, P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                          0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5)
    rotl = lambda x, r: ((x << r) | (x >> (64 - r))) & M64
    def rnd(acc, v):
        return (rotl((acc + v * P2) & M64, 31) * P1) & M64
    def merge(acc, v):
        return ((acc ^ rnd(0, v)) * P1 + P4) & M64
    n, i = len(data), 0
    if n >= 32:
        v = [(seed + P1 + P2) & M64, (seed + P2) & M64, seed, (seed - P1) & M64]
        while i + 32 <= n:
            for j in range(4):
                v[j] = rnd(v[j], struct.unpack_from("<Q", data, i + 8 * j)[0])
            i += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M64
        for x in v:
            h = merge(h, x)
    else:
        h = (seed + P5) & M64
    h = (h + n) & M64
    while i + 8 <= n:
        h = (rotl(h ^ rnd(0, struct.unpack_from("<Q", data, i)[0]), 27) * P1 + P4) & M64
        i += 8
    if i + 4 <= n:
        h = (rotl(h ^ (struct.unpack_from("<I", data, i)[0] * P1 & M64), 23) * P2 + P3) & M64
        i += 4
    while i < n:
        h = (rotl(h ^ (data[i] * P5 & M64), 11) * P1) & M64
        i += 1
    h ^= h >> 33; h = h * P2 & M64; h ^= h >> 29; h = h * P3 & M64; h ^= h >> 32
    return h

def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF

def snappy_frame(data):
    """Snappy framing with uncompressed chunks (python has no snappy)."""
    outb = bytearray(b"\xff\x06\x00\x00sNaPpY")
    for i in range(0, len(data), 65536):
        chunk = data[i:i + 65536]
        c = crc32c(chunk)
        masked = (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF
        n = len(chunk) + 4
        outb += bytes([1, n & 255, (n >> 8) & 255, n >> 16]) + struct.pack("<I", masked) + chunk
    return bytes(outb)

def tool(args, data):
    return subprocess.run(args, input=data, stdout=subprocess.PIPE, check=True).stdout

def write(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def objects(data_path):
    """(id, body) of every object in a `none` block's data file."""
    data = open(data_path, "rb").read()
    objs, off = [], 0
    while off + 6 <= len(data):
        total = struct.unpack_from("<I", data, off)[0]
        payload, pos = data[off + 6:off + total], 0
        while pos + 8 <= len(payload):
            t, idl = struct.unpack_from("<II", payload, pos)
            objs.append((payload[pos + 8:pos + 8 + idl], payload[pos + 8 + idl:pos + t]))
            pos += t
        off += total
    return objs

def obj_rec(oid, body):
    return struct.pack("<II", 8 + len(oid) + len(body), len(oid)) + oid + body

def page(payload):
    return struct.pack("<IH", 6 + len(payload), 0) + payload

def index_page(recs, psize):
    body = b"".join(i + struct.pack("<QI", s, l) for i, s, l in recs)
    body = body.ljust(psize - 14, b"\0")
    return struct.pack("<IH", psize, 8) + struct.pack("<Q", xxh64(body)) + body

none_blocks = sorted(glob.glob(os.path.join(fixtures, "none/blocks/single-tenant/*/")))
by_block = [objects(os.path.join(b, "data")) for b in none_blocks]
all_objs = sorted({o for objs in by_block for o in objs}, key=lambda o: len(o[1]))
limit = 3 if small else 40
small_objs = [o for o in all_objs if len(o[1]) < (1500 if small else 16000)]
picked = small_objs[:: max(1, len(small_objs) // limit)][:limit]

# page: data files of one and two pages
for i, grp in enumerate([picked[:2], picked[2:3]] if small else [picked[j:j + 3] for j in range(0, len(picked), 3)]):
    write("page", "page-%d" % i, page(b"".join(obj_rec(*o) for o in grp)))
write("page", "two-pages", page(obj_rec(*picked[0])) + page(obj_rec(*picked[-1])))

# codec: u8 encoding id | stream
payloads = [b"".join(obj_rec(*o) for o in picked[:2])]
if not small:
    payloads += [obj_rec(*o) for o in picked[::4]] + [b"", b"a" * 70000]
for i, p in enumerate(payloads):
    write("codec", "none-%d" % i, bytes([0]) + p)
    write("codec", "gzip-%d" % i, bytes([1]) + gzip.compress(p))
    for enc, blk in ((2, "-B4"), (4, "-B6"), (5, "-B7")):
        write("codec", "lz4-%d-%d" % (enc, i), bytes([enc]) + tool(["lz4", "-q", "-c", blk, "-BD"], p))
        if small:
            break
    write("codec", "snappy-%d" % i, bytes([6]) + snappy_frame(p))
    write("codec", "zstd-%d" % i, bytes([7]) + tool(["zstd", "-q", "-c", "--check"], p))
write("codec", "s2-id", bytes([6]) + b"\xff\x06\x00\x00S2sTwO")

# index: one page each
recs = [(o[0], 0, 100) for o in sorted(picked[:3])]
write("index", "3-records", index_page(recs, 14 + 28 * 3))
write("index", "padded", index_page(recs[:2], 128))
if not small:
    for b in none_blocks:
        write("index", "fixture-" + os.path.basename(b.rstrip("/")), open(os.path.join(b, "index"), "rb").read()[:1000])

# bloom: u8 ID length | ID | bloom file
fbloom = open(os.path.join(none_blocks[0], "bloom-0"), "rb").read()
hdr = lambda m, k: struct.pack(">QQQ", m, k, m)
write("bloom", "small", bytes([16]) + picked[0][0] + hdr(1024, 7) + fbloom[24:24 + 128])
write("bloom", "legacy-id", bytes([20]) + b"\x00" * 4 + picked[1][0] + hdr(64, 1) + b"\xff" * 8)
if not small:
    write("bloom", "fixture", bytes([16]) + picked[0][0] + fbloom)

# meta: the fixture metas as stored
metas = sorted(glob.glob(os.path.join(fixtures, "*/blocks/*/*/meta*.json")))
for m in (metas[:1] + [x for x in metas if "fake" in x] if small else metas):
    write("meta", "meta-" + os.path.basename(os.path.dirname(m)), open(m, "rb").read())
meta0 = json.loads(open(metas[0]).read())
meta0["compactedTime"] = "2026-11-25T06:00:00.123456789Z"
write("meta", "compacted", json.dumps(meta0, separators=(",", ":")).encode())

# tenant_index: u8 mode (0 stored gzip, 1 plain JSON gzipped by the target) | bytes
for i, ti in enumerate(sorted(glob.glob(os.path.join(fixtures, "*/blocks/*/index.json.gz")))[: 1 if small else 99]):
    raw = open(ti, "rb").read()
    write("tenant_index", "stored-%d" % i, b"\0" + raw)
    write("tenant_index", "json-%d" % i, b"\1" + gzip.decompress(raw))

# config: the shipped configs
for y in sorted(glob.glob(os.path.join(src, "configs", "*.yaml"))):
    write("config", os.path.basename(y), open(y, "rb").read())
write("config", "empty", b"")

# trace: u8 kind (0 v1, 1 v2, 2 opaque) | u8 flags | (u16 len | body)* | last body.
# Bodies of one trace ID from two blocks: the second flush continues some traces.
ids0 = {o[0]: o[1] for o in by_block[0]}
pairs = []
for objs in by_block[1:]:
    for oid, body in objs:
        if oid in ids0 and ids0[oid] != body and len(body) + len(ids0[oid]) < (4000 if small else 30000):
            pairs.append((ids0[oid], body))
pairs = pairs[: 2 if small else 30]
for i, (a, b) in enumerate(pairs):
    write("trace", "v2-pair-%d" % i, bytes([1, 2]) + struct.pack("<H", len(a)) + a + b)
    if not small:
        write("trace", "v2-capped-%d" % i, bytes([1, 6]) + struct.pack("<H", 20) + struct.pack("<H", len(a)) + a + b)
write("trace", "v2-one", bytes([1, 1]) + picked[0][1])
write("trace", "v1-one", bytes([0, 1]) + picked[0][1][8:])
if pairs:
    a, b = pairs[0]
    write("trace", "v2-three", bytes([1, 3]) + struct.pack("<H", len(a)) + a + struct.pack("<H", len(b)) + b + a)

# block: u8 flags | u16 n | meta.json | u16 n | index | data
def block_input(flags, meta, index, data):
    return bytes([flags]) + struct.pack("<H", len(meta)) + meta + struct.pack("<H", len(index)) + index + data
fake = glob.glob(os.path.join(fixtures, "tempo-repo-fake/blocks/fake/*/"))[0]
rd = lambda n: open(os.path.join(fake, n), "rb").read()
write("block", "tempo-fake", block_input(2, rd("meta.json"), rd("index"), rd("data")))
objs = sorted(picked[:4] if small else picked[:12])
psize, data, recs = 14 + 28 * 2, b"", []
for j in range(0, len(objs), 2):
    pg = page(b"".join(obj_rec(*o) for o in objs[j:j + 2]))
    recs.append((objs[j:j + 2][-1][0], len(data), len(pg)))
    data += pg
index = b"".join(index_page(recs[j:j + 2], psize) for j in range(0, len(recs), 2))
meta = dict(json.loads(open(os.path.join(none_blocks[0], "meta.json")).read()))
meta.update(minID=base64.b64encode(objs[0][0]).decode(), maxID=base64.b64encode(objs[-1][0]).decode(),
            totalObjects=len(objs), size=len(data), indexPageSize=psize, totalRecords=len(recs))
mj = json.dumps(meta, separators=(",", ":")).encode()
write("block", "none-small", block_input(2, mj, index, data))
write("block", "none-small-chunked", block_input(2 | 4, mj, index, data))

# ring_desc: byte 0 = 1 for a bare protobuf ring.Desc (the target compresses
# it), 0 for a stored value. The protobuf is GOLDEN of
# tests/unit/test_ring_desc.c; the stored value is what Tempo's Go code
# (gogo Marshal + golang/snappy) wrote for it.
def varint(x):
    b = bytearray()
    while x >= 0x80:
        b.append(x & 0x7f | 0x80); x >>= 7
    return bytes(b + bytes([x]))
def field(num, wt, payload):
    return varint(num << 3 | wt) + (varint(len(payload)) + payload if wt == 2 else payload)
def instance(addr, ts, state, tokens, reg, extra=b""):
    m = field(1, 2, addr) + field(2, 0, varint(ts))
    m += field(3, 0, varint(state)) if state else b""
    m += field(6, 2, b"".join(varint(t) for t in tokens)) + field(8, 0, varint(reg))
    return m + extra
def entry(key, inst):
    return field(1, 2, field(1, 2, key) + field(2, 2, inst))
golden = (entry(b"tempo-compactor-0", instance(b"10.0.0.5:9095", 1700000000, 0, [5, 300, 70000, 4294967295], 1699999000)) +
          entry(b"tempo-compactor-1", instance(b"10.0.0.6:9095", 1700000003, 1, [1000, 2000000000], 1699999500)))
write("ring_desc", "raw-golden", b"\1" + golden)
write("ring_desc", "raw-unknown-fields", b"\1" + entry(b"x", instance(b"x:1", 100, 0, [7], 90, field(7, 2, b"z1") + field(9, 2, b"new"))) + field(3, 0, b"\7"))
write("ring_desc", "raw-unhealthy", b"\1" + golden + entry(b"a", instance(b"a:1", 1700000001, 0, [0x40000000, 0xc0000000], 1)))
write("ring_desc", "go-snappy-two", b"\0" + bytes.fromhex(
    "7c6c0a3b0a1174656d706f2d636f6d706163746f722d3112260a0d31302e010280363a393039351083e2cfaa06"
    "18013207e80780a8d6b907408cdecfaa060a3d0a113e3d0008301228153d0035093d0080013d48320b05ac02f0"
    "a204ffffffff0f4098dacfaa06"))
print("fuzz-seed: wrote %s (%s)" % (out, "small" if small else "big"), file=sys.stderr)
EOF
