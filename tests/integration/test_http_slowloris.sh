# A slowloris attack leaves the HTTP server reachable: 200 connections that
# trickle a header line every 1.5 s (which keeps resetting the 3 s idle
# timeout) are each closed 6 s after they were opened (the read deadline),
# one address gets at most http_listen_conn_limit_per_ip connections (the
# default, 32), /ready and /metrics from another address answer within 1 s
# throughout, and SIGTERM in the middle of the attack stops the service
# with exit 0; the cuts show in tracecompactor_http_connections_cut_total.
# The attackers use 127.0.0.2-9: the whole of 127/8 is
# loopback on Linux, so the per-IP limit sees them as other clients.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/b"
cat > "$TMP/config.yaml" <<YAML
server:
  http_listen_address: 127.0.0.1
  http_listen_port: 0
  graceful_shutdown_timeout: 2s
  http_server_read_timeout: 6s
  http_server_idle_timeout: 3s
storage:
  trace:
    backend: local
    local:
      path: $TMP/b
    blocklist_poll: 1s
YAML
"$TC_BIN" -config.file="$TMP/config.yaml" > "$TMP/log" 2>&1 &
pid=$!
port=$(wait_port "$TMP/log") || { cat "$TMP/log"; fail "the service did not log its port"; }
for _ in $(seq 100); do
  curl -sf --max-time 1 "http://127.0.0.1:$port/ready" >/dev/null && break
  sleep 0.1
done
curl -sf --max-time 1 "http://127.0.0.1:$port/ready" >/dev/null || { cat "$TMP/log"; fail "never ready"; }

python3 "$(dirname "$0")/slowloris.py" --port "$port" --conns 200 --trickle 1.5 --deadline 6 \
  --duration 16 --done "$TMP/done" > "$TMP/attack" 2>&1 &
apid=$!
for _ in $(seq 400); do
  [ -e "$TMP/done" ] && break
  kill -0 $apid 2>/dev/null || break
  sleep 0.1
done
[ -e "$TMP/done" ] || { cat "$TMP/attack"; kill -TERM $pid; fail "the attack script stopped early"; }

# Cut connections are counted where an operator can alert on them.
cut=0
for _ in $(seq 100); do
  cut=$(curl -sf --max-time 1 "http://127.0.0.1:$port/metrics" |
    awk '/^tracecompactor_http_connections_cut_total\{reason="read_timeout"\}/ { print $2 }')
  [ "${cut:-0}" != 0 ] && break
  sleep 0.1
done
[ "${cut:-0}" != 0 ] || { kill -TERM $pid; fail "no read_timeout cut counted in /metrics"; }

# The attack goes on: SIGTERM now.
t0=$(date +%s.%N)
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
t1=$(date +%s.%N)
set +e; wait $apid; arc=$?; set -e
cat "$TMP/attack"
[ "$rc" -eq 0 ] || { tail -20 "$TMP/log"; fail "exit $rc after SIGTERM during the attack"; }
python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 5 else 1)" || fail "shutdown during the attack took longer than 5s"
[ "$arc" -eq 0 ] || fail "the server did not stay reachable (see above)"
echo ok
