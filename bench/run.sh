#!/usr/bin/env bash
# Compaction benchmark (bench/README.md). `make bench [SCALE=4] [BIG=1] [RUNS=3] [PERF=1]`
# builds RelWithDebInfo and runs this script.
#   bench/run.sh [--scale N] [--runs N] [--perf]   the 12-block dataset, its floor and ratio
#   bench/run.sh --big [--runs N]                  one ~200 MB trace over 4 blocks, peak RSS
# Environment: BUILD (build dir, default build), SCALE, RUNS, BIG, PERF (0/1).
# Wall times assume an otherwise idle machine: a busy one is flagged in the
# output, and the CPU rows stay comparable.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
BIN="$BUILD/tracecompactor"
FLOOR="$BUILD/bench/floor"
DATA="$BUILD/bench-data"
RESULTS="$BUILD/bench-results"
SCALE=${SCALE:-1}
RUNS=${RUNS:-3}
BIG=${BIG:-0}
PERF=${PERF:-0}

while [ $# -gt 0 ]; do
	case "$1" in
	--scale) SCALE=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--big) BIG=1; shift ;;
	--perf) PERF=1; shift ;;
	*) echo "usage: bench/run.sh [--scale N] [--runs N] [--perf] | --big [--runs N]" >&2; exit 2 ;;
	esac
done
[[ "$SCALE" =~ ^[1-9][0-9]*$ && "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: SCALE and RUNS are positive integers" >&2; exit 2; }
for f in "$BIN" "$FLOOR" /usr/bin/time; do
	[ -x "$f" ] || { echo "run.sh: $f is missing (make bench builds it; scripts/install-deps.sh --bench installs time)" >&2; exit 1; }
done

# The dataset. --now is fixed so block times, IDs and time windows do not depend
# on the clock: the blocks are months old, so the selector treats their window as
# inactive (all levels of the window together), and the same flags write the same
# bytes on every machine.
TENANT=bench
NOW=2026-01-01T12:00:00Z
GEN_COMMON=(--tenant "$TENANT" --spans 20 --continue 0.2 --age 2h --flush-interval 5m
	    --seed 1 --encoding zstd --now "$NOW")
WORK="$DATA/work"
mkdir -p "$DATA" "$RESULTS"

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
HZ=$(getconf CLK_TCK)

# Sets SNAP to "busy_cpu_s wall_s our_cpu_s": CPU time the whole machine has
# been busy, the clock, and the CPU time of this shell's finished children.
# `times` runs in this shell (not a subshell, which would report its own).
cpu_snapshot() {
	local busy ours
	times >"$DATA/.times"
	busy=$(awk -v hz="$HZ" '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat)
	ours=$(tail -n 1 "$DATA/.times" | awk '{ for (i = 1; i <= 2; i++) { split($i, a, /[ms]/);
	       t += a[1] * 60 + a[2] } } END { printf "%.2f", t }')
	SNAP="$busy $(date +%s.%N) $ours"
}

# other_load SNAPSHOT: sets OTHER to the CPUs used by other processes since
# SNAPSHOT, on average (call it directly, not in $(...)).
other_load() {
	local before=$1
	cpu_snapshot
	OTHER=$(awk -v a="$before" -v b="$SNAP" 'BEGIN { split(a, x, " "); split(b, y, " ");
		v = ((y[1] - x[1]) - (y[3] - x[3])) / (y[2] - x[2]); printf "%.2f", v < 0 ? 0 : v }')
}

# busy_line LOAD: the note about other work on the machine during the measurement.
busy_line() {
	echo "others    other processes used $1 cpus on average during the measurement" \
	     "(of $(nproc))$(awk -v l="$1" 'BEGIN { if (l > 0.2) printf "; WARNING: wall times may be inflated, compare the CPU rows" }')"
}
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }

