#!/usr/bin/env python3
"""Checks scripts/packages against what the build asks for and what the
binary links, on this (Debian bookworm) machine's dpkg database.

  packages.py SRC BIN

build group: the package owning each pkg-config module CMakeLists.txt's
  pkg_check_modules names, and protoc-c's, is in it.
runtime group: the package of every library BIN needs directly (ELF
  NEEDED) is in it; every library ldd loads (the indirect ones too) comes
  from a runtime package or something those depend on, so a bookworm-slim
  with only the runtime group installed has them all; nothing in it is a
  -dev package, and each entry but ca-certificates ships a library BIN
  needs (the group holds only what the binary uses).
Sanitizer runtimes (libasan, libubsan, libtsan) of an instrumented build
are left out: a release build does not link them.
"""
import os
import re
import subprocess
import sys

SANITIZER = re.compile(r"^lib(asan|ubsan|tsan|lsan)\.so")
NOT_LIBRARIES = {"ca-certificates"}  # the CA bundle for S3 and etcd over TLS


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def group(src, name):
    return set(run(os.path.join(src, "scripts/install-deps.sh"), "--list", name).split())


def candidates(path):
    """PATH as given, resolved, and with /usr added or removed (merged /usr)."""
    real = os.path.realpath(path)
    out = [path, real]
    for p in (path, real):
        out.append(p[4:] if p.startswith("/usr/") else "/usr" + p)
    return out


def owners(paths):
    """{path: package} for PATHS, from one dpkg-query -S (it is slow per call)."""
    cands = sorted({c for p in paths for c in candidates(p)})
    r = subprocess.run(["dpkg-query", "-S"] + cands, capture_output=True, text=True)
    found = {}
    for line in r.stdout.splitlines():
        pkgs, _, f = line.partition(": ")
        found.setdefault(f.strip(), pkgs.split(",")[0].split(":")[0].strip())
    out = {}
    for p in paths:
        pkg = next((found[c] for c in candidates(p) if c in found), None)
        if pkg is None:
            raise SystemExit(f"no package owns {p}")
        out[p] = pkg
    return out


def depends_closure(pkgs):
    """Every installed package reachable through Depends/Pre-Depends."""
    deps = {}
    for line in run("dpkg-query", "-W", "-f=${Package}\t${Depends}, ${Pre-Depends}\n").splitlines():
        name, _, d = line.partition("\t")
        # "a (>= 1) | b:any": any alternative may be the one installed.
        deps[name] = [alt.strip().split(" ")[0].split(":")[0]
                      for dep in d.split(",") for alt in dep.split("|") if alt.strip()]
    seen, todo = set(), list(pkgs)
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo.extend(deps.get(p, []))
    return seen


def main():
    src, binary = sys.argv[1], sys.argv[2]
    errs = []

    cml = open(os.path.join(src, "CMakeLists.txt")).read()
    m = re.search(r"pkg_check_modules\(\s*\w+\s+REQUIRED\s+IMPORTED_TARGET\s+([^)]*)\)", cml)
    if not m:
        raise SystemExit("CMakeLists.txt: no pkg_check_modules(... REQUIRED IMPORTED_TARGET ...)")
    pcs = {mod: run("pkg-config", "--variable=pcfiledir", mod).strip() + "/" + mod + ".pc"
           for mod in m.group(1).split()}
    protoc = run("sh", "-c", "command -v protoc-c").strip()
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run("readelf", "-d", binary))
    paths = {}
    for line in run("ldd", binary).splitlines():
        lm = re.match(r"\s*(\S+) => (/\S+)", line)
        if lm and not SANITIZER.match(lm.group(1)):
            paths[lm.group(1)] = lm.group(2)
    owner = owners(list(pcs.values()) + [protoc] + list(paths.values()))

    build = group(src, "build")
    for mod, pc in pcs.items():
        if owner[pc] not in build:
            errs.append(f"build group lacks {owner[pc]} (pkg-config {mod}, {pc})")
    if owner[protoc] not in build:
        errs.append(f"build group lacks {owner[protoc]} (protoc-c)")

    runtime = group(src, "runtime")
    for p in runtime:
        if p.endswith("-dev"):
            errs.append(f"runtime group has a -dev package: {p}")
    direct = set()
    for lib in needed:
        if SANITIZER.match(lib):
            continue
        if lib not in paths:
            errs.append(f"ldd does not resolve {lib}")
            continue
        pkg = owner[paths[lib]]
        direct.add(pkg)
        if pkg not in runtime:
            errs.append(f"runtime group lacks {pkg} ({lib}, which {os.path.basename(binary)} links)")
    closure = depends_closure(runtime)
    for lib, path in sorted(paths.items()):
        if owner[path] not in closure:
            errs.append(f"{lib} ({owner[path]}) is loaded but no runtime package depends on it")
    for p in sorted(runtime - direct - NOT_LIBRARIES):
        errs.append(f"runtime group has {p}, which ships no library {os.path.basename(binary)} links")

    for e in errs:
        print("packages:", e)
    print(f"packages: build {len(build)}, runtime {len(runtime)}; {len(needed)} libraries "
          f"linked directly, {len(paths)} loaded")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
