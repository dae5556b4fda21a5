#!/usr/bin/env bash
# Performance of mtkfs against mtkfs-sim, printed as one table: builds Release and runs the driver
# bench/driver.cpp (mtkfs-bench --help; the rows: docs/performance.md). As root (it mounts FUSE).
# Usage: scripts/bench.sh [--quick]   (--quick: small sizes for CI; fails only when something breaks)
# Environment: MTKFS_BENCH_BUILD (build/bench), MTKFS_BENCH_SKIP_BUILD=1 (use the binaries as they are);
#   MTKFS_BENCH_DIR, MTKFS_BENCH_IDLE_WAIT, MTKFS_BENCH_TABLE: see mtkfs-bench --help.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  --quick | --help | -h | "") ;;
  *) echo "usage: scripts/bench.sh [--quick]" >&2; exit 2 ;;
esac
build=${MTKFS_BENCH_BUILD:-build/bench}
if [ "${MTKFS_BENCH_SKIP_BUILD:-0}" != 1 ]; then
  echo "== building Release in $build" >&2
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target mtkfs mtkfs-sim mtkfs-bench mtkfs-bench-raw mtkfs-bench-pty-baseline \
    mtkfs-bench-random >/dev/null
fi
case "$build" in /*) bin=$build/bin ;; *) bin=$PWD/$build/bin ;; esac
[ -x "$bin/mtkfs-bench" ] || { echo "bench.sh: $bin/mtkfs-bench is missing" >&2; exit 1; }
exec "$bin/mtkfs-bench" --bin "$bin" "$@"
