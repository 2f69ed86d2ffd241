#!/usr/bin/env bash
# The Dockerfile, in the pieces that can run without a Docker daemon (no
# image can be built here): it parses and has what the README promises
# (dockerfile.py check; a copy running as root must fail it), its stages RUN
# exactly the commands below and those run here as written: install-deps.sh
# --only build|runtime from the paths the COPYs give it, `make compile` (its
# commands are the ones `make build` runs; shown with -n, as this tree is
# already built) and `make install` into a DESTDIR, after which every path the
# runtime stage copies from the build stage exists. The HEALTHCHECK command
# runs against a ready service (0), a port nobody listens on and a server
# answering 503 (not 0).
source "$(dirname "$0")/../integration/lib.sh"
here=$(dirname "$0")
df="$TC_SRC/Dockerfile"
py() { python3 "$here/dockerfile.py" "$@"; }

py check "$df" || fail "Dockerfile check"
sed 's/^USER .*/USER root/' "$df" >"$TMP/Dockerfile.root"
expect_exit 1 py check "$TMP/Dockerfile.root"
grep -q "runs as 'root'" "$TMP/out" || fail "a Dockerfile running as root passed the check"
printf 'FROM debian:bookworm AS build\nRUN true \\\n' >"$TMP/Dockerfile.cut"
expect_exit 1 py check "$TMP/Dockerfile.cut"

# The RUN commands, stage by stage, must be these; a change to the Dockerfile
# must change this test, which runs them.
py runs "$df" build >"$TMP/runs.build"
cat >"$TMP/want.build" <<'W'
scripts/install-deps.sh --only build && rm -rf /var/lib/apt/lists/*
make compile BUILD=/build JOBS="$(nproc)" && make install BUILD=/build DESTDIR=/out PREFIX=/usr/local STRIP=1
W
diff -u "$TMP/want.build" "$TMP/runs.build" || fail "the build stage's RUN commands changed; update this test"
py runs "$df" debian:bookworm-slim >"$TMP/runs.final"
grep -qx '/tmp/deps/install-deps.sh --only runtime && rm -rf /var/lib/apt/lists/\* /tmp/deps' "$TMP/runs.final" ||
  { cat "$TMP/runs.final"; fail "the runtime stage does not install the runtime group"; }

# Build stage: the packages (COPY scripts/packages scripts/install-deps.sh scripts/).
py copies "$df" build >"$TMP/copies.build"
grep -qx -- $'-\tscripts/packages' "$TMP/copies.build" || fail "the build stage does not copy scripts/packages"
(cd "$TC_SRC" && scripts/install-deps.sh --only build) || fail "install-deps.sh --only build"
# make compile: the Makefile's build commands, and what `make build` runs.
make -s -n -C "$TC_SRC" compile BUILD=/build JOBS=2 >"$TMP/compile.n"
make -s -n -C "$TC_SRC" build BUILD=/build JOBS=2 >"$TMP/build.n"
grep -q '^cmake -S . -B /build ' "$TMP/compile.n" && grep -q '^cmake --build /build -j 2' "$TMP/compile.n" ||
  { cat "$TMP/compile.n"; fail "make compile does not run cmake's configure and build"; }
[ "$(tail -n "$(wc -l <"$TMP/compile.n")" "$TMP/build.n")" = "$(cat "$TMP/compile.n")" ] ||
  fail "make build does not end with make compile's commands"
# make install, with this tree as /build and $TMP/image as /out.
make -s -C "$TC_SRC" install BUILD="$TC_BUILD" DESTDIR="$TMP/image" PREFIX=/usr/local STRIP=1 >/dev/null ||
  fail "the build stage's make install"
n=0
while IFS=$'\t' read -r from src; do
  [ "$from" = build ] || continue
  [ -e "$TMP/image${src#/out}" ] || fail "the runtime stage copies $src, which make install did not write"
  n=$((n + 1))
done < <(py copies "$df" debian:bookworm-slim)
[ "$n" -ge 2 ] || fail "the runtime stage copies $n paths from the build stage, want the binary and the config"
"$TMP/image/usr/local/bin/tracecompactor" version | grep -q '^tracecompactor ' || fail "the stripped binary does not run"

# Runtime stage: install-deps.sh where COPY puts it, with only the list beside it.
mkdir -p "$TMP/deps"
cp "$TC_SRC/scripts/packages" "$TC_SRC/scripts/install-deps.sh" "$TMP/deps/"
"$TMP/deps/install-deps.sh" --only runtime || fail "install-deps.sh --only runtime from a copy"
bash -n "$TMP/runs.final" || fail "the runtime stage's RUN lines are not shell"
grep -q 'groupadd .*--gid 10001 .*useradd .*--uid 10001 --gid 10001' "$TMP/runs.final" && grep -qx 'USER 10001:10001' "$df" ||
  fail "the runtime user is not uid 10001, gid 10001, with a group of that gid"

# HEALTHCHECK: the exec form as Docker runs it, with TC_HEALTH_PORT set.
py healthcheck "$df" >"$TMP/hc.json"
health() {
  TC_HEALTH_PORT=$1 python3 -c 'import json, os, sys; a = json.load(open(sys.argv[1])); os.execvp(a[0], a)' "$TMP/hc.json"
}
mkdir -p "$TMP/bucket"
"$TC_BIN" -config.file="$TC_SRC/configs/tracecompactor.yaml" -storage.trace.local.path="$TMP/bucket" \
  -server.http_listen_address=127.0.0.1 -server.http_listen_port=0 >"$TMP/svc.log" 2>&1 &
svc=$!
trap 'kill $svc 2>/dev/null || true; wait $svc 2>/dev/null || true; rm -rf "$TMP"' EXIT
port=$(wait_port "$TMP/svc.log") || { cat "$TMP/svc.log"; fail "the service did not start"; }
ok=0
for _ in $(seq 50); do health "$port" && { ok=1; break; }; sleep 0.1; done
[ $ok = 1 ] || fail "HEALTHCHECK fails against a ready service on $port"
kill $svc; wait $svc || true
health "$port" 2>/dev/null && fail "HEALTHCHECK passes with nothing listening on $port"
python3 - "$TMP/port503" <<'P' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(503); self.end_headers(); self.wfile.write(b"not ready\n")
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
# The check hangs up after the status line; that is not an error here.
s.handle_error = lambda *a: None
open(sys.argv[1], "w").write(str(s.server_port))
s.handle_request()
P
fake=$!
for _ in $(seq 50); do [ -s "$TMP/port503" ] && break; sleep 0.1; done
health "$(cat "$TMP/port503")" && fail "HEALTHCHECK passes on a 503"
wait $fake
echo "ok"
