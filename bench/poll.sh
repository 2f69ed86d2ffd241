#!/usr/bin/env bash
# Blocklist poll benchmark (bench/README.md, "Blocklist polling"): the
# service's first and steady polls of big buckets, incremental against a
# full re-read every poll. `make bench-poll [SIZES="100000 1000000"] [S3_SIZE=100000]`.
#   bench/poll.sh
# Then build/bench/plan: one tenant of 100k blocks planned (bench/plan.c).
# Environment: BUILD (default build), SIZES (local bucket sizes), S3_SIZE
# (blocks on a throwaway Ceph RGW; 0 skips it), TENANTS (20), POLLS (steady
# polls measured, 3), RGW_PORT (17470), KEEP=1 keeps the buckets.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
BIN="$BUILD/tracecompactor"
DATA="$BUILD/bench-poll"
SIZES=${SIZES:-"100000 1000000"}
S3_SIZE=${S3_SIZE:-100000}
TENANTS=${TENANTS:-20}
POLLS=${POLLS:-3}
RGW_PORT=${RGW_PORT:-17470}
KEY=TCKEY SECRET=TCSECRET
RESULTS="$BUILD/bench-results/poll.txt"

[ -x "$BIN" ] || { echo "poll.sh: $BIN is missing (make bench-poll builds it)" >&2; exit 1; }
PID=""
cleanup() {
	[ -f "$DATA/service.pid" ] && kill -9 "$(cat "$DATA/service.pid")" 2>/dev/null || true
	[ "$S3_SIZE" != 0 ] && "$SRC/scripts/rgw.sh" stop "$DATA/rgw" >/dev/null 2>&1 || true
	[ "${KEEP:-0}" = 1 ] || rm -rf "$DATA"/local-* "$DATA"/s3-stage
}
trap cleanup EXIT
mkdir -p "$DATA" "$(dirname "$RESULTS")"

# Room first: a block is a directory and a meta.json (2 inodes); its data objects are hard links.
max=0; for n in $SIZES; do [ "$n" -gt "$max" ] && max=$n; done
free_inodes=$(df -Pi "$DATA" | awk 'NR == 2 { print $4 }')
[ "$free_inodes" -gt $((max * 2 + max / 2)) ] ||
	{ echo "poll.sh: $free_inodes free inodes; $max blocks need $((max * 5 / 2))" >&2; exit 1; }

SEED="$DATA/seed"
if [ ! -d "$SEED" ]; then
	"$BIN" gen --path "$SEED" --tenant seed --flushes 1 --replicas 1 --traces 20 --spans 3 --seed 1 \
		--now 2026-01-01T12:00:00Z >/dev/null
fi
SEED_BLOCK=$(ls -d "$SEED"/seed/*/ | head -1)

# service_run NAME CONFIG_STORAGE FULL_EVERY POLLS: prints "first steady cpu rss_kib requests".
service_run() {
	local name=$1 storage=$2 every=$3 want=$4 cfg="$DATA/$1.yaml" log="$DATA/$1.log"
	cat > "$cfg" <<YAML
server: {http_listen_address: 127.0.0.1, http_listen_port: 0, log_level: info}
compactor:
  compaction: {compaction_cycle: 100000h, block_retention: 100000h, max_compaction_objects: 1}
storage:
  trace:
    blocklist_poll: 1s
    blocklist_poll_full_every: $every
$storage
YAML
	"$BIN" -config.file="$cfg" > "$log" 2>&1 &
	PID=$!
	echo "$PID" > "$DATA/service.pid" # service_run runs in a subshell: the trap reads this
	local port="" hz; hz=$(getconf CLK_TCK)
	for _ in $(seq 600); do
		port=$(sed -n 's/.*msg="http server listening".* port=\([0-9]*\).*/\1/p' "$log" | head -1)
		[ -n "$port" ] && break
		kill -0 "$PID" 2>/dev/null || { cat "$log" >&2; echo "poll.sh: the service died" >&2; exit 1; }
		sleep 0.2
	done
	[ -n "$port" ] || { echo "poll.sh: the service did not start" >&2; kill -9 "$PID"; exit 1; }
	# Samples the poll count; at each new poll: its duration, the process's CPU and requests since the last.
	python3 - "$port" "$PID" "$want" "$hz" <<'PY'
import sys, time, urllib.request
port, pid, want, hz = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def metrics():
    text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=60).read().decode()
    m = {"count": 0.0, "sum": 0.0, "req": 0.0}
    for line in text.splitlines():
        if line.startswith("tempodb_blocklist_poll_duration_seconds_count"):
            m["count"] = float(line.split()[-1])
        elif line.startswith("tempodb_blocklist_poll_duration_seconds_sum"):
            m["sum"] = float(line.split()[-1])
        elif line.startswith("tempodb_backend_request_duration_seconds_count"):
            m["req"] += float(line.split()[-1])
    return m
