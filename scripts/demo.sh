#!/usr/bin/env bash
# The README demo: build, start a simulated NW-A50, mount it with mtkfs, back it up with cp,
# compare, look inside a partition, unmount. Run as root on Debian 12.
# Usage: scripts/demo.sh   (no arguments; this environment changes the defaults:)
#   MTKFS_DEMO_DIR (/tmp/mtkfs-demo)  MTKFS_DEMO_MOUNT (/mnt/a50)  MTKFS_DEMO_BUILD (build/release)
#   MTKFS_DEMO_SKIP_DEPS=1: do not run scripts/install-deps.sh (apt-get)
set -euo pipefail
here=.; [[ ${BASH_SOURCE[0]} == */* ]] && here=${BASH_SOURCE[0]%/*}  # builtins only: --help needs no PATH
source "$here/usage.sh"  # usage: the header above, for --help
case "${1:-}" in
  "") ;;
  -h | --help) usage; exit 0 ;;
  *) echo "demo.sh: unknown argument $1 (it takes none; see --help)" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
repo=$PWD
work=${MTKFS_DEMO_DIR:-/tmp/mtkfs-demo}
mnt=${MTKFS_DEMO_MOUNT:-/mnt/a50}
build=${MTKFS_DEMO_BUILD:-build/release}
bin=$repo/$build/bin

now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
demo_start=$(now)
step_start=
step() {
  [ -z "$step_start" ] || echo "   ($(seconds_since "$step_start") s)"
  step_start=$(now)
  printf '\n\033[1m== %s\033[0m\n' "$*"
}

if [ "$(id -u)" -ne 0 ]; then echo "demo.sh: run as root (FUSE mount on $mnt, loop mount)" >&2; exit 1; fi

if [ "${MTKFS_DEMO_SKIP_DEPS:-0}" != 1 ]; then
  step "Installing build dependencies (Debian packages)"
  bash scripts/install-deps.sh
fi

step "Building mtkfs and mtkfs-sim (Release) in $build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target mtkfs mtkfs-sim

sim_pid=
cleanup() {
  mountpoint -q "$work/system" 2>/dev/null && umount "$work/system"
  mountpoint -q "$mnt" 2>/dev/null && fusermount3 -u "$mnt"
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  true
}
trap cleanup EXIT

if mountpoint -q "$mnt" 2>/dev/null; then
  echo "demo.sh: something is already mounted on $mnt; unmount it first" >&2
  exit 1
fi

step "Creating a simulated NW-A50 (MBR/EBR/PMT layout, 256 MiB user area) in $work"
rm -rf "$work"; mkdir -p "$work" "$mnt"
"$bin/mtkfs-sim" init "$work/device" --layout mbr
"$bin/mtkfs-sim" make-da "$work/MTK_AllInOne_DA_sim.bin"

step "Starting the simulator on a UNIX socket (stands in for the USB cable)"
"$bin/mtkfs-sim" --dir "$work/device" --socket "$work/a50.sock" >"$work/sim.out" 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 100); do [ -S "$work/a50.sock" ] && break; sleep 0.1; done
cat "$work/sim.out"

step "mtkfs --socket $work/a50.sock --da ... $mnt (handshake, DA upload, mount, into the background)"
"$bin/mtkfs" --socket "$work/a50.sock" --da "$work/MTK_AllInOne_DA_sim.bin" --log-file "$work/mtkfs.log" "$mnt"
ls -l "$mnt" "$mnt/partitions" | head -40
head -12 "$mnt/device.txt"

step "Backup: cp $mnt/user_area.img backup.img"
t0=$(now)
cp "$mnt/user_area.img" "$work/backup.img"
t1=$(now)
size=$(stat -c %s "$work/backup.img")
awk -v s="$size" -v a="$t0" -v b="$t1" \
  'BEGIN { printf "copied %d MiB in %.2f s (%.1f MB/s)\n", s / 1048576, b - a, s / (b - a) / 1e6 }'
cmp "$work/backup.img" "$work/device/user.img" && echo "backup.img is identical to the device's user area"

step "Looking inside: mount -o loop,ro partitions/android.img"
mkdir -p "$work/system"
mount -o loop,ro "$mnt/partitions/android.img" "$work/system"
ls -l "$work/system" && cat "$work/system/etc/hello.txt"
umount "$work/system"

step "Unmounting (everything is written back, then the device reboots)"
fusermount3 -u "$mnt"
# The daemon logs its statistics after the unmount, then ends the DA session.
for _ in $(seq 300); do grep -q "unmounted" "$work/mtkfs.log" && break; sleep 0.1; done
grep "unmounted" "$work/mtkfs.log" || { echo "demo.sh: mtkfs did not report the unmount" >&2; exit 1; }
for _ in $(seq 100); do grep -q "device left the bus" "$work/sim.log" && break; sleep 0.1; done

step "Done"
printf 'The simulator files are in %s/device; the backup is %s/backup.img; mtkfs log: %s/mtkfs.log\n' \
  "$work" "$work" "$work"
echo "Total: $(seconds_since "$demo_start") s"
