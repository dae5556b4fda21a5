#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan+UBSan) and runs each one for a while
# over a copy of its seed corpus. One line per target; exit status 1 if any target crashed, hung,
# leaked or ran out of memory (the reproducer is kept and its path printed).
#
# Usage: scripts/fuzz.sh [--seconds N] [--build-dir D] [--target NAME]... [--jobs J] [-- LIBFUZZER_ARGS...]
#
#   --seconds N     fuzzing time per target (default 30)
#   --build-dir D   build and work directory (default build/fuzz)
#   --target NAME   run only this target (repeatable); default: every target
#   --jobs J        build parallelism (default 2)
#   -- ARGS         passed to every libFuzzer run (e.g. -- -fork=1 -ignore_crashes=1)
#
# Corpus entries found while fuzzing go to D/run/<target>/corpus, never into the repository.
# Reproduce a crash: D/bin/fuzz/<target> <crash file>  (MTKFS_FUZZ_VERBOSE=1 says what happened).
set -euo pipefail
here=.; [[ ${BASH_SOURCE[0]} == */* ]] && here=${BASH_SOURCE[0]%/*}  # builtins only: --help needs no PATH
source "$here/usage.sh"  # usage: the header above, for --help

seconds=30
build_dir=
jobs=2
targets=()
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds | --build-dir | --target | --jobs)
      [[ $# -ge 2 ]] || { echo "fuzz.sh: $1 needs a value (see --help)" >&2; exit 2; } ;;
  esac
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --target) targets+=("$2"); shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) usage; exit 0 ;;
    *) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || { echo "fuzz.sh: --seconds needs a positive integer" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${build_dir:-$root/build/fuzz}
mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd)

for tool in clang clang++; do
  command -v "$tool" >/dev/null || { echo "fuzz.sh: $tool not found (apt-get install clang libclang-rt-dev)" >&2; exit 2; }
done

# A build dir configured for another source tree cannot be reused.
if [[ -f "$build_dir/CMakeCache.txt" ]] &&
   ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$root" "$build_dir/CMakeCache.txt"; then
  rm -rf "$build_dir/CMakeCache.txt" "$build_dir/CMakeFiles"
fi

echo "== configure + build ($build_dir)"
CC=clang CXX=clang++ cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMTKFS_FUZZ=ON -DMTKFS_BUILD_TESTS=ON >"$build_dir/configure.log" 2>&1 ||
  { cat "$build_dir/configure.log"; exit 1; }
cmake --build "$build_dir" --target mtkfs_fuzz -j"$jobs"

bin_dir="$build_dir/bin/fuzz"
if [[ ${#targets[@]} -eq 0 ]]; then
  for exe in "$bin_dir"/fuzz_*; do targets+=("$(basename "$exe")"); done
fi

tmp_base=${TMPDIR:-/tmp}
[[ -d /dev/shm && -w /dev/shm ]] && tmp_base=/dev/shm  # tmpfs: the simulator target rewrites images per input
tmp_root=$(mktemp -d "$tmp_base/mtkfs-fuzz-run.XXXXXX")
trap 'rm -rf "$tmp_root"' EXIT
export MTKFS_FUZZ_TMP=$tmp_root
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
printf '%-18s %12s %9s %7s %8s %8s %8s\n' target runs exec/s cov features corpus crashes
for target in "${targets[@]}"; do
  exe="$bin_dir/$target"
  seeds="$root/tests/fuzz/corpus/$target"
  [[ -x "$exe" ]] || { echo "fuzz.sh: no target $target in $bin_dir" >&2; exit 2; }
  [[ -d "$seeds" ]] || { echo "fuzz.sh: no seed corpus $seeds" >&2; exit 2; }
  work="$build_dir/run/$target"
  artifact_dir="$work/artifacts/$(date +%Y%m%d-%H%M%S)"
  rm -rf "$work/corpus"
  mkdir -p "$work/corpus" "$artifact_dir"
  cp "$seeds"/* "$work/corpus/"
  log="$work/fuzz.log"
  status=0
  "$exe" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -print_final_stats=1 \
    -artifact_prefix="$artifact_dir/" ${extra[@]+"${extra[@]}"} "$work/corpus" >"$log" 2>&1 || status=$?
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  runs=$(stat number_of_executed_units)
  rate=$(stat average_exec_per_sec)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  corpus=$(find "$work/corpus" -type f | wc -l)
  mapfile -t artifacts < <(find "$artifact_dir" -type f)
  [[ ${#artifacts[@]} -eq 0 ]] && rmdir "$artifact_dir"
  crashes=${#artifacts[@]}
  [[ $status -ne 0 && $crashes -eq 0 ]] && crashes=1  # died without an artifact: still a failure
  printf '%-18s %12s %9s %7s %8s %8s %8s\n' "$target" "${runs:--}" "${rate:--}" "${cov:--}" "${ft:--}" "$corpus" "$crashes"
  if [[ $crashes -ne 0 ]]; then
    failed=1
    for a in "${artifacts[@]}"; do echo "  reproducer: $a  (run: $exe $a)"; done
    echo "  log: $log"
    grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|fuzz invariant violated' "$log" | sed 's/^/  /' || true
  fi
done
exit $failed
