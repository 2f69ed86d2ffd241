# deploy/mixin against a real Prometheus (scripts/prometheus.sh) scraping a
# running service, in a compactor ring on the etcd fixture, that compacts
# and expires blocks: /metrics passes promtool check metrics but for the two
# gauges Tempo names _total; every metric name the alerts and dashboards use
# is exported and has data in Prometheus; Tempo's own outstanding-blocks
# expression finds tempo_build_info{container="compactor"}; on the healthy
# run no alert expression returns anything and the dashboards' queries
# evaluate; after a corrupt block arrives, the quarantine alert fires.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ring_lib.sh"
MIXIN="$TC_SRC/deploy/mixin"
check() { python3 "$(dirname "$0")/mixin_check.py" "$@"; }
pid=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; "$TC_SRC/scripts/prometheus.sh" stop "$TMP/prom" >/dev/null 2>&1; ring_cleanup' EXIT

B="$TMP/bucket"; mkdir -p "$B"
# "live" compacts; "old" is past the 48h block_retention: marked, then deleted 2s later.
"$TC_BIN" gen --path "$B" --tenant live --flushes 2 --replicas 2 --traces 60 --age "$(age 30)" --flush-interval 1m --seed 1 >/dev/null
"$TC_BIN" gen --path "$B" --tenant old --flushes 1 --replicas 2 --traces 30 --age "$(age 100)" --flush-interval 1m --seed 2 >/dev/null

cat > "$TMP/config.yaml" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0, graceful_shutdown_timeout: 5s}
compactor:
  compaction: {compaction_cycle: 1s, block_retention: 48h, compacted_block_retention: 2s}
  ring:
    kvstore:
      store: etcd
      prefix: $PREFIX
      etcd: {endpoints: [$TC_ETCD_ENDPOINT], dial_timeout: 1s, max_retries: 2}
    heartbeat_period: 1s
    wait_stability_min_duration: 1s
    wait_stability_max_duration: 2s
    instance_id: mixin-1
    instance_addr: 127.0.0.1
    instance_port: 9101
storage: {trace: {backend: local, local: {path: $B}, blocklist_poll: 1s}}
YAML
"$TC_BIN" -config.file="$TMP/config.yaml" > "$TMP/log" 2>&1 &
pid=$!
port=$(wait_port "$TMP/log") || { cat "$TMP/log"; fail "no http port in the log"; }

# The labels a Kubernetes scrape would add, so Tempo's own expressions apply as they are.
cat > "$TMP/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [$MIXIN/alerts.yaml]
scrape_configs:
  - job_name: tracecompactor
    static_configs:
      - targets: ['127.0.0.1:$port']
        labels: {cluster: test, namespace: tc, container: compactor}
YAML
"$TC_SRC/scripts/prometheus.sh" start "$TMP/prom" "$TMP/prometheus.yml" --stop-with-parent >/dev/null
PROM="http://127.0.0.1:$(cat "$TMP/prom/run/port")"
# query EXPR: the number of series Prometheus returns for an instant query.
query() {
  curl -sf --get "$PROM/api/v1/query" --data-urlencode "query=$1" |
    python3 -c 'import json, sys; print(len(json.load(sys.stdin)["data"]["result"]))'
}

# Converged: "live" compacted, "old" deleted, and Prometheus has seen both.
for _ in $(seq 150); do
  [ "$(query 'tempodb_compaction_blocks_total > 0 and on() tempodb_retention_deleted_total >= 2')" = 1 ] && break
  sleep 0.2
done
[ "$(query 'tempodb_retention_deleted_total >= 2')" = 1 ] || { tail -20 "$TMP/log"; fail "retention did not delete the old blocks"; }
[ "$(query 'tempodb_compaction_blocks_total > 0')" -ge 1 ] || { tail -20 "$TMP/log"; fail "nothing compacted"; }
sleep 2   # two more scrapes, so rate() and histogram_quantile() over them have two points

curl -sf "http://127.0.0.1:$port/metrics" > "$TMP/metrics" || fail "/metrics"
set +e; promtool check metrics < "$TMP/metrics" > "$TMP/promtool" 2>&1; set -e
grep -v -e '^tempodb_backend_objects_total non-counter metrics should not have "_total" suffix$' \
  -e '^tempodb_backend_bytes_total non-counter metrics should not have "_total" suffix$' "$TMP/promtool" &&
  fail "promtool check metrics: $(cat "$TMP/promtool")"
grep -Eq '^tempo_build_info\{branch="[^"]+",goversion="[^"]+",revision="[^"]+",version="[^"]+"\} 1$' "$TMP/metrics" ||
  fail "tempo_build_info: $(grep build_info "$TMP/metrics")"
grep -Eq '^tempodb_backend_request_duration_seconds_count\{operation="GET",status_code="200"\} [1-9]' "$TMP/metrics" ||
  fail "no GET 200 on the local backend: $(grep request_duration_seconds_count "$TMP/metrics")"
check exported "$MIXIN" "$TMP/metrics"
check healthy "$MIXIN" "$PROM"

# Tempo 1.5's outstanding-blocks alert divides by its compactors' tempo_build_info.
[ "$(query 'sum by (cluster, namespace, tenant) (tempodb_compaction_outstanding_blocks{container="compactor", namespace=~".*"}) / ignoring(tenant) group_left count(tempo_build_info{container="compactor", namespace=~".*"}) by (cluster, namespace) >= 0')" -ge 1 ] ||
  fail "Tempo's outstanding-blocks expression returns nothing"

# A tenant arrives with a corrupt trace body in one of its blocks.
S="$TMP/stage"
now=$(date +%s)
"$TC_BIN" gen --path "$S" --tenant q --flushes 3 --replicas 1 --traces 40 --spans 4 --continue 0 \
  --encoding none --age "$(( now - ( (now - 30 * 3600) / 3600 * 3600 + 600 ) ))s" --flush-interval 5m --seed 5 >/dev/null
blk=$(ls "$S/q" | head -1)
trace=$("$TC_BIN" inspect --ids "$S/q/$blk" | sed -n 's/^id=//p' | sed -n 5p)
python3 "$(dirname "$0")/corrupt_body.py" "$S/q/$blk" "$trace" wiretype >/dev/null
mv "$S/q" "$B/q"
firing() {
  curl -sf "$PROM/api/v1/alerts" | python3 -c '
import json, sys
print(" ".join(sorted(a["labels"]["alertname"] for a in json.load(sys.stdin)["data"]["alerts"] if a["state"] == "firing")))'
}
for _ in $(seq 150); do
  case " $(firing) " in *" TracecompactorBlocksQuarantined "*) break ;; esac
  sleep 0.2
done
[ -e "$B/q/$blk/nocompact.json" ] || { tail -20 "$TMP/log"; fail "the corrupt block was not quarantined"; }
[ "$(firing)" = TracecompactorBlocksQuarantined ] || fail "firing after the quarantine: '$(firing)'"
check fires "$MIXIN" "$PROM" TracecompactorBlocksQuarantined

kill -TERM $pid
wait $pid || fail "serve exited $? after SIGTERM"
pid=""
inspect_live "$B" >/dev/null
echo ok
