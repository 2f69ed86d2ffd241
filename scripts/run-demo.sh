#!/usr/bin/env bash
# `make run`: seeds ./data with demo blocks (three tenants, several ages) if
# it is empty, then runs the service on it with short periods so compaction,
# retention and the tenant index show up in the log within a minute.
# Ctrl-C stops it cleanly. DATA=/path overrides the bucket location.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/tracecompactor}
DATA=${DATA:-$PWD/data}
PORT=${PORT:-3200}
mkdir -p "$DATA"
if [ -z "$(ls -A "$DATA")" ]; then
  echo "run-demo: seeding $DATA with demo blocks" >&2
  "$BIN" gen --path "$DATA" --tenant shop-frontend --flushes 4 --replicas 2 --traces 400 --age 3h --seed 11
  "$BIN" gen --path "$DATA" --tenant payments --flushes 3 --replicas 3 --traces 300 --age 30h --seed 12
  "$BIN" gen --path "$DATA" --tenant payments --flushes 2 --replicas 1 --traces 100 --age 100h --seed 13
  "$BIN" gen --path "$DATA" --tenant search --flushes 2 --replicas 2 --traces 200 --age 400h --seed 14
fi
mkdir -p build; cfg="$PWD/build/tracecompactor-demo.yaml"
cat > "$cfg" <<YAML
# Written by scripts/run-demo.sh: configs/tracecompactor.yaml documents every key.
server:
  http_listen_address: 127.0.0.1
  http_listen_port: $PORT
compactor:
  compaction:
    compaction_cycle: 5s
    compacted_block_retention: 30s
storage:
  trace:
    backend: local
    local:
      path: $DATA
    blocklist_poll: 10s
overrides:
  per_tenant_override_config: $PWD/configs/overrides.yaml
YAML
echo "run-demo: serving $DATA; metrics at http://127.0.0.1:$PORT/metrics (Ctrl-C to stop)" >&2
exec "$BIN" -config.file="$cfg"
