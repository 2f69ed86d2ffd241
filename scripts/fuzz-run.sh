#!/usr/bin/env bash
# Runs the libFuzzer targets built in BUILD_DIR (make fuzz does the build).
#   scripts/fuzz-run.sh BUILD_DIR SECONDS [target...]
# Each target fuzzes for SECONDS with its working corpus in
# BUILD_DIR/corpus/<target> (seeded by scripts/fuzz-seed.sh), reading
# tests/fuzz/corpus/<target> and tests/fuzz/crashers/<target> as extra
# seeds. New crash-*/leak-* files are copied to tests/fuzz/crashers/<target>/
# for the fix and the regression test; timeouts and OOMs stay in
# BUILD_DIR/fuzz-artifacts/<target>/. FUZZ_JOBS targets run at once.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: fuzz-run.sh BUILD_DIR SECONDS [target...]}
secs=${2:?usage: fuzz-run.sh BUILD_DIR SECONDS [target...]}
shift 2
jobs=${FUZZ_JOBS:-1}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(page codec index bloom meta tenant_index config trace block)

max_len() {
  case "$1" in
    bloom|meta) echo 4096 ;;
    index|config) echo 8192 ;;
    *) echo 65536 ;;
  esac
}

run_one() {
  local t=$1 bin="$build/fuzz/fuzz_$1" art="$build/fuzz-artifacts/$1" log
  [ -x "$bin" ] || { echo "fuzz: $bin missing (make fuzz builds it)" >&2; return 1; }
  mkdir -p "$build/corpus/$t" "$art"
  log="$art/fuzz.log"
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$art/" \
      "$build/corpus/$t" "$here/tests/fuzz/corpus/$t" \
      $( [ -d "$here/tests/fuzz/crashers/$t" ] && echo "$here/tests/fuzz/crashers/$t" ) \
      >"$log" 2>&1
  local rc=$? execs speed found=0
  execs=$(grep -o 'stat::number_of_executed_units:[[:space:]]*[0-9]*' "$log" | awk '{print $2}')
  speed=$(grep -o 'stat::average_exec_per_sec:[[:space:]]*[0-9]*' "$log" | awk '{print $2}')
  for f in "$art"/crash-* "$art"/leak-*; do
    [ -e "$f" ] || continue
    mkdir -p "$here/tests/fuzz/crashers/$t"
    cp -n "$f" "$here/tests/fuzz/crashers/$t/"
    found=$((found + 1))
  done
  printf 'fuzz: %-13s %4ss  execs %-9s exec/s %-7s rc %s  findings %s  (log %s)\n' \
    "$t" "$secs" "${execs:-?}" "${speed:-?}" "$rc" "$found" "$log"
  [ "$rc" -eq 0 ] && [ "$found" -eq 0 ]
}
export -f run_one max_len
export build secs here

printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {}