# gen_dataset NAME GEN_ARGS...: generates into $DATA/NAME once per parameter set;
# the key also covers the generator's sources, so a changed generator regenerates.
gen_dataset() {
	local name=$1 dir="$DATA/$1" key
	shift
	key=$( { echo "$*"; cat "$SRC"/src/gen/*.[ch] "$SRC/src/cli/cmd_gen.c"; } |
	       sha256sum | cut -c1-16)
	if [ -f "$dir/.key" ] && [ "$(cat "$dir/.key")" = "$key" ]; then
		return 0
	fi
	echo "bench: generating $name: gen $*" >&2
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp/root"
	"$BIN" gen --path "$dir.tmp/root" "$@" >"$dir.tmp/gen.log"
	echo "$key" >"$dir.tmp/.key"
	mv "$dir.tmp" "$dir"
}

# compact_all ROOT LOG TIMES [CONFIG]: runs `compact` until an invocation
# compacts nothing. Appends the compacted lines to LOG and one line
# "wall user sys maxrss_kb" per invocation to TIMES.
compact_all() {
	local root=$1 log=$2 times=$3 cfg=() out i
	[ $# -ge 4 ] && cfg=(--config "$4")
	out=$(mktemp)
	for i in $(seq 1 64); do
		if ! /usr/bin/time -f "%e %U %S %M" -o "$out.time" \
			"$BIN" compact --path "$root" --tenant "$TENANT" "${cfg[@]}" >"$out" 2>"$out.err"; then
			echo "bench: compact failed:" >&2
			cat "$out" "$out.err" "$out.time" >&2
			rm -f "$out" "$out.time" "$out.err"
			return 1
		fi
		# Warnings (e.g. trace too large to compact) are expected: kept in LOG.err.
		cat "$out.err" >>"$log.err"
		tail -n 1 "$out.time" >>"$times"
		grep '^compacted ' "$out" >>"$log" || break
	done
	rm -f "$out" "$out.time" "$out.err"
}

# field NAME <lines: prints the value of NAME= on each line.
field() { grep -o " $1=[^ ]*" | cut -d= -f2; }
sum() { awk '{ s += $1 } END { printf "%.0f\n", s }'; }
# median of numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# One timed run over a fresh copy of dataset NAME: writes "wall cpu rss_kb" to
# $WORK.res and leaves the tree in $WORK, the lines in $WORK.log.
timed_run() {
	local name=$1 cfg=${2:-}
	rm -rf "$WORK" "$WORK.log" "$WORK.log.err" "$WORK.times" "$WORK.res" "$WORK.out"
	cp -a "$DATA/$name/root" "$WORK"
	sync
	: >"$WORK.log"
	: >"$WORK.log.err"
	: >"$WORK.times"
	if [ -n "$cfg" ]; then
		compact_all "$WORK" "$WORK.log" "$WORK.times" "$cfg"
	else
		compact_all "$WORK" "$WORK.log" "$WORK.times"
	fi
	awk '{ w += $1; c += $2 + $3; if ($4 > r) r = $4 } END { printf "%.2f %.2f %d\n", w, c, r }' \
		"$WORK.times" >"$WORK.res"
}

machine() {
	local cpu rev
	cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
	rev=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)
	[ -n "$(git -C "$SRC" status --porcelain -- encoding src 2>/dev/null)" ] && rev="$rev+uncommitted"
	echo "machine   ${cpu:-unknown cpu}, $(nproc) cpus, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
	     "Linux $(uname -r), libzstd $(pkg-config --modversion libzstd 2>/dev/null || echo '?')," \
	     "$(cc --version | head -n 1)"
	echo "build     $(basename "$BUILD") RelWithDebInfo, commit $rev, $(date -u +%Y-%m-%dT%H:%MZ)," \
	     "load avg at start $LOAD"
}

# Sums the data objects and totalObjects of the blocks under ROOT/TENANT.
dataset_stats() {
	local root=$1/$TENANT bytes=0 objs=0 n=0 d
	for d in "$root"/*/; do
		bytes=$((bytes + $(stat -c %s "$d/data")))
		objs=$((objs + $(grep -ho '"totalObjects":[0-9]*' "$d"/meta*.json | cut -d: -f2)))
		n=$((n + 1))
	done
	echo "$n $bytes $objs $(du -sb "$root" | cut -f1)"
}

ok() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "ok" : "OVER" }'; }

run_main() {
	local name="scale-$SCALE" traces=$((4000 * SCALE)) r res walls cpus rsss wall cpu rss
	local nblk l0_bytes l0_objs disk lines njobs reads=() writes=() in_ids id floor_out
	local rss_ref ref_note target_rss
	gen_dataset "$name" --flushes 4 --replicas 3 --traces "$traces" "${GEN_COMMON[@]}"
	read -r nblk l0_bytes l0_objs disk < <(dataset_stats "$DATA/$name/root")

	# Each run: a compaction on a fresh copy, then the floor of exactly the blocks
	# it read and wrote. Interleaving them keeps a change in the machine's load
	# from landing on one side of the ratio only; the ratio is the median of the
	# per-run ratios.
	walls=() cpus=() rsss=()
	local f_decs=() f_comps=() f_tots=() f_cpus=() ratios=() cratios=()
	cpu_snapshot
	local snap0=$SNAP
	for r in $(seq 1 "$RUNS"); do
		timed_run "$name"
		read -r wall cpu rss <"$WORK.res"
		lines=$(cat "$WORK.log")
		njobs=$(grep -c '^compacted ' <<<"$lines" || true)
		[ "$njobs" -gt 0 ] || { echo "bench: nothing was compacted" >&2; exit 1; }
		reads=() writes=()
		for in_ids in $(field inputs <<<"$lines"); do
			for id in ${in_ids//,/ }; do reads+=("$WORK/$TENANT/$id"); done
		done
		for id in $(field output <<<"$lines"); do writes+=("$WORK/$TENANT/$id"); done
		floor_out=$("$FLOOR" --level 3 --read "${reads[@]}" --write "${writes[@]}")
		walls+=("$wall") cpus+=("$cpu") rsss+=("$rss")
		f_decs+=("$(field decompress_s <<<"$floor_out")")
		f_comps+=("$(field compress_s <<<"$floor_out")")
		f_tots+=("$(field total_s <<<"$floor_out")")
		f_cpus+=("$(field total_cpu_s <<<"$floor_out")")
		ratios+=("$(awk -v a="$wall" -v b="${f_tots[-1]}" 'BEGIN { printf "%.2f", a / b }')")
		cratios+=("$(awk -v a="$cpu" -v b="${f_cpus[-1]}" 'BEGIN { printf "%.2f", a / b }')")
		echo "bench: run $r/$RUNS wall=${wall}s cpu=${cpu}s peak_rss=$(mib $((rss * 1024)))MiB" \
		     "floor=${f_tots[-1]}s (cpu ${f_cpus[-1]}s) ratio=${ratios[-1]}" >&2
	done
	other_load "$snap0"
	wall=$(printf '%s\n' "${walls[@]}" | median)
	cpu=$(printf '%s\n' "${cpus[@]}" | median)
	rss=$(printf '%s\n' "${rsss[@]}" | sort -n | tail -n 1)
	local f_dec f_comp f_tot f_cpu f_rpages f_rbytes f_rraw f_wpages f_wbytes f_wraw f_recomp
	f_dec=$(printf '%s\n' "${f_decs[@]}" | median)
	f_comp=$(printf '%s\n' "${f_comps[@]}" | median)
	f_tot=$(printf '%s\n' "${f_tots[@]}" | median)
	f_cpu=$(printf '%s\n' "${f_cpus[@]}" | median)
	# Sizes and counts: the last run (the same in every run).
	f_rpages=$(grep '^floor read' <<<"$floor_out" | field pages)
	f_rbytes=$(grep '^floor read' <<<"$floor_out" | field bytes)
	f_rraw=$(grep '^floor read' <<<"$floor_out" | field raw_bytes)
	f_wpages=$(grep '^floor write' <<<"$floor_out" | field pages)
	f_wbytes=$(grep '^floor write' <<<"$floor_out" | field bytes)
	f_wraw=$(grep '^floor write' <<<"$floor_out" | field raw_bytes)
	f_recomp=$(field recompressed_bytes <<<"$floor_out")

	rss_ref=""
	if [ "$SCALE" -eq 1 ]; then
		target_rss=$((64 * 1048576))
		ref_note="target <= 64 MiB"
	elif [ -f "$RESULTS/scale-1.rss" ]; then
		rss_ref=$(cat "$RESULTS/scale-1.rss")
		target_rss=$((rss_ref * 12 / 10))
		ref_note="target <= 1.2 x SCALE=1 ($(mib "$rss_ref") MiB) = $(mib "$target_rss") MiB"
	else
		target_rss=""
		ref_note="target <= 1.2 x SCALE=1: run SCALE=1 first for the reference"
	fi
	[ "$SCALE" -eq 1 ] && echo $((rss * 1024)) >"$RESULTS/scale-1.rss"

	local ratio levels final_objs
	ratio=$(printf '%s\n' "${ratios[@]}" | median)
	levels=$(field level <<<"$lines" | paste -sd, -)
	final_objs=$(cat "$WORK/$TENANT"/*/meta.json | grep -o '"totalObjects":[0-9]*' | cut -d: -f2 | sum)
	{
		echo "tracecompactor bench, SCALE=$SCALE ($RUNS runs, each a compaction then its floor: medians; RSS: max)"
		machine
		busy_line "$OTHER"
		echo "dataset   $nblk level-0 blocks (4 flushes x 3 replicas), $l0_objs trace objects, $((traces)) traces/flush," \
		     "data $(mb "$l0_bytes") MB, on disk $(mb "$disk") MB"
		echo "work      $njobs compactions (levels $levels): read $((${#reads[@]})) blocks / $(mb "$f_rbytes") MB" \
		     "($(mb "$f_rraw") MB raw, $f_rpages pages), wrote $((${#writes[@]})) blocks / $(mb "$f_wbytes") MB" \
		     "($(mb "$f_wraw") MB raw, $f_wpages pages); $final_objs traces at the end"
		echo
		printf '| %-28s | %-12s | %s\n' "metric" "value" "note"
		printf '|%s|%s|%s\n' "------------------------------" "--------------" "------"
		printf '| %-28s | %-12s | %s\n' "wall time" "${wall} s" "runs: ${walls[*]}"
		printf '| %-28s | %-12s | %s\n' "CPU time (user+sys)" "${cpu} s" "runs: ${cpus[*]}"
		printf '| %-28s | %-12s | %s %s\n' "peak RSS" "$(mib $((rss * 1024))) MiB" "$ref_note" \
		       "${target_rss:+($(ok $((rss * 1024)) "$target_rss"))}"
		printf '| %-28s | %-12s | %s\n' "input MB/s" \
		       "$(awk -v b="$l0_bytes" -v w="$wall" 'BEGIN { printf "%.1f", b / 1e6 / w }')" \
		       "level-0 data MB / wall"
		printf '| %-28s | %-12s | %s\n' "traces/s" \
		       "$(awk -v o="$l0_objs" -v w="$wall" 'BEGIN { printf "%.0f", o / w }')" \
		       "level-0 trace objects / wall"
		printf '| %-28s | %-12s | %s\n' "objects combined" "$(field combined <<<"$lines" | sum)" "sum over compactions"
		printf '| %-28s | %-12s | %s\n' "spans deduplicated" "$(field spans_deduped <<<"$lines" | sum)" "sum over compactions"
		printf '| %-28s | %-12s | %s\n' "spans discarded" "$(field spans_discarded <<<"$lines" | sum)" "max_bytes_per_trace"
		printf '| %-28s | %-12s | %s\n' "in-job time" "$(field duration <<<"$lines" | tr -d s | awk '{ s += $1 } END { printf "%.2f", s }') s" \
		       "sum of duration= (last run), no process start/listing"
		printf '| %-28s | %-12s | %s\n' "floor: decompress" "${f_dec} s" "$f_rpages input pages, $(mb "$f_rraw") MB raw"
		printf '| %-28s | %-12s | %s\n' "floor: compress (level 3)" "${f_comp} s" \
		       "$f_wpages output pages; recompressed $f_recomp B vs written $f_wbytes B"
		printf '| %-28s | %-12s | %s\n' "floor: total" "${f_tot} s" \
		       "single thread, libzstd only; runs: ${f_tots[*]}"
		printf '| %-28s | %-12s | %s\n' "floor: total CPU" "${f_cpu} s" "thread CPU time"
		printf '| %-28s | %-12s | %s (%s); runs: %s\n' "ratio = wall / floor" "$ratio" "target <= 1.2" \
		       "$(ok "$ratio" 1.2)" "${ratios[*]}"
		printf '| %-28s | %-12s | %s; runs: %s\n' "CPU ratio" \
		       "$(printf '%s\n' "${cratios[@]}" | median)" \
		       "compaction user+sys / floor CPU (less sensitive to load)" "${cratios[*]}"
	} | sed '/^|/s/ *$/ |/' | tee "$RESULTS/scale-$SCALE.txt"

	if [ "$PERF" = 1 ]; then
		run_perf "$name"
	fi
}

# Functions whose inclusive share run_perf reports.
PERF_FUNCS="tc_compact_blocks tc_codec_zstd_compress tc_codec_zstd_decompress ZSTD_XXH64_update
	tc_combiner_run tc_pb_check tc_block_reader_next tc_block_writer_add tc_block_writer_finish
	tc_bloom_add tc_object_write asm_exc_page_fault"

# One more run under perf record (flat profile; the build has no frame pointers).
run_perf() {
	local name=$1 pdata="$RESULTS/perf-$1.data" script pbin=$BIN comm
	command -v perf >/dev/null || { echo "bench: perf is missing (scripts/install-deps.sh --bench)" >&2; return 1; }
	# The build with libzstd linked statically names zstd's internal functions.
	[ -x "$BUILD/bench/tracecompactor-prof" ] && pbin="$BUILD/bench/tracecompactor-prof"
	comm=$(basename "$pbin" | cut -c1-15)
	rm -rf "$WORK" "$WORK.log" "$WORK.log.err" "$WORK.times" "$WORK.res" "$WORK.out"
	cp -a "$DATA/$name/root" "$WORK"
	sync
	script="for i in \$(seq 1 64); do \"$pbin\" compact --path \"$WORK\" --tenant $TENANT >\"$WORK.out\" || exit 1; grep -q '^compacted ' \"$WORK.out\" || break; done"
	perf record -q -F 2000 -o "$pdata" -- bash -c "$script" 2>/dev/null
	{
		echo
		echo "perf: top symbols of one SCALE=$SCALE run of $(basename "$pbin") (self time)"
		perf report -i "$pdata" --stdio --no-children --comm "$comm" -F overhead,sym,dso \
			--percent-limit 0.3 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 15
		echo
		echo "perf: by library"
		perf report -i "$pdata" --stdio --no-children --comm "$comm" -F overhead,sym,dso 2>/dev/null |
			awk '/^ *[0-9.]+%/ { v[$NF] += $1 } END { for (d in v) printf "    %6.2f%%  %s\n", v[d], d }' |
			sort -rn | head -n 5
	} | tee "$RESULTS/perf-$name.txt"

	# Inclusive time: a second run with DWARF call chains; a sample counts for a
	# function when the function is anywhere on its stack. tc_compact_blocks well
	# below 100% means stacks were cut off (perf copies at most 64 KiB of stack).
	rm -rf "$WORK"
	cp -a "$DATA/$name/root" "$WORK"
	sync
	perf record -q --call-graph dwarf,65528 -F 500 -o "$pdata.cg" -- bash -c "$script" 2>/dev/null
	{
		echo
		echo "perf: inclusive time (share of samples with the function on the stack)"
		perf script -i "$pdata.cg" --comm "$comm" -F comm,ip,sym 2>/dev/null | awk -v list="$PERF_FUNCS" '
			BEGIN { n = split(list, f, " ") }
			function done_sample() { total++; for (i = 1; i <= n; i++) if (f[i] in seen) c[f[i]]++ }
			/^[^ \t]/ { if (in_s) done_sample(); in_s = 1; delete seen; next }
			NF >= 2 { s = $2; sub(/\+0x.*/, "", s); seen[s] = 1 }
			END { if (in_s) done_sample()
			      for (i = 1; i <= n; i++) printf "    %5.1f%%  %s\n", 100 * c[f[i]] / total, f[i]
			      printf "    (%d samples)\n", total }'
	} | tee -a "$RESULTS/perf-$name.txt"
	rm -f "$pdata.cg"
}

