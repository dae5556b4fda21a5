#!/usr/bin/env bash
# Performance of mtkfs against mtkfs-sim, printed as one table: builds Release and runs the driver
# bench/driver.cpp (mtkfs-bench --help; the rows: docs/performance.md). As root (it mounts FUSE).
# Usage: scripts/bench.sh [--quick]   (--quick: small sizes for CI; fails only when something breaks)
# Environment: MTKFS_BENCH_BUILD (build/bench), MTKFS_BENCH_SKIP_BUILD=1 (use the binaries as they are);
#   MTKFS_BENCH_DIR, MTKFS_BENCH_IDLE_WAIT, MTKFS_BENCH_TABLE: see mtkfs-bench --help.
set -euo pipefail
here=.; [[ ${BASH_SOURCE[0]} == */* ]] && here=${BASH_SOURCE[0]%/*}  # builtins only: --help needs no PATH
source "$here/usage.sh"  # usage: the header above, for --help
case "${1:-}" in
  --quick | "") ;;
  --help | -h) usage; exit 0 ;;
  *) echo "bench.sh: unknown option $1 (usage: scripts/bench.sh [--quick]; see --help)" >&2; exit 2 ;;
esac
[ $# -le 1 ] || { echo "bench.sh: one option at most (usage: scripts/bench.sh [--quick])" >&2; exit 2; }
cd "$(dirname "$0")/.."
build=${MTKFS_BENCH_BUILD:-build/bench}
case "$build" in /*) bin=$build/bin ;; *) bin=$PWD/$build/bin ;; esac
if [ "${MTKFS_BENCH_SKIP_BUILD:-0}" != 1 ]; then
  echo "== building Release in $build" >&2
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target mtkfs mtkfs-sim mtkfs-bench mtkfs-bench-raw mtkfs-bench-pty-baseline \
    mtkfs-bench-random >/dev/null
fi
[ -x "$bin/mtkfs-bench" ] || { echo "bench.sh: $bin/mtkfs-bench is missing" >&2; exit 1; }
exec "$bin/mtkfs-bench" --bin "$bin" "$@"
