#!/usr/bin/env python3
"""Fails on any #include that docs/ARCHITECTURE.md's layer table forbids.

usage: check-layers.py [SOURCE_ROOT]

Reads the ```layers block of SOURCE_ROOT/docs/ARCHITECTURE.md (module: the
modules it may include, `-` for none, `!path` for a header it must not
include), then checks every quoted #include in src/, encoding/ and bench/:
  - the included module must be the file's own module or an allowed one;
  - a header of the form *_impl.h is included only from its own module;
  - includes are root-relative ("src/util/buf.h", "encoding/meta.h"), so
    a relative one ("../x.h", "buf.h") is refused too, as is one that
    names no file of the tree. Headers generated into the build tree are
    included bare: "*.pb-c.h" is module `proto`, "tc_revision.h" (the git
    revision, cmake/revision.cmake) is module `revision`.
Prints one line per violation (file:line: reason) and exits 1 if any.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def module_of(path):
    """Module of a root-relative path, or None for files outside the layers."""
    parts = path.split("/")
    if parts[0] == "encoding":
        return "encoding"
    if parts[0] == "bench":
        return "bench"
    if parts[0] == "src":
        if len(parts) == 2:
            return os.path.splitext(parts[1])[0]  # src/main.c -> main
        return parts[1]
    return None


def read_table(root):
    doc = os.path.join(root, "docs", "ARCHITECTURE.md")
    try:
        text = open(doc, encoding="utf-8").read()
    except OSError as e:
        sys.exit(f"check-layers: cannot read {doc}: {e.strerror}")
    m = re.search(r"^```layers\n(.*?)^```", text, re.M | re.S)
    if not m:
        sys.exit(f"check-layers: {doc}: no ```layers block")
    allowed, banned = {}, {}
    for n, line in enumerate(m.group(1).splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, deps = line.partition(":")
        if not sep:
            sys.exit(f"check-layers: {doc}: layers line {n}: want 'module: deps'")
        name = name.strip()
        allowed[name] = {d for d in deps.split() if d != "-" and not d.startswith("!")}
        banned[name] = {d[1:] for d in deps.split() if d.startswith("!")}
    return allowed, banned


def sources(root):
    for top in ("src", "encoding", "bench"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(dirpath, f), root)


def check(root):
    allowed, banned = read_table(root)
    errors = []
    for path in sources(root):
        mod = module_of(path)
        if mod not in allowed:
            errors.append(f"{path}: module '{mod}' is not in the layers table")
            continue
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                inc = m.group(1)
                where = f"{path}:{n}"
                if inc.endswith(".pb-c.h"):
                    target = "proto"
                elif inc == "tc_revision.h":
                    target = "revision"
                elif not os.path.isfile(os.path.join(root, inc)):
                    errors.append(f'{where}: "{inc}" is not root-relative (no such file {inc})')
                    continue
                else:
                    target = module_of(inc)
                if inc in banned[mod]:
                    errors.append(f'{where}: {mod} must not include "{inc}"')
                if target != mod and target not in allowed[mod]:
                    errors.append(f'{where}: {mod} must not include {target} ("{inc}")')
                if inc.endswith("_impl.h") and target != mod:
                    errors.append(f'{where}: "{inc}" is private to {target}')
    return errors


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    errors = check(os.path.abspath(root))
    for e in errors:
        print(e)
    if errors:
        print(f"check-layers: {len(errors)} forbidden include(s); see docs/ARCHITECTURE.md")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