run_big() {
	local name=big lim wall cpu rss lines cfg r walls cpus rsss
	gen_dataset "$name" --flushes 4 --replicas 1 --traces 100 --big-trace-bytes 200000000 "${GEN_COMMON[@]}"
	local nblk l0_bytes l0_objs disk
	read -r nblk l0_bytes l0_objs disk < <(dataset_stats "$DATA/$name/root")
	{
		echo "tracecompactor bench --big: one ~200 MB trace over $nblk blocks (+100 small traces/flush)," \
		     "data $(mb "$l0_bytes") MB; $RUNS runs: median wall, max RSS"
		machine
		echo
		printf '| %-22s | %-8s | %-8s | %-12s | %-8s | %-15s | %s |\n' "max_bytes_per_trace" "wall" "CPU" \
		       "peak RSS" "out MB" "spans discarded" "target"
		printf '|%s|%s|%s|%s|%s|%s|%s|\n' "------------------------" "----------" "----------" \
		       "--------------" "----------" "-----------------" "------"
	} | tee "$RESULTS/big.txt"
	cpu_snapshot
	local snap0=$SNAP
	for lim in 20000000 0; do
		cfg="$DATA/big-$lim.yaml"
		printf 'overrides:\n  max_bytes_per_trace: %s\n' "$lim" >"$cfg"
		walls=() cpus=() rsss=()
		for r in $(seq 1 "$RUNS"); do
			timed_run "$name" "$cfg"
			read -r wall cpu rss <"$WORK.res"
			walls+=("$wall") cpus+=("$cpu") rsss+=("$rss")
		done
		wall=$(printf '%s\n' "${walls[@]}" | median)
		cpu=$(printf '%s\n' "${cpus[@]}" | median)
		rss=$(printf '%s\n' "${rsss[@]}" | sort -n | tail -n 1)
		lines=$(cat "$WORK.log")
		local target="-"
		if [ "$lim" -gt 0 ]; then
			# 2 x the limit plus the configured I/O buffers: chunk_size_bytes per
			# input (4 x 5 MiB) and one flush_size_bytes (20 MiB), defaults.
			local bound=$((2 * lim + 4 * 5242880 + 20971520))
			target="<= 2 x $(mib "$lim") MiB + 40 MiB buffers = $(mib "$bound") MiB ($(ok $((rss * 1024)) "$bound"))"
		fi
		printf '| %-22s | %-8s | %-8s | %-12s | %-8s | %-15s | %s |\n' \
		       "$([ "$lim" -gt 0 ] && echo "$lim ($(mib "$lim") MiB)" || echo "0 (unlimited)")" \
		       "${wall} s" "${cpu} s" "$(mib $((rss * 1024))) MiB" \
		       "$(mb "$(field bytes <<<"$lines" | sum)")" "$(field spans_discarded <<<"$lines" | sum)" \
		       "$target" | tee -a "$RESULTS/big.txt"
	done
	other_load "$snap0"
	busy_line "$OTHER" | tee -a "$RESULTS/big.txt"
}

if [ "$BIG" = 1 ]; then
	run_big
else
	run_main
fi
rm -rf "$WORK" "$WORK.log" "$WORK.log.err" "$WORK.times" "$WORK.res" "$WORK.out"
