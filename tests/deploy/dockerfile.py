#!/usr/bin/env python3
"""Parses the repository's Dockerfile and checks what the image promises.

There is no Docker daemon or registry here, so the image is never built;
this is the part of the check that needs neither: the file parses as
Dockerfile instructions (continuations, comments, JSON exec forms), has the
two stages the README describes, and runs as a non-root user with
ENTRYPOINT ["tracecompactor"], EXPOSE 3200, a HEALTHCHECK on /ready and a
VOLUME. The commands the stages RUN are exercised by test_dockerfile.sh.

  dockerfile.py check DOCKERFILE          exit 0 or print what is wrong, exit 1
  dockerfile.py runs DOCKERFILE STAGE     print the RUN commands of a stage (name or image),
                                          one a line, continuations joined
  dockerfile.py copies DOCKERFILE STAGE   print "FROM-STAGE<TAB>SOURCE" of each COPY in a
                                          stage (FROM-STAGE "-" for the build context)
  dockerfile.py healthcheck DOCKERFILE    print the HEALTHCHECK command as JSON
"""
import json
import re
import sys

KNOWN = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
         "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
# Instructions whose argument may be a JSON array (exec form).
JSON_FORM = {"RUN", "CMD", "ENTRYPOINT", "VOLUME", "SHELL", "COPY", "ADD"}


class Bad(Exception):
    pass


def parse(path):
    """[(line, INSTRUCTION, flags dict, rest)] in order; raises Bad."""
    out = []
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        start = i + 1
        raw = lines[i]
        i += 1
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        text = raw
        # A trailing backslash continues the instruction; comment lines
        # inside a continuation are dropped, as BuildKit does.
        while text.rstrip().endswith("\\"):
            text = text.rstrip()[:-1]
            while i < len(lines) and lines[i].lstrip().startswith("#"):
                i += 1
            if i >= len(lines):
                raise Bad(f"{path}:{start}: continuation runs past the end of the file")
            text += "\n" + lines[i]
            i += 1
        m = re.match(r"\s*([A-Za-z]+)(\s+(.*))?$", text, re.S)
        if not m:
            raise Bad(f"{path}:{start}: not an instruction: {raw.strip()!r}")
        ins = m.group(1).upper()
        if ins not in KNOWN:
            raise Bad(f"{path}:{start}: unknown instruction {m.group(1)}")
        rest = (m.group(3) or "").strip()
        if not rest:
            raise Bad(f"{path}:{start}: {ins} without arguments")
        flags = {}
        while rest.startswith("--"):
            fm = re.match(r"--([a-z-]+)(=(\S*))?\s*", rest)
            if not fm:
                raise Bad(f"{path}:{start}: bad flag in {ins}")
            flags[fm.group(1)] = fm.group(3)
            rest = rest[fm.end():]
        if ins in JSON_FORM and rest.startswith("["):
            try:
                val = json.loads(rest)
            except json.JSONDecodeError as e:
                raise Bad(f"{path}:{start}: {ins}'s exec form is not a JSON array: {e}")
            if not isinstance(val, list) or not all(isinstance(x, str) for x in val):
                raise Bad(f"{path}:{start}: {ins}'s exec form is not an array of strings")
            rest = val
        if ins == "HEALTHCHECK":
            hm = re.match(r"CMD\s+(.*)$", rest, re.S)
            if rest != "NONE" and not hm:
                raise Bad(f"{path}:{start}: HEALTHCHECK is neither NONE nor CMD ...")
            if hm and hm.group(1).startswith("["):
                try:
                    rest = ["CMD", json.loads(hm.group(1))]
                except json.JSONDecodeError as e:
                    raise Bad(f"{path}:{start}: HEALTHCHECK CMD is not a JSON array: {e}")
        out.append((start, ins, flags, rest))
    return out


def stages(ins):
    """[(name or None, image, [instructions])]."""
    st = []
    for x in ins:
        if x[1] == "FROM":
            words = x[3].split()
            if len(words) == 3 and words[1].upper() == "AS":
                st.append((words[2], words[0], []))
            elif len(words) == 1:
                st.append((None, words[0], []))
            else:
                raise Bad(f"line {x[0]}: FROM IMAGE [AS NAME], not {x[3]!r}")
        elif not st:
            if x[1] != "ARG":
                raise Bad(f"line {x[0]}: {x[1]} before the first FROM")
        else:
            st[-1][2].append(x)
    return st


def check(path):
    ins = parse(path)
    st = stages(ins)
    errs = []
    if len(st) != 2:
        errs.append(f"{len(st)} stages, want 2 (build, runtime)")
        return errs
    (bname, bimage, _), (_, rimage, rins) = st
    if bimage != "debian:bookworm" or bname != "build":
        errs.append(f"first stage is {bimage} AS {bname}, want debian:bookworm AS build")
    if rimage != "debian:bookworm-slim":
        errs.append(f"final stage runs on {rimage}, want debian:bookworm-slim")
    last = {}
    for x in rins:
        last.setdefault(x[1], []).append(x)
    user = last.get("USER", [(0, "USER", {}, "root")])[-1][3]
    if user.split(":")[0] in ("root", "0"):
        errs.append(f"final stage runs as {user!r}; want a non-root user")
    ep = last.get("ENTRYPOINT", [(0, 0, {}, None)])[-1][3]
    if ep != ["tracecompactor"]:
        errs.append(f'ENTRYPOINT is {ep!r}, want ["tracecompactor"]')
    ports = [p for x in last.get("EXPOSE", []) for p in x[3].split()]
    if "3200" not in ports and "3200/tcp" not in ports:
        errs.append("no EXPOSE 3200")
    vols = [v for x in last.get("VOLUME", []) for v in (x[3] if isinstance(x[3], list) else x[3].split())]
    if "/var/tempo" not in vols:
        errs.append("no VOLUME /var/tempo")
    hc = last.get("HEALTHCHECK")
    if not hc or not isinstance(hc[-1][3], list) or "/ready" not in " ".join(hc[-1][3][1]):
        errs.append("no HEALTHCHECK CMD [...] on /ready")
    for x in rins:
        if x[1] == "COPY" and x[2].get("from") not in (None, bname):
            errs.append(f"line {x[0]}: COPY --from={x[2]['from']}, not from the build stage")
    return errs


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    try:
        if cmd == "check":
            errs = check(path)
            for e in errs:
                print(f"{path}: {e}")
            return 1 if errs else 0
        if cmd == "runs":
            for name, image, body in stages(parse(path)):
                if sys.argv[3] in (name, image):
                    for x in body:
                        if x[1] == "RUN":
                            print(" ".join(x[3].split()) if isinstance(x[3], str) else json.dumps(x[3]))
            return 0
        if cmd == "copies":
            for name, image, body in stages(parse(path)):
                if sys.argv[3] in (name, image):
                    for x in body:
                        if x[1] == "COPY":
                            srcs = x[3][:-1] if isinstance(x[3], list) else x[3].split()[:-1]
                            for src in srcs:
                                print(f"{x[2].get('from') or '-'}\t{src}")
            return 0
        if cmd == "healthcheck":
            hc = [x for x in parse(path) if x[1] == "HEALTHCHECK"]
            print(json.dumps(hc[-1][3][1]))
            return 0
    except Bad as e:
        print(e)
        return 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
