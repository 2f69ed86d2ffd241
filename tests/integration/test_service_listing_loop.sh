# Listings that would never end, against a fake S3 (fake_s3_lister.py):
# a repeated continuation token and a listing past
# storage.trace.s3.max_list_pages stop the start with exit 1 and a message
# naming the cause, within a few requests; SIGTERM during an endless
# listing (while starting, with /ready 503, and while running) stops the
# service within server.graceful_shutdown_timeout with exit 0; a root name
# that cannot be a key ("a%00b/") is skipped with a warning and the
# service starts.
source "$(dirname "$0")/lib.sh"

python3 "$(dirname "$0")/fake_s3_lister.py" --port-file "$TMP/s3port" --control "$TMP/mode" \
  --log "$TMP/requests" --delay 0.01 &
fake=$!
trap 'kill $fake 2>/dev/null || true; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [ -s "$TMP/s3port" ] && break; sleep 0.05; done
[ -s "$TMP/s3port" ] || fail "the fake S3 did not start"
cat > "$TMP/c.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0, graceful_shutdown_timeout: 2s}
compactor: {compaction: {compaction_cycle: 1s}}
storage:
  trace:
    backend: s3
    blocklist_poll: 1s
    s3: {bucket: fake-bucket, endpoint: "127.0.0.1:$(cat "$TMP/s3port")", access_key: AK, secret_key: SK,
         insecure: true, forcepathstyle: true, max_retries: 1}
YAML
lists() { grep -c "^GET prefix=$1 " "$TMP/requests" 2>/dev/null || true; }
# stops_within PID CODE MS: fails unless PID exits with CODE within MS ms
# from now (killed with SIGKILL if it is still running then).
stops_within() {
  local pid=$1 want=$2 limit=$3 t0 ms rc
  t0=$(date +%s%N)
  while kill -0 "$pid" 2>/dev/null; do
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    if [ "$ms" -ge "$limit" ]; then
      kill -KILL "$pid" 2>/dev/null || true
      cat "$TMP/log"; fail "still running after $ms ms"
    fi
    sleep 0.02
  done
  set +e; wait "$pid"; rc=$?; set -e
  [ "$rc" -eq "$want" ] || { cat "$TMP/log"; fail "exit $rc, want $want"; }
}

# The same token on every page: the first listing stops the start at page 2.
echo same > "$TMP/mode"; : > "$TMP/requests"
"$TC_BIN" -config.file="$TMP/c.yaml" > "$TMP/log" 2>&1 &
stops_within $! 1 10000
grep 'msg="startup failed" exit=1' "$TMP/log" | grep -q 'NextContinuationToken \\"same-token\\" was already returned by page 1' \
  || { cat "$TMP/log"; fail "repeated token: no clear startup error"; }
[ "$(lists "")" -eq 2 ] || fail "repeated token: $(lists "") listing requests, want 2"

# A new token on every page: max_list_pages pages, then the start gives up.
echo endless > "$TMP/mode"; : > "$TMP/requests"
"$TC_BIN" -config.file="$TMP/c.yaml" -storage.trace.s3.max_list_pages=20 > "$TMP/log" 2>&1 &
stops_within $! 1 10000
grep 'msg="startup failed" exit=1' "$TMP/log" | grep -q 'still truncated after 20 pages (storage.trace.s3.max_list_pages)' \
  || { cat "$TMP/log"; fail "page cap: no clear startup error"; }
[ "$(lists "")" -eq 20 ] || fail "page cap: $(lists "") listing requests, want 20"

# SIGTERM while the start lists endlessly (default cap: 100000 pages): /ready
# says 503 meanwhile, and the process stops at once, exit 0.
: > "$TMP/requests"
"$TC_BIN" -config.file="$TMP/c.yaml" > "$TMP/log" 2>&1 &
pid=$!
port=$(wait_port "$TMP/log") || { cat "$TMP/log"; fail "no port"; }
for _ in $(seq 200); do [ "$(lists "")" -ge 30 ] && break; sleep 0.05; done
[ "$(lists "")" -ge 30 ] || fail "the start is not listing: $(lists "") requests"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ready")
[ "$code" = 503 ] || fail "/ready answered $code while the first poll lists"
kill -TERM $pid
stops_within $pid 0 2000
grep -q 'msg="shutting down while starting" signal=SIGTERM' "$TMP/log" || { cat "$TMP/log"; fail "no shutdown line"; }
grep -q 'msg="startup failed"' "$TMP/log" && { cat "$TMP/log"; fail "a stop reported as a failed start"; }
n=$(lists ""); sleep 0.3  # a fixed sleep: requests would keep coming if the listing went on
[ "$(lists "")" -eq "$n" ] || fail "the listing went on after the stop"

# Started normally; then the tenant's listing becomes endless. SIGTERM: the
# poll is canceled at graceful_shutdown_timeout (2 s), exit 0.
echo normal > "$TMP/mode"; : > "$TMP/requests"
"$TC_BIN" -config.file="$TMP/c.yaml" > "$TMP/log" 2>&1 &
pid=$!
port=$(wait_port "$TMP/log") || { cat "$TMP/log"; fail "no port"; }
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { cat "$TMP/log"; fail "not ready"; }
echo tenant-endless > "$TMP/mode"
for _ in $(seq 200); do [ "$(lists t/)" -ge 30 ] && break; sleep 0.05; done
[ "$(lists t/)" -ge 30 ] || { cat "$TMP/log"; fail "the poll is not listing t/: $(lists t/) requests"; }
kill -TERM $pid
stops_within $pid 0 3500
grep -q 'msg="shutdown timeout: canceling the storage operations in flight" waiting_for=poll' "$TMP/log" \
  || { cat "$TMP/log"; fail "the endless poll was not canceled"; }
grep -q 'msg="stopped"' "$TMP/log" || { cat "$TMP/log"; fail "no stopped line"; }

# A root name that cannot be a key is skipped with a warning; the service starts.
echo badkey > "$TMP/mode"; : > "$TMP/requests"
"$TC_BIN" -config.file="$TMP/c.yaml" > "$TMP/log" 2>&1 &
pid=$!
port=$(wait_port "$TMP/log") || { cat "$TMP/log"; fail "no port"; }
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { cat "$TMP/log"; fail "a bad name stopped the start"; }
grep -q 'msg="skipping a listed name that cannot be a key" request="ListObjectsV2 prefix \\"\\"" name=a%00b/ reason="NUL byte"' "$TMP/log" \
  || { cat "$TMP/log"; fail "no warning for the bad name"; }
[ "$(lists t/)" -ge 1 ] || fail "tenant t was not polled"
kill -TERM $pid
stops_within $pid 0 3000
echo ok
