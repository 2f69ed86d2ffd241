# Shared by test_poll_changes.sh (local) and test_poll_changes_s3.sh: blocks
# added, marked compacted, quarantined, unquarantined, deleted and broken
# behind the running service's back are in its next poll's index.json.gz and
# /status/blocklist exactly, and a steady poll costs a listing per tenant.
# The caller defines config_backend (the storage.trace lines), truth TENANT
# (prints "live: ids" and "compacted: ids" and "quarantined: ids" as the
# bucket holds them), get_index TENANT FILE, and the changes: add_block
# TENANT SEED AGE_H, mark_compacted, quarantine, unquarantine, delete_block,
# break_meta, fix_meta (TENANT BLOCK).

start_service() {
  cat > "$TMP/c.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0, graceful_shutdown_timeout: 10s}
compactor:
  compaction: {compaction_cycle: 1h, block_retention: 2000h}
storage:
  trace:
    blocklist_poll: 1s
    blocklist_poll_full_every: 1000
$(config_backend)
YAML
  # one block per window: nothing to compact, so only our changes move blocks
  add_block tenant-a 1 30
  add_block tenant-a 2 40
  add_block tenant-a 3 50
  add_block tenant-b 4 30
  "$TC_BIN" -config.file="$TMP/c.yaml" > "$TMP/log" 2>&1 &
  pid=$!
  port=$(wait_port "$TMP/log") || { cat "$TMP/log"; fail "service did not start"; }
  url="http://127.0.0.1:$port"
}

metric() { curl -sf "$url/metrics" | awk -v m="$1" '$1 == m { s += $2 } END { print s + 0 }'; }
polls() { metric tempodb_blocklist_poll_duration_seconds_count; }
# Every request the backend counted, whatever its operation and status.
requests() { curl -sf "$url/metrics" | awk '$1 ~ /^tempodb_backend_request_duration_seconds_count/ { s += $2 } END { print s + 0 }'; }
# Waits until a poll that started after now has ended.
next_poll() {
  local p0; p0=$(polls)
  for _ in $(seq 200); do
    [ "$(polls)" -ge $((p0 + 2)) ] && return 0
    sleep 0.1
  done
  fail "no poll ended"
}

ids_of_index() { # FILE: "live: ..." and "compacted: ..." of an index.json.gz
  python3 -c '
import gzip, json, sys
d = json.load(gzip.open(sys.argv[1]))
print("live:", " ".join(sorted(m["blockID"] for m in d["meta"] or [])))
print("compacted:", " ".join(sorted(m["blockID"] for m in d["compacted"] or [])))' "$1"
}
ids_of_status() { # TENANT: the same from /status/blocklist, and the quarantined ones from /status.json
  curl -sf "$url/status/blocklist?tenant=$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("live:", " ".join(sorted(m["blockID"] for m in d["live"])))
print("compacted:", " ".join(sorted(m["blockID"] for m in d["compacted"])))'
}

# check TENANT WHAT: the index and the service's blocklist are the bucket's.
check() {
  next_poll
  truth "$1" | grep -v '^quarantined' > "$TMP/truth"
  get_index "$1" "$TMP/idx.gz" || fail "$2: no index for $1"
  ids_of_index "$TMP/idx.gz" > "$TMP/index"
  ids_of_status "$1" > "$TMP/status"
  diff "$TMP/truth" "$TMP/index" >&2 || fail "$2: $1's index.json.gz is not the bucket"
  diff "$TMP/truth" "$TMP/status" >&2 || fail "$2: $1's /status/blocklist is not the bucket"
}

# The block's state on the service's page: live, quarantined or compacted.
# (sed reads all its input: an early exit like head's or grep -q's could
# break the pipe of the writer before it, which pipefail makes a failure)
state_of() { curl -sf "$url/?tenant=$1" | grep -o "data-id=\"$2\" data-state=\"[a-z]*\"" | sed -n '1s/.*data-state="\(.*\)"/\1/p'; }
first_live() { truth "$1" | sed -n 's/^live: //p' | tr ' ' '\n' | sed -n "${2:-1}p"; }

run_changes() {
  start_service
  trap 'kill -9 $pid 2>/dev/null || true; cleanup_backend; rm -rf "$TMP"' EXIT
  check tenant-a "first poll"
  check tenant-b "first poll"

  # A steady poll: the tenants' listing and one listing per tenant (S3: one page each), no meta read.
  next_poll
  r0=$(requests); p0=$(polls)
  for _ in $(seq 100); do [ "$(polls)" -ge $((p0 + 3)) ] && break; sleep 0.1; done
  r1=$(requests); p1=$(polls)
  per=$(( (r1 - r0) / (p1 - p0) ))
  # (S3 adds its listing of multipart uploads left by killed writers)
  [ "$per" -le 4 ] || fail "a steady poll of 2 tenants made $per requests (want <= 4: tenants, 1 per tenant, uploads)"

  add_block tenant-a 5 60;                      check tenant-a added
  b=$(first_live tenant-a 1); mark_compacted tenant-a "$b"; check tenant-a "marked compacted"
  q=$(first_live tenant-a 1); quarantine tenant-a "$q"
  check tenant-a quarantined
  state_of tenant-a "$q" | grep -qx quarantined || fail "quarantined block shown as $(state_of tenant-a "$q")"
  unquarantine tenant-a "$q";                   check tenant-a unquarantined
  state_of tenant-a "$q" | grep -qx live || fail "unquarantined block shown as $(state_of tenant-a "$q")"
  delete_block tenant-a "$b";                   check tenant-a "deleted (compacted)"
  d=$(first_live tenant-a 2); delete_block tenant-a "$d"; check tenant-a "deleted (live)"
  x=$(first_live tenant-a 1); break_meta tenant-a "$x"
  next_poll; next_poll
  get_index tenant-a "$TMP/idx.gz"; ids_of_index "$TMP/idx.gz" | grep "$x" >/dev/null && fail "a broken meta stayed in the index"
  fix_meta tenant-a "$x";                       check tenant-a "meta fixed"
  ids_of_index "$TMP/idx.gz" | grep "$x" >/dev/null || fail "a fixed meta is not back in the index"
  check tenant-b "tenant-b untouched"
  kill -TERM $pid; wait $pid || fail "non-zero exit after SIGTERM"
  echo ok
}