def cpu():
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / hz
polls = []
last = metrics(); last_cpu = cpu()
if last["count"] == 1:  # the first poll ended before the HTTP server answered
    polls.append((last["sum"], last_cpu, last["req"]))
elif last["count"] > 1:
    sys.exit("poll.sh: missed the first poll")
deadline = time.time() + 7200
while len(polls) < want and time.time() < deadline:
    time.sleep(0.05)
    m = metrics()
    if m["count"] > last["count"]:
        c = cpu()
        polls.append((m["sum"] - last["sum"], c - last_cpu, m["req"] - last["req"]))
        last, last_cpu = m, c
rss = 0
for line in open("/proc/%s/status" % pid):
    if line.startswith("VmHWM:"):
        rss = int(line.split()[1])
if len(polls) < want:
    sys.exit("poll.sh: only %d polls ended" % len(polls))
steady = polls[1:]
med = lambda v: sorted(v)[len(v) // 2]
print("%.3f %.3f %.3f %d %.0f" % (polls[0][0], med([p[0] for p in steady]), med([p[1] for p in steady]),
                                  rss, med([p[2] for p in steady])))
PY
	kill -TERM "$PID"; wait "$PID" || true; PID=""; rm -f "$DATA/service.pid"
}

ROWS=()
row() { # SIZE BACKEND MODE "first steady cpu rss req"
	[ -n "$4" ] || { echo "poll.sh: no measurement for $1 $2 $3" >&2; exit 1; }
	read -r first steady cpu rss req <<< "$4"
	ROWS+=("$(printf '| %s | %s | %s | %.2f s | %.3f s | %.3f s | %.0f MiB (%.0f B/block) | %s |' \
		"$1" "$2" "$3" "$first" "$steady" "$cpu" "$(echo "$rss / 1024" | bc -l)" \
		"$(echo "$rss * 1024 / $1" | bc -l)" "$req")")
	echo "${ROWS[-1]}" >&2
	eval "R_$2_$1_$3=\"$first $steady $cpu $rss $req\""
}

for n in $SIZES; do
	root="$DATA/local-$n"
	if [ ! -f "$root/.built" ]; then
		echo "building a local bucket of $n blocks in $TENANTS tenants..." >&2
		rm -rf "$root"
		python3 "$SRC/bench/poll_bucket.py" "$SEED_BLOCK" "$root" "$n" "$TENANTS"
		touch "$root/.built"
	fi
	storage="    backend: local
    local: {path: $root}"
	row "$n" local incremental "$(service_run "local-$n-inc" "$storage" 12 $((POLLS + 1)))"
	row "$n" local full "$(service_run "local-$n-full" "$storage" 1 $((POLLS + 1)))"
	[ "${KEEP:-0}" = 1 ] || rm -rf "$root"
done

