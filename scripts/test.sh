#!/usr/bin/env bash
# Installs dependencies, builds Release and ASan+UBSan, runs every test suite on both.
# This is the README test command and what CI runs.
# Usage: scripts/test.sh   (no arguments)
set -euo pipefail
here=.; [[ ${BASH_SOURCE[0]} == */* ]] && here=${BASH_SOURCE[0]%/*}  # builtins only: --help needs no PATH
source "$here/usage.sh"  # usage: the header above, for --help
case "${1:-}" in
  "") ;;
  -h | --help) usage; exit 0 ;;
  *) echo "test.sh: unknown argument $1 (it takes none; see --help)" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
jobs=$(nproc)

bash scripts/install-deps.sh

echo "== Release build =="
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release
cmake --build build/release -j"$jobs"
(cd build/release && ctest --output-on-failure --timeout 600 -j"$jobs")

echo "== Benchmark smoke (fails only when something is broken, never on timings) =="
MTKFS_BENCH_BUILD=build/release MTKFS_BENCH_SKIP_BUILD=1 bash scripts/bench.sh --quick

echo "== Fuzzing smoke (libFuzzer, clang, ASan+UBSan) =="
bash scripts/fuzz.sh --seconds 10 --build-dir build/fuzz --jobs "$jobs"

echo "== ASan+UBSan build =="
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DMTKFS_SANITIZE=ON
cmake --build build/asan -j"$jobs"
# The kill/remount durability test runs its full 50 rounds in the Release pass; under the sanitizers
# (several times slower) 20 rounds keep the whole run inside CI's time budget.
(cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  MTKFS_DURABILITY_ROUNDS=20 ctest --output-on-failure --timeout 900 -j"$jobs")
