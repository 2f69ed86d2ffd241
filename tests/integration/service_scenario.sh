# The service end to end on an object store, shared by test_service_s3.sh
# and test_service_gcs.sh (source lib.sh first): three tenants, tenant-b
# with a per-tenant retention override of 48h, convergence to one block
# each with every trace ID kept and sampled traces span-identical to a
# local copy, retention deleting every object of the old blocks, the
# tenant index, request metrics, exit 0 on SIGTERM.
#
# The caller defines, before calling service_scenario NAME:
#   storage_yaml           the storage.trace.<backend> section, one line
#                          ("s3: {bucket: ..., ...}"), for $TMP/c.yaml
#   list_keys PREFIX       prints the keys of the objects under PREFIX, one a line
#   get_object KEY FILE    writes the object KEY to FILE
# and may export what the service needs (credentials) in its environment.

# For the caller's EXIT trap: the service, if a failure left it running.
scenario_cleanup() { [ -z "${SCENARIO_PID:-}" ] || kill -9 "$SCENARIO_PID" 2>/dev/null || true; }

scenario_config() { # FILE STORAGE_YAML
  cat > "$1" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0, graceful_shutdown_timeout: 10s}
compactor:
  compaction: {compaction_cycle: 1s, compacted_block_retention: 3s}
storage:
  trace:
    backend: ${2%%:*}
    blocklist_poll: 1s
    $2
overrides: {per_tenant_override_config: $TMP/overrides.yaml, per_tenant_override_period: 1s}
YAML
}

service_scenario() { # NAME (for messages)
  local name=$1 now nows old_b pid port url t d n id b
  printf 'overrides:\n  "tenant-b":\n    block_retention: 48h\n' > "$TMP/overrides.yaml"
  scenario_config "$TMP/c.yaml" "$storage_yaml"

  now=$(date -u +%Y-%m-%dT%H:%M:%SZ); nows=$(date -d "$now" +%s)
  age() { echo "$(( nows - ( (nows - $1 * 3600) / 3600 * 3600 + 1200 ) ))s"; }
  seed_both() { # the same blocks into the store and into a local copy to compare against
    "$TC_BIN" gen --config "$TMP/c.yaml" --now "$now" "$@" >/dev/null
    "$TC_BIN" gen --path "$TMP/original" --now "$now" "$@" >/dev/null
  }
  seed_both --tenant tenant-a --flushes 2 --replicas 2 --traces 120 --spans 6 --age "$(age 30)" --flush-interval 1m --seed 31
  seed_both --tenant tenant-b --flushes 2 --replicas 2 --traces 100 --spans 6 --age "$(age 30)" --flush-interval 1m --seed 32
  seed_both --tenant tenant-b --flushes 1 --replicas 2 --traces 40 --spans 6 --age "$(age 100)" --flush-interval 1m --seed 33
  seed_both --tenant tenant-c --flushes 2 --replicas 1 --traces 60 --spans 4 --age "$(age 20)" --flush-interval 1m --seed 34
  old_b=$(for d in "$TMP"/original/tenant-b/*/; do
    python3 -c 'import json,sys,datetime as D; e=json.load(open(sys.argv[1]))["endTime"]; sys.exit(0 if (D.datetime.now(D.timezone.utc)-D.datetime.fromisoformat(e.replace("Z","+00:00"))).total_seconds()>72*3600 else 1)' "$d/meta.json" && basename "$d"; done || true)
  [ "$(echo $old_b | wc -w)" -eq 2 ] || fail "setup: old tenant-b blocks: $old_b"

  "$TC_BIN" -config.file="$TMP/c.yaml" > "$TMP/log" 2>&1 &
  pid=$!
  SCENARIO_PID=$pid
  port=$(wait_port "$TMP/log") || true
  [ -n "$port" ] || { kill -9 $pid 2>/dev/null; cat "$TMP/log"; fail "service did not start on $name"; }
  url="http://127.0.0.1:$port"
  state() { curl -sf "$url/status/blocklist?tenant=$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["live"]), len(d["compacted"]))' 2>/dev/null || echo none; }
  converged() { [ "$(state tenant-a)" = "1 0" ] && [ "$(state tenant-b)" = "1 0" ] && [ "$(state tenant-c)" = "1 0" ]; }
  for _ in $(seq 240); do converged && break; sleep 0.5; done
  converged || { kill -9 $pid; tail -30 "$TMP/log"; fail "did not converge on $name"; }
  sleep 2.5 # two more poll periods: the tenant index and the metrics of the last cycle
  curl -sf "$url/metrics" > "$TMP/metrics"
  curl -sf "$url/config" > "$TMP/config.out"
  grep -q '^tempodb_backend_request_duration_seconds_count{operation="GET",status_code="200"}' "$TMP/metrics" || { kill -9 $pid; fail "no request metrics"; }
  grep -q '^tempodb_compaction_errors_total 0' "$TMP/metrics" || { kill -9 $pid; fail "compaction errors: $(grep errors_total "$TMP/metrics")"; }
  marked=$(awk '$1 == "tempodb_retention_marked_for_deletion_total" { print $2 }' "$TMP/metrics")
  [ "${marked:-0}" -ge 1 ] || { kill -9 $pid; fail "retention marked nothing"; }
  kill -TERM $pid; wait $pid || fail "non-zero exit after SIGTERM"

  # Retention removed every object of the old tenant-b blocks, and nothing of the others.
  for b in $old_b; do
    [ -z "$(list_keys "tenant-b/$b/")" ] || fail "old block $b still has objects"
  done
  # Tenant index = the live block the service reports.
  for t in tenant-a tenant-b tenant-c; do
    get_object "$t/index.json.gz" "$TMP/idx.gz" || fail "no tenant index for $t"
    python3 -c 'import gzip,json,sys; d=json.load(gzip.open(sys.argv[1])); assert len(d["meta"])==1 and d["meta"][0]["compactionLevel"]>=1, d' "$TMP/idx.gz" || fail "tenant index content of $t"
  done

  # Every sampled trace, and the young tenant-b traces, span for span.
  for t in tenant-a tenant-b tenant-c; do
    for d in "$TMP/original/$t"/*/; do
      echo "$old_b" | grep -qx "$(basename "$d")" && continue
      "$TC_BIN" inspect --ids "$d" | sed -n 's/^id=//p'
    done | sort -u > "$TMP/ids"
    n=0
    while read -r id; do
      n=$((n + 1)); [ $(( n % 11 )) -eq 1 ] || continue
      same_trace $t "$id" "--config $TMP/c.yaml" "--path $TMP/original" || fail "$t: trace $id differs on $name"
    done < "$TMP/ids"
  done
}
