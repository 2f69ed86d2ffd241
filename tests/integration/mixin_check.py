#!/usr/bin/env python3
"""Checks deploy/mixin against a running service and a Prometheus scraping it.

  mixin_check.py static MIXIN
      every dashboard parses as JSON, has panels with PromQL targets and a
      unique uid; every alert has an expr.
  mixin_check.py exported MIXIN METRICS_FILE
      every metric name the alerts and dashboards query is a sample name on
      the service's /metrics (METRICS_FILE, the exposition text).
  mixin_check.py healthy MIXIN PROM_URL
      through Prometheus' HTTP API: every metric name has data; no alert
      expression returns anything; every dashboard query evaluates, and the
      panels in MUST_HAVE_DATA show data.
  mixin_check.py fires MIXIN PROM_URL ALERTNAME
      the alert's expression returns data.
"""
import glob
import json
import os
import re
import sys
import urllib.parse
import urllib.request

import yaml

KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
            "group_right", "bool", "offset", "inf", "nan"}
# What Grafana substitutes before the query reaches Prometheus.
GRAFANA_VARS = {"$__rate_interval": "15s", "$__interval": "5s", "$job": ".+"}
# Dashboard panels whose queries must all show data after a run that
# compacted and expired blocks (errors, retries and the like stay empty).
MUST_HAVE_DATA = ("Blocks compacted by level", "Bytes written by level",
                  "Objects written / combined by level", "Outstanding blocks by tenant",
                  "Blocklist length by tenant", "Poll duration", "Blocks marked / deleted",
                  "Blocks past retention by tenant", "Request latency by operation",
                  "Requests by operation and status", "Compactor ring members by state",
                  "CPU", "Resident memory", "Versions")


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def alerts(mixin):
    with open(os.path.join(mixin, "alerts.yaml")) as f:
        doc = yaml.safe_load(f)
    return [r for g in doc["groups"] for r in g["rules"]]


def dashboards(mixin):
    out = []
    for path in sorted(glob.glob(os.path.join(mixin, "dashboards", "*.json"))):
        with open(path) as f:
            try:
                out.append((path, json.load(f)))
            except ValueError as e:
                fail(f"{path} is not JSON: {e}")
    if not out:
        fail(f"no dashboards in {mixin}/dashboards")
    return out


def panel_exprs(dash):
    def walk(panels):
        for p in panels:
            yield from walk(p.get("panels", []))
            for t in p.get("targets", []):
                if t.get("expr"):
                    yield p["title"], t["expr"]
    return list(walk(dash.get("panels", [])))


def dashboard_exprs(mixin):
    return [(title, expr) for _, d in dashboards(mixin) for title, expr in panel_exprs(d)]


def metric_names(expr):
    e = re.sub(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'', '""', expr)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    names = set()
    for m in re.finditer(r"(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", e):
        if m.group(2) or m.group(1).lower() in KEYWORDS:
            continue
        names.add(m.group(1))
    return names


def all_names(mixin):
    names = set()
    for r in alerts(mixin):
        names |= metric_names(r["expr"])
    for _, expr in dashboard_exprs(mixin):
        names |= metric_names(expr)
    return names


def grafana(expr):
    for k, v in GRAFANA_VARS.items():
        expr = expr.replace(k, v)
    return expr


def query(prom, expr):
    url = prom.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.load(r)
    except urllib.error.HTTPError as e:
        fail(f"query {expr!r}: HTTP {e.code}: {e.read().decode(errors='replace')}")
    if body.get("status") != "success":
        fail(f"query {expr!r}: {body}")
    return body["data"]["result"]


def cmd_static(mixin):
    uids = set()
    for path, d in dashboards(mixin):
        if not d.get("uid") or d["uid"] in uids:
            fail(f"{path}: missing or repeated uid")
        uids.add(d["uid"])
        if not panel_exprs(d):
            fail(f"{path}: no panel has a PromQL target")
    rules = alerts(mixin)
    if not rules or any(not r.get("expr") or not r.get("alert") for r in rules):
        fail("alerts.yaml: a rule without alert or expr")
    print(f"{len(uids)} dashboards, {len(dashboard_exprs(mixin))} queries, {len(rules)} alerts")


def cmd_exported(mixin, metrics_file):
    exported = set()
    with open(metrics_file) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                exported.add(re.match(r"[^{ ]+", line).group(0))
    names = all_names(mixin)
    missing = sorted(names - exported)
    if missing:
        fail("queried by deploy/mixin but not on /metrics: " + ", ".join(missing))
    print(f"{len(names)} metric names, all exported")


def cmd_healthy(mixin, prom):
    for name in sorted(all_names(mixin)):
        if not query(prom, f'count({{__name__="{name}"}})'):
            fail(f"Prometheus has no data for {name}")
    for r in alerts(mixin):
        res = query(prom, r["expr"])
        if res:
            fail(f"alert {r['alert']} would fire on a healthy run: {res}")
    empty = []
    for title, expr in dashboard_exprs(mixin):
        res = query(prom, grafana(expr))
        if not res and title in MUST_HAVE_DATA:
            empty.append(f"{title}: {expr}")
    titles = {title for title, _ in dashboard_exprs(mixin)}
    for t in MUST_HAVE_DATA:
        if t not in titles:
            fail(f"no dashboard panel titled {t!r}")
    if empty:
        fail("dashboard queries without data:\n  " + "\n  ".join(empty))
    print("healthy: every series has data, no alert expression returns anything")


def cmd_fires(mixin, prom, name):
    rules = [r for r in alerts(mixin) if r["alert"] == name]
    if not rules:
        fail(f"no alert {name}")
    for r in rules:
        if not query(prom, r["expr"]):
            fail(f"alert {name}'s expression returns nothing")
    print(f"{name}: expression returns data")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"static": cmd_static, "exported": cmd_exported, "healthy": cmd_healthy,
     "fires": cmd_fires}[cmd](*args)


if __name__ == "__main__":
    main()
