# The bucket page in a real browser (README "Bucket web page"): headless
# Chromium renders `tracecompactor web`'s / with every tenant and
# /?tenant=T with every live block ID and a quarantined block's (hostile)
# reason, escaped; screenshots are non-blank PNGs; `web` leaves the bucket
# byte-identical. Then the compacting service serves the same page at /
# next to its other endpoints, with the job it ran in the history.
# Chromium runs in a process group of its own, with its own profile, and
# the group is killed after each run, so nothing outlives the test.
source "$(dirname "$0")/lib.sh"
command -v chromium >/dev/null || fail "chromium is not installed (scripts/install-deps.sh --chromium; make test does it)"

B="$TMP/bucket"
# tenant-a: 2 flushes x 2 replicas of level 0 three hours ago, 2 blocks of level 1 five hours ago
"$TC_BIN" gen --path "$B" --tenant tenant-a --flushes 2 --replicas 2 --traces 30 --age 3h --seed 1 >/dev/null
"$TC_BIN" gen --path "$B" --tenant tenant-a --flushes 2 --replicas 1 --traces 30 --age 5h --level 1 --seed 2 >/dev/null
# a tenant ID with a quote in it (allowed: letters, digits and !-_.*'())
T2="o'brien(*)"
"$TC_BIN" gen --path "$B" --tenant "$T2" --flushes 1 --replicas 2 --traces 20 --age 1h --seed 3 >/dev/null
bad=$(ls "$B/tenant-a" | head -1)
# The reason would retitle the page if it ran as script.
printf '%s\n' '{"reason":"corrupt <script>document.title=\"PWNED\"</script>","time":"2024-01-01T00:00:00Z","error":"bad \"page\" & <b>bold</b>"}' \
  > "$B/tenant-a/$bad/nocompact.json"
# A partial block past any grace: a compacting service would remove it, web must not.
mkdir "$B/tenant-a/00000000-0000-4000-8000-0000000000aa"
echo x > "$B/tenant-a/00000000-0000-4000-8000-0000000000aa/data"
touch -d '3 days ago' "$B/tenant-a/00000000-0000-4000-8000-0000000000aa/data"
live_a=$(cd "$B/tenant-a" && for d in */; do [ -f "$d/meta.json" ] && echo "${d%/}"; done)
live_2=$(cd "$B/$T2" && ls)
[ "$(echo "$live_a" | wc -l)" -eq 6 ] && [ "$(echo "$live_2" | wc -l)" -eq 2 ] || fail "setup: $live_a / $live_2"
before=$(tree_sum "$B")

pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# browse OUTFILE ARGS... URL: one headless Chromium run (stdout to OUTFILE), its group killed after.
browse() {
  local out=$1 prof rc=0 pid
  shift
  prof=$(mktemp -d "$TMP/chromium-profile.XXXXXX")
  setsid timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --user-data-dir="$prof" "$@" >"$out" 2>>"$TMP/chromium.log" &
  pid=$!
  pids+=("$pid")
  wait "$pid" || rc=$?
  kill -KILL -- "-$pid" 2>/dev/null || true
  [ "$rc" -eq 0 ] || { tail -20 "$TMP/chromium.log" >&2; fail "chromium exited $rc: $*"; }
}

# get PATH: the body from the server at $url (no pipe: grep -q closing it early would fail curl)
get() { curl -sf "$url$1" >"$TMP/got" && cat "$TMP/got"; }

"$TC_BIN" web --path "$B" --listen 127.0.0.1:0 --poll 1s >"$TMP/web.log" 2>&1 &
web=$!
pids+=("$web")
port=$(wait_port "$TMP/web.log") || { cat "$TMP/web.log"; fail "web: no port in the log"; }
url="http://127.0.0.1:$port"

# /: every tenant, with a link to its page (the quote escaped in the DOM as it is in the attribute)
browse "$TMP/index.html" --dump-dom "$url/"
grep -q '<title>tracecompactor bucket</title>' "$TMP/index.html" || fail "/: no title"
for t in tenant-a "o'brien(*)"; do
  grep -qF ">$t</a>" "$TMP/index.html" || { cat "$TMP/index.html"; fail "/: tenant $t missing"; }
done
grep -qF 'href="/?tenant=o%27brien%28%2A%29"' "$TMP/index.html" || fail "/: the link to o'brien(*) is not percent-encoded"
grep -q 'read-only' "$TMP/index.html" || fail "/: web does not say it is read-only"

# /?tenant=tenant-a: every live block ID, in the timeline and the table; the reason, as text
# (#blk-ID: the script pins that block and fills the details panel, as a click does)
browse "$TMP/tenant.html" --dump-dom "$url/?tenant=tenant-a#blk-$bad"
for id in $live_a; do
  grep -q "id=\"blk-$id\"" "$TMP/tenant.html" || fail "tenant-a: block $id not in the timeline"
  grep -q "id=\"row-$id\"" "$TMP/tenant.html" || fail "tenant-a: block $id not in the table"
done
grep -q "<g class=\"blk quarantined[ a-z]*\" id=\"blk-$bad\"" "$TMP/tenant.html" || fail "tenant-a: $bad is not drawn quarantined"
grep -qF 'corrupt &lt;script&gt;document.title="PWNED"&lt;/script&gt; since 2024-01-01T00:00:00Z: bad "page" &amp; &lt;b&gt;bold&lt;/b&gt;' \
  "$TMP/tenant.html" || { grep -o 'class="reason">[^<]*' "$TMP/tenant.html" >&2; fail "tenant-a: quarantine reason missing or not escaped"; }
