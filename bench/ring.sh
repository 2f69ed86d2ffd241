#!/usr/bin/env bash
# Scale-out benchmark (bench/README.md, "Ring"): how long 1, 2 and 3 replicas
# sharing an etcd ring take to drain one bucket of many tenants, and how
# evenly the jobs were spread. `make bench-ring [TENANTS=24] [TRACES=1500]`.
#   bench/ring.sh [--tenants N] [--traces N] [--replicas "1 2 3"]
# Environment: BUILD (build dir, default build), ETCD_PORT (default 17370).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
BIN="$BUILD/tracecompactor"
DATA="$BUILD/bench-ring"
TENANTS=${TENANTS:-24}
TRACES=${TRACES:-1500}
REPLICAS=${REPLICAS:-"1 2 3"}
ETCD_PORT=${ETCD_PORT:-17370}
DEADLINE=${DEADLINE:-600}

while [ $# -gt 0 ]; do
	case "$1" in
	--tenants) TENANTS=$2; shift 2 ;;
	--traces) TRACES=$2; shift 2 ;;
	--replicas) REPLICAS=$2; shift 2 ;;
	*) echo "usage: bench/ring.sh [--tenants N] [--traces N] [--replicas \"1 2 3\"]" >&2; exit 2 ;;
	esac
done
[[ "$TENANTS" =~ ^[1-9][0-9]*$ && "$TRACES" =~ ^[1-9][0-9]*$ ]] ||
	{ echo "ring.sh: TENANTS and TRACES are positive integers" >&2; exit 2; }
[ -x "$BIN" ] || { echo "ring.sh: $BIN is missing (make bench-ring builds it)" >&2; exit 1; }
command -v etcdctl >/dev/null || { echo "ring.sh: etcdctl missing (scripts/install-deps.sh --etcd)" >&2; exit 1; }

PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	"$SRC/scripts/etcd.sh" stop "$DATA/etcd" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# The dataset: per tenant 4 flushes x 2 replicas = 8 level-0 blocks of one
# window (fixed --now, so the window is old and the same on every machine),
# which Tempo's selector compacts 4+4 -> 2 -> 1: 3 jobs per tenant.
SEED="$DATA/seed-$TENANTS-$TRACES"
if [ ! -f "$SEED/.done" ]; then
	rm -rf "$DATA"/seed-*
	for i in $(seq "$TENANTS"); do
		"$BIN" gen --path "$SEED" --tenant "tenant-$i" --flushes 4 --replicas 2 --traces "$TRACES" \
			--spans 20 --continue 0.2 --age 2h --flush-interval 5m --seed "$i" \
			--now 2026-01-01T12:00:00Z >/dev/null
	done
	touch "$SEED/.done"
fi
JOBS_EXPECTED=$((TENANTS * 3))

# drained ROOT: every tenant is down to one live block.
drained() {
	local t n
	for t in "$1"/*/; do
		n=$(find "$t" -mindepth 2 -maxdepth 2 -name meta.json | wc -l)
		[ "$n" -eq 1 ] || return 1
	done
}

printf '%-9s %-9s %-6s %-22s %-10s %s\n' replicas drain_s jobs "jobs per replica" "max/mean" "duplicates"
for r in $REPLICAS; do
	root="$DATA/run-$r/root"
	rm -rf "$DATA/run-$r"
	mkdir -p "$DATA/run-$r"
	cp -a "$SEED" "$root"
	rm -f "$root/.done"
	"$SRC/scripts/etcd.sh" start "$DATA/etcd" "$ETCD_PORT" >/dev/null
	PIDS=()
	t0=$(date +%s.%N)
	for i in $(seq "$r"); do
		"$BIN" serve -log.level=info \
			-storage.trace.local.path="$root" \
			-server.http_listen_port=0 \
			-compactor.compaction.compaction_cycle=200ms \
			-storage.trace.blocklist_poll=1s \
			-compactor.compaction.block_retention=87600h \
			-compactor.ring.kvstore.store=etcd \
			-compactor.ring.kvstore.etcd.endpoints="127.0.0.1:$ETCD_PORT" \
			-compactor.ring.instance_id="replica-$i" \
			-compactor.ring.instance_addr=127.0.0.1 \
			-compactor.ring.instance_port=$((9500 + i)) \
			-compactor.ring.heartbeat_period=1s \
			-compactor.ring.heartbeat_timeout=10s \
			-compactor.ring.wait_stability_min_duration=1s \
			-compactor.ring.wait_stability_max_duration=2s \
			>"$DATA/run-$r/replica-$i.log" 2>&1 &
		PIDS+=($!)
	done
	until drained "$root"; do
		if awk -v a="$t0" -v b="$(date +%s.%N)" -v d="$DEADLINE" 'BEGIN { exit !(b - a > d) }'; then
			echo "ring.sh: $r replica(s) did not drain within ${DEADLINE}s; logs in $DATA/run-$r" >&2
			exit 1
		fi
		sleep 0.2
	done
	t1=$(date +%s.%N)
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" || { echo "ring.sh: a replica exited non-zero" >&2; exit 1; }; done
	PIDS=()
	"$SRC/scripts/etcd.sh" stop "$DATA/etcd" >/dev/null

	per=() total=0
	for i in $(seq "$r"); do
		n=$(grep -c 'msg="compacted blocks"' "$DATA/run-$r/replica-$i.log" || true)
		per+=("$n")
		total=$((total + n))
	done
	# An input block named by two successful jobs was compacted twice.
	dups=$(cat "$DATA"/run-"$r"/replica-*.log | sed -n 's/.*msg="compacted blocks".* inputs=\([^ ]*\).*/\1/p' |
	       tr ',' '\n' | sort | uniq -d | wc -l)
	spread=$(printf '%s\n' "${per[@]}" | awk '{ s += $1; if ($1 > m) m = $1 } END { printf "%.2f", m / (s / NR) }')
	printf '%-9s %-9s %-6s %-22s %-10s %s\n' "$r" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" "$total" \
		"$(IFS=/; echo "${per[*]}")" "$spread" "$dups"
	[ "$total" -eq "$JOBS_EXPECTED" ] ||
		echo "ring.sh: note: $total jobs, expected $JOBS_EXPECTED for $TENANTS tenants" >&2
done
echo "dataset   $TENANTS tenants x 8 level-0 blocks ($TRACES traces per flush, 3 jobs per tenant); $(nproc) cpus"
