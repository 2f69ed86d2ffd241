#!/usr/bin/env python3
"""same_spans.py A.json B.json TRACE_ID: exit 0 when two `tracecompactor query`
outputs hold the same, non-empty multiset of spans (order of batches,
libraries and spans ignored) and every span belongs to TRACE_ID."""
import json, sys


def spans(path):
    t = json.load(open(path))
    return sorted(json.dumps(s, sort_keys=True) for b in t["batches"]
                  for i in b.get("instrumentationLibrarySpans", []) for s in i.get("spans", []))


a, b = spans(sys.argv[1]), spans(sys.argv[2])
if not a or a != b:
    sys.exit("spans differ: %d vs %d" % (len(a), len(b)))
want = sys.argv[3].lstrip("0")
if not all(json.loads(s)["traceId"].endswith(want) for s in a):
    sys.exit("a span of another trace")
