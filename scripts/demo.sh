#!/usr/bin/env bash
# The README demo: build, start a simulated NW-A50, mount it with mtkfs, back it up with cp,
# compare, look inside a partition, unmount. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=${MTKFS_DEMO_DIR:-/tmp/mtkfs-demo}
mnt=${MTKFS_DEMO_MOUNT:-/mnt/a50}
bin=$repo/build/release/bin

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Installing build dependencies (Debian packages)"
bash scripts/install-deps.sh

step "Building mtkfs and mtkfs-sim (Release)"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"$(nproc)" --target mtkfs mtkfs-sim

sim_pid=
cleanup() {
  mountpoint -q "$work/system" 2>/dev/null && umount "$work/system"
  mountpoint -q "$mnt" 2>/dev/null && fusermount3 -u "$mnt"
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  true
}
trap cleanup EXIT

step "Creating a simulated NW-A50 (MBR/EBR/PMT layout, 256 MiB user area) in $work"
rm -rf "$work"; mkdir -p "$work" "$mnt"
"$bin/mtkfs-sim" init "$work/device" --layout mbr
"$bin/mtkfs-sim" make-da "$work/MTK_AllInOne_DA_sim.bin"

step "Starting the simulator on a UNIX socket (stands in for the USB cable)"
"$bin/mtkfs-sim" --dir "$work/device" --socket "$work/a50.sock" >"$work/sim.out" 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 100); do [ -S "$work/a50.sock" ] && break; sleep 0.1; done

step "mtkfs $mnt (handshake, DA upload, mount)"
"$bin/mtkfs" --socket "$work/a50.sock" --da "$work/MTK_AllInOne_DA_sim.bin" "$mnt"
ls -l "$mnt" "$mnt/partitions" | head -40
cat "$mnt/device.txt"

step "Backup: cp $mnt/user_area.img backup.img"
time cp "$mnt/user_area.img" "$work/backup.img"
cmp "$work/backup.img" "$work/device/user.img" && echo "backup.img is identical to the device's user area"

step "Looking inside: mount -o loop,ro partitions/android.img"
mkdir -p "$work/system"
mount -o loop,ro "$mnt/partitions/android.img" "$work/system"
ls -l "$work/system" && cat "$work/system/etc/hello.txt"
umount "$work/system"

step "Unmounting"
fusermount3 -u "$mnt"
echo "Done. The simulator's files are in $work/device; the backup is $work/backup.img."
