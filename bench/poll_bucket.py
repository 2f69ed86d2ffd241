#!/usr/bin/env python3
"""Builds a local bucket of many blocks from one seed block (bench/poll.sh).

  poll_bucket.py SEED_BLOCK_DIR ROOT BLOCKS TENANTS [--empty-data]

Every block is a directory <tenant>/<uuid>/ whose data objects (data, index,
bloom-*) are hard links to the seed's (no space, no new inodes: a bucket of
1M blocks costs 1M directories and 1M meta.json files), and whose meta.json
is the seed's with its own blockID, tenantID and start/end times (one second
apart, so the lists have an order to sort). With --empty-data the data
objects are links to empty files instead: the layout an object store
upload needs without its bytes.
"""
import json
import os
import random
import sys
import uuid


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    empty = "--empty-data" in sys.argv
    if len(args) != 4:
        sys.exit(__doc__)
    seed, root, blocks, tenants = args[0], args[1], int(args[2]), int(args[3])
    with open(os.path.join(seed, "meta.json")) as f:
        meta = json.load(f)
    objects = sorted(n for n in os.listdir(seed) if n != "meta.json")
    os.makedirs(root, exist_ok=True)
    import shutil

    def fresh_sources(k):
        # file systems cap links per inode (ext4: 65,000): a new copy every LINKS blocks
        d = os.path.join(root, ".seed-%d" % k)
        os.makedirs(d, exist_ok=True)
        out = {}
        for n in objects:
            out[n] = os.path.join(d, n)
            if empty:
                open(out[n], "w").close()
            else:
                shutil.copyfile(os.path.join(seed, n), out[n])
        return out
    base = 1767225600  # 2026-01-01T00:00:00Z
    for t in range(tenants):
        os.makedirs(os.path.join(root, "bench-%02d" % t), exist_ok=True)
    rng = random.Random(1)  # block IDs as random as real ones, the same on every run
    LINKS = 60000
    for i in range(blocks):
        if i % LINKS == 0:
            sources = fresh_sources(i // LINKS)
        tenant = "bench-%02d" % (i % tenants)
        bid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        d = os.path.join(root, tenant, bid)
        try:
            os.mkdir(d)
        except FileExistsError:
            continue  # a re-run fills in what is missing
        for n in objects:
            os.link(sources[n], os.path.join(d, n))
        start = base + (i * 7919) % blocks
        meta["blockID"] = bid
        meta["tenantID"] = tenant
        meta["startTime"] = "%sZ" % _iso(start)
        meta["endTime"] = "%sZ" % _iso(start + 300)
        with open(os.path.join(d, "meta.json"), "w") as f:
            json.dump(meta, f, separators=(",", ":"))


def _iso(t):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))


if __name__ == "__main__":
    main()
