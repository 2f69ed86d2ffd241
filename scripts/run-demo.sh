#!/usr/bin/env bash
# `make run`: the README's first command (configs/tracecompactor.yaml, whose
# local bucket is ./data) with demo settings on top as flags. Seeds the bucket
# with demo blocks (three tenants, several ages) when it is missing or empty,
# then serves it with short periods so compaction, retention and the tenant
# index show up in the log within a minute. Ctrl-C stops it cleanly.
#   DATA=DIR   the bucket (default ./data, the config's; relative to the repository root)
#   PORT=N     the HTTP port (default 3200, the config's)
# Reset the demo: stop it, `rm -rf data` (or your DATA), `make run` again.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/tracecompactor}
DATA=${DATA:-./data}
PORT=${PORT:-3200}
if [ ! -d "$DATA" ] || [ -z "$(ls -A "$DATA")" ]; then
  # gen creates the directory; the service never creates one unasked.
  echo "run-demo: seeding $DATA with demo blocks" >&2
  "$BIN" gen --path "$DATA" --tenant shop-frontend --flushes 4 --replicas 2 --traces 400 --age 3h --seed 11
  "$BIN" gen --path "$DATA" --tenant payments --flushes 3 --replicas 3 --traces 300 --age 30h --seed 12
  "$BIN" gen --path "$DATA" --tenant payments --flushes 2 --replicas 1 --traces 100 --age 100h --seed 13
  "$BIN" gen --path "$DATA" --tenant search --flushes 2 --replicas 2 --traces 200 --age 400h --seed 14
fi
echo "run-demo: serving $DATA; metrics at http://127.0.0.1:$PORT/metrics (Ctrl-C to stop)" >&2
exec "$BIN" -config.file=configs/tracecompactor.yaml \
  -storage.trace.local.path="$DATA" \
  -server.http_listen_address=127.0.0.1 -server.http_listen_port="$PORT" \
  -compactor.compaction.compaction_cycle=5s -compactor.compaction.compacted_block_retention=30s \
  -storage.trace.blocklist_poll=10s \
  -overrides.per_tenant_override_config=configs/overrides.yaml