if [ "$S3_SIZE" != 0 ]; then
	n=$S3_SIZE
	echo "starting a Ceph RGW on port $RGW_PORT..." >&2
	S3_KEY=$KEY S3_SECRET=$SECRET "$SRC/scripts/rgw.sh" start "$DATA/rgw" "$RGW_PORT" >/dev/null
	stage="$DATA/s3-stage"
	rm -rf "$stage"
	python3 "$SRC/bench/poll_bucket.py" "$SEED_BLOCK" "$stage" "$n" "$TENANTS" --empty-data
	rm -rf "$stage"/.seed-*
	export AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET AWS_DEFAULT_REGION=us-east-1
	aws configure set default.s3.max_concurrent_requests 32 >/dev/null 2>&1 || true
	aws --endpoint-url "http://127.0.0.1:$RGW_PORT" s3 mb s3://bench-poll >/dev/null
	echo "uploading $n blocks ($(find "$stage" -type f | wc -l) objects, data objects empty)..." >&2
	aws --endpoint-url "http://127.0.0.1:$RGW_PORT" s3 sync --only-show-errors "$stage" s3://bench-poll
	rm -rf "$stage"
	storage="    backend: s3
    s3: {bucket: bench-poll, endpoint: \"127.0.0.1:$RGW_PORT\", access_key: $KEY, secret_key: $SECRET, insecure: true, forcepathstyle: true}"
	row "$n" s3 incremental "$(service_run "s3-$n-inc" "$storage" 12 $((POLLS + 1)))"
	row "$n" s3 full "$(service_run "s3-$n-full" "$storage" 1 2)"
fi

PLAN=""
if [ -x "$BUILD/bench/plan" ]; then
	echo "planning one tenant of 100000 blocks..." >&2
	PLAN=$("$BUILD/bench/plan" 100000)
fi

{
	echo "Blocklist polls of the service, $TENANTS tenants, blocklist_poll 1s; steady = median of the polls after the first."
	echo "incremental: blocklist_poll_full_every 12 (the default); full: 1 (every poll re-reads every meta, as Tempo)."
	echo
	echo "| blocks | backend | polling | first poll | steady poll | CPU per steady poll | peak RSS | requests per steady poll |"
	echo "|---:|---|---|---:|---:|---:|---:|---:|"
	printf '%s\n' "${ROWS[@]}"
	echo
	echo "Targets:"
	for n in $SIZES; do
		eval "inc=(\$R_local_${n}_incremental)"; eval "full=(\$R_local_${n}_full)"
		printf -- '- %s local: steady incremental / steady full = %.3f (target <= 0.2): %s; peak RSS %.0f B/block (target <= 1024): %s\n' \
			"$n" "$(echo "${inc[1]} / ${full[1]}" | bc -l)" \
			"$( [ "$(echo "${inc[1]} <= 0.2 * ${full[1]}" | bc -l)" = 1 ] && echo met || echo MISSED)" \
			"$(echo "${inc[3]} * 1024 / $n" | bc -l)" \
			"$( [ "$(echo "${inc[3]} * 1024 <= 1024 * $n" | bc -l)" = 1 ] && echo met || echo MISSED)"
	done
	if [ "$S3_SIZE" != 0 ]; then
		eval "inc=(\$R_s3_${S3_SIZE}_incremental)"
		printf -- '- %s s3: %s requests per steady poll (target <= %d, 1 per 100 blocks): %s\n' "$S3_SIZE" "${inc[4]}" \
			$((S3_SIZE / 100)) "$( [ "${inc[4]}" -le $((S3_SIZE / 100)) ] && echo met || echo MISSED)"
	fi
	if [ -n "$PLAN" ]; then
		echo
		echo "Planning at scale: one tenant of 100000 live blocks, in-memory backend, best of 5 (bench/plan.c)."
		echo
		echo "| blocks | first poll | steady poll | one cycle's selection | retention scan | tenant index |"
		echo "|---:|---:|---:|---:|---:|---:|"
		echo "$PLAN"
	fi
} | tee "$RESULTS"