grep -q 'PWNED</title>' "$TMP/tenant.html" && fail "the quarantine reason ran as script"
grep -qF "<dt>ID</dt><dd>$bad</dd><dt>state</dt><dd>quarantined</dd>" "$TMP/tenant.html" ||
  fail "tenant-a: the script did not show the pinned block's meta"
grep -qF '<dt>quarantine reason</dt><dd>corrupt &lt;script&gt;' "$TMP/tenant.html" ||
  fail "tenant-a: the details panel lacks the escaped reason"
grep -q '<title>tenant-a · tracecompactor bucket</title>' "$TMP/tenant.html" || fail "tenant-a: title changed"
[ "$(grep -c '<g class="lane" data-level=' "$TMP/tenant.html")" -eq 2 ] || fail "tenant-a: want lanes for levels 0 and 1"
# (the server's HTML is what the browser rendered above; plain requests check the rest)
get "/?tenant=o%27brien(*)" >"$TMP/t2.html" || fail "o'brien(*): no page"
for id in $live_2; do grep -q "id=\"row-$id\"" "$TMP/t2.html" || fail "o'brien(*): block $id missing"; done
# the filters work without script: level=1 shows only level 1
get "/?tenant=tenant-a&level=1" >"$TMP/l1.html" || fail "level=1: no page"
[ "$(grep -o 'id="row-[^"]*"' "$TMP/l1.html" | wc -l)" -eq 2 ] || fail "level=1: want the 2 level-1 blocks"

# a screenshot that shows something
browse "$TMP/shot.out" --screenshot="$TMP/tenant.png" --window-size=1400,1000 "$url/?tenant=tenant-a"
python3 "$(dirname "$0")/pngcheck.py" "$TMP/tenant.png" 1400 1000 || fail "tenant page screenshot"

# bad requests: 400 and 404 with a message, not a page
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/?tenant=nobody")" = 404 ] || fail "unknown tenant: want 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/?tenant=tenant-a&level=x")" = 400 ] || fail "bad level: want 400"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/?tenant=tenant-a%00x")" = 400 ] || fail "NUL in tenant: want 400"
get /metrics >"$TMP/m" && grep -q '^tempodb_blocklist_length{tenant="tenant-a"} 6' "$TMP/m" || fail "web: /metrics"

sleep 2.2 # two more polls (--poll 1s) must not write either
kill -TERM "$web"
set +e; wait "$web"; rc=$?; set -e
[ "$rc" -eq 0 ] || { cat "$TMP/web.log"; fail "web: exit $rc after SIGTERM"; }
[ "$(tree_sum "$B")" = "$before" ] || fail "web changed the bucket"

# The compacting service serves the same page at /, and keeps its other endpoints.
rm -rf "$B/tenant-a/00000000-0000-4000-8000-0000000000aa"
cat > "$TMP/config.yaml" <<YAML
server:
  http_listen_address: 127.0.0.1
  http_listen_port: 0
compactor:
  compaction:
    compaction_cycle: 1s
storage:
  trace:
    backend: local
    local:
      path: $B
    blocklist_poll: 1s
YAML
"$TC_BIN" -config.file="$TMP/config.yaml" >"$TMP/serve.log" 2>&1 &
svc=$!
pids+=("$svc")
port=$(wait_port "$TMP/serve.log") || { cat "$TMP/serve.log"; fail "serve: no port in the log"; }
url="http://127.0.0.1:$port"
# tenant-a's three live level-0 blocks (the fourth is quarantined) share a window: one job.
for _ in $(seq 100); do
  get / >"$TMP/p" && grep -q '<td class="ok">ok' "$TMP/p" && break
  sleep 0.2
done
browse "$TMP/svc.html" --dump-dom "$url/"
grep -q 'compacting service' "$TMP/svc.html" || fail "serve: / is not the service's page"
grep -q '<td class="ok">ok' "$TMP/svc.html" || { cat "$TMP/serve.log"; fail "serve: no finished job on the page"; }
for t in tenant-a "o'brien(*)"; do grep -qF ">$t</a>" "$TMP/svc.html" || fail "serve: tenant $t missing"; done
browse "$TMP/svc-a.html" --dump-dom "$url/?tenant=tenant-a&compacted=1"
out=$(grep -o 'output=[0-9a-f-]*' "$TMP/serve.log" | head -1 | cut -d= -f2)
[ -n "$out" ] || fail "serve: no compaction in the log"
grep -q "id=\"blk-$out\"" "$TMP/svc-a.html" || fail "serve: the output $out is not on the tenant page"
grep -q '<g class="blk compacted"' "$TMP/svc-a.html" || fail "serve: compacted=1 shows no compacted block"
get /ready >"$TMP/r" && grep -q ready "$TMP/r" || fail "serve: /ready"
get /metrics >"$TMP/m" && grep -q '^tempodb_compaction_blocks_total' "$TMP/m" || fail "serve: /metrics"
get "/status/blocklist?tenant=tenant-a" >"$TMP/bl" && grep -q '"live"' "$TMP/bl" || fail "serve: /status/blocklist"
get /config >"$TMP/c" && grep -q 'blocklist_poll' "$TMP/c" || fail "serve: /config"
kill -TERM "$svc"
set +e; wait "$svc"; rc=$?; set -e
[ "$rc" -eq 0 ] || { tail -20 "$TMP/serve.log"; fail "serve: exit $rc after SIGTERM"; }
echo "ok: chromium rendered web's and the service's pages"
