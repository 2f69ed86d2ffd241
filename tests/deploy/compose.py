#!/usr/bin/env python3
"""Checks deploy/docker-compose beyond what `docker-compose config` does.

  compose.py RESOLVED.yaml COMPOSE_DIR REPO_ROOT

RESOLVED.yaml is `docker-compose config`'s output (paths absolute, anchors
and defaults resolved). Checked: Tempo 1.5's distributor, ingesters,
query-frontend and querier and no Tempo compactor; two tracecompactor
replicas built from the repository's Dockerfile, each mounting a
tracecompactor*.yaml it is started with; etcd, MinIO and its one-shot
bucket creation, Prometheus, Grafana and the load generator; every file
mounted exists and lives beside the compose file or in deploy/mixin;
Prometheus scrapes every Tempo module and replica and loads the mixin's
alerts; Grafana has Tempo as a data source and provisions the mixin's
dashboards; the hosts tracecompactor.yaml names are services; the load
generator's topology calls only routes it defines. Prints what is wrong;
exit 1 if anything is.
Also prints, for test_compose.sh, "env NAME=VALUE" lines: the environment
the tracecompactor replicas get.
"""
import json
import os
import re
import sys

import yaml

TEMPO_IMAGE = "grafana/tempo:1.5.0"


def main():
    resolved, cdir, root = sys.argv[1], os.path.realpath(sys.argv[2]), os.path.realpath(sys.argv[3])
    mixin = os.path.join(root, "deploy", "mixin")
    doc = yaml.safe_load(open(resolved))
    svcs = doc["services"]
    errs = []

    def target_of(s):
        for a in s.get("command") or []:
            if a.startswith("-target="):
                return a[len("-target="):]
        return None

    tempo = {n: target_of(s) for n, s in svcs.items() if s.get("image", "").startswith("grafana/tempo")}
    for n, s in svcs.items():
        if n in tempo and s["image"] != TEMPO_IMAGE:
            errs.append(f"{n} runs {s['image']}, want {TEMPO_IMAGE}")
    targets = sorted(tempo.values(), key=str)
    for want in ("distributor", "ingester", "query-frontend", "querier"):
        if want not in targets:
            errs.append(f"no Tempo {want}")
    if targets.count("ingester") < 2:
        errs.append(f"{targets.count('ingester')} Tempo ingesters, want at least 2")
    for n, t in tempo.items():
        if t in (None, "compactor", "all", "scalable-single-binary"):
            errs.append(f"{n} runs Tempo's compactor (-target={t})")

    ours = {n: s for n, s in svcs.items() if "build" in s}
    if len(ours) != 2:
        errs.append(f"{len(ours)} services built from the repository, want two tracecompactor replicas")
    env = {}
    for n, s in ours.items():
        b = s["build"]
        if os.path.realpath(b["context"]) != root or b.get("dockerfile", "Dockerfile") != "Dockerfile":
            errs.append(f"{n} is not built from the repository's Dockerfile: {b}")
        cfg = [a.split("=", 1)[1] for a in s.get("command", []) if a.startswith("-config.file=")]
        if "-config.expand-env=true" not in s.get("command", []):
            errs.append(f"{n} does not expand the environment in its config")
        mounts = {v.split(":")[1]: v.split(":")[0] for v in s.get("volumes", []) if isinstance(v, str)}
        if len(cfg) != 1 or cfg[0] not in mounts:
            errs.append(f"{n}: -config.file names no mounted file ({cfg})")
        elif not re.match(r"tracecompactor.*\.yaml$", os.path.basename(mounts[cfg[0]])):
            errs.append(f"{n}'s config {mounts[cfg[0]]} is not named tracecompactor*.yaml")
        env.update(s.get("environment") or {})
    for want in ("etcd", "minio", "prometheus", "grafana"):
        if not any(want in s.get("image", "") for s in svcs.values()):
            errs.append(f"no {want} service")
    if not any("minio/mc" in s.get("image", "") and "mc mb" in " ".join(s.get("entrypoint") or [])
               for s in svcs.values()):
        errs.append("no one-shot minio/mc bucket creation")
    if not any("synthetic-load-generator" in s.get("image", "") for s in svcs.values()):
        errs.append("no synthetic load generator")

    # Bind mounts: exist, and beside the compose file (or the mixin).
    mounted = {}
    for n, s in svcs.items():
        for v in s.get("volumes", []):
            if not isinstance(v, str) or not v.startswith("/"):
                continue
            src, dst = v.split(":")[0], v.split(":")[1]
            mounted[(n, dst)] = src
            if not os.path.exists(src):
                errs.append(f"{n} mounts {src}, which does not exist")
            if os.path.dirname(src) != cdir and not (src + "/").startswith(mixin + "/"):
                errs.append(f"{n} mounts {src}, which is neither beside the compose file nor in deploy/mixin")

    def load(n, dst):
        src = mounted.get((n, dst))
        return yaml.safe_load(open(src)) if src and os.path.exists(src) else None

    prom = next((n for n, s in svcs.items() if "prometheus" in s.get("image", "")), None)
    pcfg = load(prom, "/etc/prometheus/prometheus.yaml")
    if not pcfg:
        errs.append("prometheus: no /etc/prometheus/prometheus.yaml mounted")
    else:
        scraped = {t for j in pcfg.get("scrape_configs", []) for sc in j.get("static_configs", [])
                   for t in sc.get("targets", [])}
        for n in list(tempo) + list(ours):
            if f"{n}:3200" not in scraped:
                errs.append(f"prometheus does not scrape {n}:3200")
        for rf in pcfg.get("rule_files", []):
            src = mounted.get((prom, rf))
            if not src or os.path.realpath(src) != os.path.join(mixin, "alerts.yaml"):
                errs.append(f"prometheus rule file {rf} is not deploy/mixin/alerts.yaml")
        if not pcfg.get("rule_files"):
            errs.append("prometheus loads no rule files")
    graf = next((n for n, s in svcs.items() if "grafana/grafana" in s.get("image", "")), None)
    ds = load(graf, "/etc/grafana/provisioning/datasources/datasources.yaml") or {}
    if not any(d.get("type") == "tempo" for d in ds.get("datasources", [])):
        errs.append("grafana has no Tempo data source")
    prov = load(graf, "/etc/grafana/provisioning/dashboards/dashboards.yaml") or {}
    paths = [p.get("options", {}).get("path") for p in prov.get("providers", [])]
    if not any(mounted.get((graf, p)) == os.path.join(mixin, "dashboards") for p in paths):
        errs.append("grafana does not provision deploy/mixin/dashboards")

    # Hosts tracecompactor*.yaml names must be services of the stack.
    for f in sorted(os.listdir(cdir)):
        if not re.match(r"tracecompactor.*\.yaml$", f):
            continue
        c = yaml.safe_load(open(os.path.join(cdir, f)))
        st = c.get("storage", {}).get("trace", {})
        hosts = []
        if st.get("backend") == "s3":
            hosts.append(st["s3"]["endpoint"])
        hosts += c.get("compactor", {}).get("ring", {}).get("kvstore", {}).get("etcd", {}).get("endpoints", [])
        for h in hosts:
            name = re.sub(r"^\w+://", "", h).split(":")[0]
            if name not in svcs:
                errs.append(f"{f} names {h}, but {name} is no service of the stack")

    lg = next((s for s in svcs.values() if "synthetic-load-generator" in s.get("image", "")), None)
    if lg:
        src = next((v.split(":")[0] for v in lg.get("volumes", []) if v.endswith("load-generator.json:ro")
                    or v.endswith("load-generator.json:rw")), None)
        if src and os.path.exists(src):
            topo = json.load(open(src))
            routes = {(s["serviceName"], r["route"]) for s in topo["topology"]["services"] for r in s["routes"]}
            for s in topo["topology"]["services"]:
                for r in s["routes"]:
                    for ds_, dr in r["downstreamCalls"].items():
                        if (ds_, dr) not in routes:
                            errs.append(f"load-generator.json: {s['serviceName']}{r['route']} calls {ds_}{dr}, undefined")
            for rr in topo["rootRoutes"]:
                if (rr["service"], rr["route"]) not in routes:
                    errs.append(f"load-generator.json: root route {rr['service']}{rr['route']} undefined")

    for e in errs:
        print("compose:", e, file=sys.stderr)
    for k, v in sorted(env.items()):
        print(f"env {k}={v}")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
