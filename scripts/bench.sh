#!/usr/bin/env bash
# Performance of mtkfs against mtkfs-sim, all figures from one run, printed as ONE table
# (docs/performance.md explains every row and what limits it):
#   1 raw DA session reads (no FUSE) over the socket, the in-process USB model and a pty
#   2 through the mount: dd of user_area.img, cp of a partition, dd writes (--rw, conv=fsync,notrunc),
#     and (default mode) dd of a whole 16 GB-class eMMC (the NW-A50 profile, 0x3AB400000 bytes)
#   3 the usb2-hs link model: fraction of its bandwidth reached, reads and writes
#   4 the cache: DA READ commands and USB transfers per GiB, random 4 KiB reads, peak memory
#   5 a plain pty copy (mtkfs-bench-pty-baseline) against the pty data phase
#   6 time from start to mounted, with the host's fixed pauses
# Usage: scripts/bench.sh [--quick]      (as root: it mounts FUSE file systems)
#   --quick   small sizes for CI (well under 60 s once built); fails only when something is broken
#             (a program exits non-zero, bytes differ), never because of a timing.
# Environment: MTKFS_BENCH_BUILD (build/bench), MTKFS_BENCH_DIR (work directory, default a new one in /tmp),
#   MTKFS_BENCH_IDLE_WAIT (seconds to wait for a 1-minute load average below 1.5 before measuring; default
#   600, --quick 0), MTKFS_BENCH_SKIP_BUILD=1 (use the binaries as they are),
#   MTKFS_BENCH_TABLE (also write the table to this file).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

quick=0
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: scripts/bench.sh [--quick]" >&2; exit 2 ;;
esac

failed=0
die() {
  failed=1
  echo "bench.sh: $*" >&2
  exit 1
}
[ "$(id -u)" -eq 0 ] || die "run as root (it mounts FUSE file systems)"
[ -c /dev/fuse ] || die "/dev/fuse is missing"

build=${MTKFS_BENCH_BUILD:-build/bench}
bin=$repo/$build/bin
MiB=$((1 << 20))
GiB=$((1 << 30))
# reps: the main throughput rows run this many times (the mount dd dd_reps times); the table shows the median
# of each figure (and the range of the throughput). The pty
# pair runs pty_reps times and shows the best of each: on this VM a pty moves either ~100 or ~200 MB/s from
# one run to the next (the same for a plain copy), so only the best runs compare like with like.
if [ "$quick" = 1 ]; then
  user_size=$((256 * MiB)); pty_size=$((64 * MiB)); cached_size=$((128 * MiB)); write_size=$((32 * MiB))
  hs_size=$((32 * MiB)); hs_raw_size=$((32 * MiB)); random_count=48; random_rounds=10; reps=1; pty_reps=1
  dd_reps=1
  idle_wait=${MTKFS_BENCH_IDLE_WAIT:-0}
else
  user_size=$((2 * GiB)); pty_size=$((256 * MiB)); cached_size=$((1 * GiB)); write_size=$((1 * GiB))
  hs_size=$((256 * MiB)); hs_raw_size=$((256 * MiB)); random_count=200; random_rounds=20; reps=3; pty_reps=5
  dd_reps=5
  idle_wait=${MTKFS_BENCH_IDLE_WAIT:-600}
fi

# ---------------------------------------------------------------------------------------------- build
if [ "${MTKFS_BENCH_SKIP_BUILD:-0}" != 1 ]; then
  echo "== building Release in $build" >&2
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target mtkfs mtkfs-sim mtkfs-bench-raw mtkfs-bench-pty-baseline \
    mtkfs-bench-random >/dev/null
fi
for p in mtkfs mtkfs-sim mtkfs-bench-raw mtkfs-bench-pty-baseline mtkfs-bench-random; do
  [ -x "$bin/$p" ] || die "$bin/$p is missing"
done

# ----------------------------------------------------------------------------------- work area, cleanup
# A work directory made here is removed at the end unless something failed (its logs tell what).
own_work=0
if [ -n "${MTKFS_BENCH_DIR:-}" ]; then
  work=$MTKFS_BENCH_DIR
else
  work=$(mktemp -d /tmp/mtkfs-bench.XXXXXX)
  own_work=1
fi
mkdir -p "$work"
shm=$(mktemp -d /dev/shm/mtkfs-bench.XXXXXX)  # copies and write data: RAM, so no disk in the figures
mnt=$work/mnt
mkdir -p "$mnt"
sim_pids=()
mtkfs_pid=
cleanup() {
  mountpoint -q "$mnt" 2>/dev/null && fusermount3 -u "$mnt" 2>/dev/null
  [ -n "$mtkfs_pid" ] && kill "$mtkfs_pid" 2>/dev/null
  for p in "${sim_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${sim_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$shm"
  if [ "$own_work" = 1 ] && [ "$failed" = 0 ]; then
    rm -rf "$work"
  elif [ "$failed" = 1 ]; then
    echo "bench.sh: logs are in $work" >&2
  fi
  true
}
trap cleanup EXIT

# ------------------------------------------------------------------------------------------- helpers
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
hz=$(getconf CLK_TCK)
# utime + stime of a process in clock ticks (all its threads, /proc/PID/stat fields 14 and 15).
ticks() {
  local stat
  stat=$(cat "/proc/$1/stat") || die "process $1 is gone"
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo $((${12} + ${13}))
}
load1() { cut -d' ' -f1 /proc/loadavg; }
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }

sim_pid=
sim_out=
# start_sim NAME DIR ARGS...: sets sim_pid and sim_out (its stdout line).
start_sim() {
  local name=$1 dir=$2
  shift 2
  "$bin/mtkfs-sim" --dir "$dir" "$@" >"$work/$name.out" 2>"$work/$name.log" &
  sim_pid=$!
  sim_pids+=("$sim_pid")
  for _ in $(seq 400); do
    grep -q "^mtkfs-sim:" "$work/$name.out" 2>/dev/null && break
    kill -0 "$sim_pid" 2>/dev/null || die "mtkfs-sim ($name) failed: $(cat "$work/$name.log")"
    sleep 0.025
  done
  sim_out=$(cat "$work/$name.out")
  [ -n "$sim_out" ] || die "mtkfs-sim ($name) did not start"
}

# mount_fg SOCKET ARGS...: mtkfs in the foreground (its PID is known), returns once mounted.
mount_fg() {
  local socket=$1
  shift
  mountpoint -q "$mnt" && die "$mnt is still mounted"
  "$bin/mtkfs" --socket "$socket" --da "$work/da.bin" -f "$@" "$mnt" >"$work/mtkfs.log" 2>&1 &
  mtkfs_pid=$!
  for _ in $(seq 1500); do
    mountpoint -q "$mnt" && return 0
    kill -0 "$mtkfs_pid" 2>/dev/null || die "mtkfs failed to mount: $(cat "$work/mtkfs.log")"
    sleep 0.02
  done
  die "mtkfs did not mount within 30 s"
}

# unmount_fg: unmounts, waits for mtkfs, fails unless it exited 0; the log stays in $work/mtkfs.log.
unmount_fg() {
  fusermount3 -u "$mnt" || die "fusermount3 -u $mnt failed"
  local status=0
  wait "$mtkfs_pid" || status=$?
  mtkfs_pid=
  [ "$status" -eq 0 ] || die "mtkfs exited with status $status: $(tail -5 "$work/mtkfs.log")"
}

# measure CMD...: runs CMD; sets m_seconds, m_mtkfs_cpu, m_sim_cpu (seconds) for mtkfs_pid / sim_pid.
measure() {
  local m0 s0 t0 t1
  m0=$(ticks "$mtkfs_pid"); s0=$(ticks "$sim_pid"); t0=$(now)
  "$@" || die "failed: $*"
  t1=$(now)
  m_seconds=$(calc "%.3f" "$t1 - $t0")
  m_mtkfs_cpu=$(calc "%.3f" "($(ticks "$mtkfs_pid") - $m0) / $hz")
  m_sim_cpu=$(calc "%.3f" "($(ticks "$sim_pid") - $s0) / $hz")
}

mbps() { calc "%.0f" "$1 / $2 / 1e6"; }          # bytes seconds
# median_of "A B C ..." lines: the median of each column on its own; spread_of: "min-max" of field 1.
median_of() {
  awk '{ for (i = 1; i <= NF; i++) v[i, NR] = $i; if (NF > nf) nf = NF }
       END { for (i = 1; i <= nf; i++) { n = 0; for (r = 1; r <= NR; r++) c[++n] = v[i, r] + 0
               for (a = 1; a <= n; a++) for (b = a + 1; b <= n; b++) if (c[b] < c[a]) { t = c[a]; c[a] = c[b]; c[b] = t }
               printf "%s%s", c[int((n + 1) / 2)], (i < nf ? " " : "\n") } }'
}
best_of() { sort -n | tail -1; }
spread_of() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR > 1) printf "%s-%s", lo, hi }'; }
per_gib() { calc "%.2f" "$1 / ($2 / $GiB)"; }     # cpu-seconds bytes
human() { calc "%.0f MiB" "$1 / $MiB"; }

rows=()
# row SECTION MEASUREMENT RESULT MTKFS_CPU_PER_GIB SIM_CPU_PER_GIB NOTE
row() { rows+=("| $1 | $2 | $3 | $4 | $5 | $6 |"); }
targets=()
# target TEXT MEASURED MET(1/0)
target() { targets+=("| $1 | $2 | $([ "$3" = 1 ] && echo met || echo "**not met**") |"); }
ge() { awk "BEGIN { exit !($1 >= $2) }" && echo 1 || echo 0; }
le() { awk "BEGIN { exit !($1 <= $2) }" && echo 1 || echo 0; }

# --------------------------------------------------------------------------------------- the devices
echo "== creating simulated devices in $work" >&2
"$bin/mtkfs-sim" make-da "$work/da.bin" >/dev/null
# P: pattern-filled images (every byte known, in the page cache), GPT layout with the NW-A50 partitions.
"$bin/mtkfs-sim" init "$work/p" --pattern --user-size "$user_size" >/dev/null
img=$work/p/user.img
# The largest partition (for cp) and where the write test goes (inside it, MiB aligned).
read -r part_name part_start part_sectors < <(sfdisk -d "$img" 2>/dev/null |
  awk -F'[=,"]' '/start=/ { gsub(/ /, "", $2); gsub(/ /, "", $4); if ($4 + 0 > best) { best = $4 + 0; s = $2; n = $(NF-1) } }
                 END { print n, s, best }')
[ -n "$part_name" ] || die "no partition table in $img"
part_offset=$((part_start * 512))
part_bytes=$((part_sectors * 512))
write_offset=$(((part_offset + MiB - 1) / MiB * MiB))
room=$(((part_offset + part_bytes - write_offset) / MiB * MiB))
[ "$write_size" -le "$room" ] || write_size=$room
head -c "$write_size" /dev/urandom >"$shm/write.bin"

# ----------------------------------------------------------------------------------------- idle wait
waited=0
while awk "BEGIN { exit !($(load1) >= 1.5) }" && [ "$waited" -lt "$idle_wait" ]; do
  [ "$waited" -eq 0 ] && echo "== waiting up to $idle_wait s for a load average below 1.5 (now $(load1))" >&2
  sleep 10
  waited=$((waited + 10))
done
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== measuring (load average $load_start)" >&2

start_sim sock "$work/p" --socket "$work/p.sock"
sock_pid=$sim_pid

# --------------------------------------------------------------------- 1. raw session reads (no FUSE)
echo "== 1. raw session reads" >&2
# raw_rows LABEL NOTE ARGS...: runs mtkfs-bench-raw $reps times, adds the median row.
raw_rows() {
  local label=$1 note=$2 runs="" out
  shift 2
  for _ in $(seq "$reps"); do
    out=$("$bin/mtkfs-bench-raw" --da "$work/da.bin" "$@") || die "mtkfs-bench-raw $* failed"
    runs+="$(kv "$out" mbps) $(kv "$out" host_cpu_per_gib) $(kv "$out" sim_cpu_per_gib)"$'\n'
  done
  read -r r_mbps r_host r_sim <<<"$(median_of <<<"${runs%$'\n'}")"
  local spread
  spread=$(spread_of <<<"${runs%$'\n'}")
  row 1 "$label" "$r_mbps MB/s" "$r_host" "$r_sim" "$note${spread:+; $reps runs: $spread MB/s}"
}
raw_rows "raw read, socket, user area $(human "$user_size")" "Device::read of 32 MiB (one D6 each)" \
  --socket "$work/p.sock" --sim-pid "$sock_pid" --size "$user_size" --compare "$img"
raw_socket_cpu=$r_host
raw_rows "raw read, USB model in process, user area $(human "$user_size")" \
  "PacketStreamTransport over sim::UsbDeviceModel; sim = the model's thread" \
  --usb-model "$work/p" --size "$user_size" --compare "$img"

# The pty data phase and the plain pty copy (section 5) alternate, so both see the same machine.
start_sim pty "$work/p" --pty
pty_pid=$sim_pid
pty_path=${sim_out##* }
pty_runs=""
base_runs=""
for _ in $(seq "$pty_reps"); do
  out=$("$bin/mtkfs-bench-pty-baseline" "$pty_size") || die "pty baseline failed"
  base_runs+="$(kv "$out" mbps) $(kv "$out" reader_cpu_per_gib)"$'\n'
  out=$("$bin/mtkfs-bench-raw" --da "$work/da.bin" --port "$pty_path" --sim-pid "$pty_pid" --size "$pty_size" \
    --compare "$img") || die "raw pty read failed"
  pty_runs+="$(kv "$out" mbps) $(kv "$out" host_cpu_per_gib) $(kv "$out" sim_cpu_per_gib)"$'\n'
done
kill "$pty_pid"
read -r pty_mbps pty_host pty_sim <<<"$(best_of <<<"${pty_runs%$'\n'}")"
read -r base_mbps base_cpu <<<"$(best_of <<<"${base_runs%$'\n'}")"
spread=$(spread_of <<<"${pty_runs%$'\n'}")
row 1 "raw read, pty, $(human "$pty_size")" "$pty_mbps MB/s" "$pty_host" "$pty_sim" \
  "data phase only (connect excluded)${spread:+; best of $pty_reps runs: $spread MB/s}"

# ----------------------------------------------------------------------------- 2. through the mount
echo "== 2. through the mount" >&2
sim_pid=$sock_pid
dd_runs=""
hwm_default=0
for n in $(seq "$dd_reps"); do
  mount_fg "$work/p.sock"
  measure dd if="$mnt/user_area.img" of=/dev/null bs=1M status=none
  dd_runs+="$(mbps "$user_size" "$m_seconds") $(per_gib "$m_mtkfs_cpu" "$user_size") $(per_gib "$m_sim_cpu" "$user_size")"$'\n'
  hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$mtkfs_pid/status")
  if [ "$hwm" -gt "$hwm_default" ]; then hwm_default=$hwm; fi
  if [ "$n" = 1 ]; then cmp "$mnt/user_area.img" "$img" || die "user_area.img differs from the device image"; fi
  unmount_fg
  if [ "$n" = 1 ]; then reads_default=$(sed -n 's/.*DA READ commands (\([0-9.]*\) per GiB).*/\1/p' "$work/mtkfs.log"); fi
done
read -r mount_mbps mount_cpu mount_sim <<<"$(median_of <<<"${dd_runs%$'\n'}")"
spread=$(spread_of <<<"${dd_runs%$'\n'}")
row 2 "dd user_area.img of=/dev/null bs=1M ($(human "$user_size"))" "$mount_mbps MB/s" "$mount_cpu" "$mount_sim" \
  "default cache (256 MiB), direct I/O${spread:+; $dd_reps runs: $spread MB/s}"

# The same with the kernel's page cache (-o page_cache), the mode direct I/O replaced as the default.
mount_fg "$work/p.sock" -o page_cache
measure dd if="$mnt/user_area.img" of=/dev/null bs=1M status=none
row 2 "the same dd with -o page_cache" "$(mbps "$user_size" "$m_seconds") MB/s" \
  "$(per_gib "$m_mtkfs_cpu" "$user_size")" "$(per_gib "$m_sim_cpu" "$user_size")" "one run; 128 KiB kernel read-ahead requests"
unmount_fg

mount_fg "$work/p.sock"
# The copy's tmpfs pages are touched once beforehand: on this VM, memory nobody has used yet costs a
# host page fault per page (virtio-balloon), and that is cp's cost, not mtkfs's (docs/performance.md).
dd if=/dev/zero of="$shm/copy.img" bs=1M count=$((part_bytes / MiB + 1)) status=none
rm -f "$shm/copy.img"
measure cp "$mnt/partitions/$part_name.img" "$shm/copy.img"
row 2 "cp partitions/$part_name.img ($(human "$part_bytes"))" "$(mbps "$part_bytes" "$m_seconds") MB/s" \
  "$(per_gib "$m_mtkfs_cpu" "$part_bytes")" "$(per_gib "$m_sim_cpu" "$part_bytes")" "to /dev/shm"
cmp -i "0:$part_offset" -n "$part_bytes" "$shm/copy.img" "$img" || die "the copy of $part_name.img differs"
rm -f "$shm/copy.img"
unmount_fg

mount_fg "$work/p.sock" --rw
measure dd if="$shm/write.bin" of="$mnt/user_area.img" bs=1M seek=$((write_offset / MiB)) \
  conv=fsync,notrunc status=none
row 2 "dd write --rw bs=1M conv=fsync,notrunc ($(human "$write_size"))" \
  "$(mbps "$write_size" "$m_seconds") MB/s" "$(per_gib "$m_mtkfs_cpu" "$write_size")" \
  "$(per_gib "$m_sim_cpu" "$write_size")" "into $part_name, incl. fsync"
unmount_fg
cmp -i "0:$write_offset" -n "$write_size" "$shm/write.bin" "$img" || die "the written bytes are not on the device"
writes_line=$(sed -n 's/.*wrote \([0-9]*\) bytes in \([0-9]*\) device writes.*/\2 device writes/p' "$work/mtkfs.log")

if [ "$quick" = 0 ]; then
  # The 16 GB-class eMMC: the NW-A50's real user-area size. Sparse images in tmpfs: reading a hole there
  # maps the zero page (on a disk file system every hole read would fill the page cache with 16 GB of zeros).
  "$bin/mtkfs-sim" init "$shm/full" --profile nw-a50-full >/dev/null
  start_sim full "$shm/full" --socket "$work/full.sock"
  full_bytes=$(stat -c %s "$shm/full/user.img")
  mount_fg "$work/full.sock"
  measure dd if="$mnt/user_area.img" of=/dev/null bs=1M status=none
  row 2 "dd user_area.img of a full NW-A50 eMMC ($(calc "%.1f GB" "$full_bytes / 1e9"))" \
    "$(mbps "$full_bytes" "$m_seconds") MB/s in $(calc "%.1f" "$m_seconds") s" \
    "$(per_gib "$m_mtkfs_cpu" "$full_bytes")" "$(per_gib "$m_sim_cpu" "$full_bytes")" \
    "sparse image in tmpfs (mostly zeros)"
  unmount_fg
  kill "$sim_pid"
  sim_pid=$sock_pid
fi

# ---------------------------------------------------------------------------------- 3. usb2-hs model
echo "== 3. usb2-hs link model" >&2
# The model (sim/README.md): 40 MB/s shared by both directions + 150 us per unit. A 1 MiB D6/62 chunk
# costs at least three units (data, checksum, the host's ACK / the host's ACK, data, CONT).
model_mbps=$(calc "%.2f" "1048576 / (1048576 / 40e6 + 3 * 150e-6) / 1e6")
start_sim hs "$work/p" --socket "$work/hs.sock" --link-model usb2-hs
mount_fg "$work/hs.sock"
measure dd if="$mnt/user_area.img" of=/dev/null bs=1M count=$((hs_size / MiB)) status=none
hs_read=$(mbps "$hs_size" "$m_seconds")
hs_read_pct=$(calc "%.1f" "100 * $hs_size / $m_seconds / 1e6 / $model_mbps")
row 3 "usb2-hs read through the mount ($(human "$hs_size"))" "$hs_read MB/s = $hs_read_pct % of $model_mbps" \
  "$(per_gib "$m_mtkfs_cpu" "$hs_size")" "-" "model bandwidth for 1 MiB chunks"
unmount_fg
mount_fg "$work/hs.sock" --rw
measure dd if="$shm/write.bin" of="$mnt/user_area.img" bs=1M count=$((hs_size / MiB)) \
  seek=$((write_offset / MiB)) conv=fsync,notrunc status=none
hs_write=$(mbps "$hs_size" "$m_seconds")
hs_write_pct=$(calc "%.1f" "100 * $hs_size / $m_seconds / 1e6 / $model_mbps")
row 3 "usb2-hs write through the mount ($(human "$hs_size"))" \
  "$hs_write MB/s = $hs_write_pct % of $model_mbps" "$(per_gib "$m_mtkfs_cpu" "$hs_size")" "-" "incl. fsync"
unmount_fg
kill "$sim_pid"
sim_pid=$sock_pid
raw=$("$bin/mtkfs-bench-raw" --da "$work/da.bin" --usb-model "$work/p" --link-model usb2-hs \
  --size "$hs_raw_size" --compare "$img") || die "raw usb2-hs read failed"
row 3 "usb2-hs raw read, USB model in process ($(human "$hs_raw_size"))" \
  "$(kv "$raw" mbps) MB/s = $(calc "%.1f" "100 * $(kv "$raw" mbps) / $model_mbps") % of $model_mbps" \
  "$(kv "$raw" host_cpu_per_gib)" "-" "no cache, no FUSE"

# -------------------------------------------------------------------------------------- 4. the cache
echo "== 4. the cache" >&2
raw=$("$bin/mtkfs-bench-raw" --da "$work/da.bin" --usb-model "$work/p" --through-cache --size "$cached_size" \
  --compare "$img") || die "cached USB-model read failed"
row 4 "sequential read through the cache, USB model ($(human "$cached_size"))" \
  "$(kv "$raw" da_commands_per_gib) DA READ/GiB, $(kv "$raw" usb_in_per_gib) IN + $(kv "$raw" usb_out_per_gib) OUT transfers/GiB" \
  "$(kv "$raw" host_cpu_per_gib)" "$(kv "$raw" sim_cpu_per_gib)" "$(kv "$raw" mbps) MB/s; 64 KiB IN transfers"
row 4 "DA READ commands per GiB, dd through the mount (256 MiB cache)" "$reads_default" "" "" "unmount stats line"

mount_fg "$work/p.sock"
random=$("$bin/mtkfs-bench-random" "$mnt/user_area.img" --compare "$img" --count "$random_count" \
  --rounds "$random_rounds") || die "random reads failed"
row 4 "random 4 KiB reads (O_DIRECT), cold / warm" \
  "$(kv "$random" cold_iops) / $(kv "$random" warm_iops) per s" "" "" \
  "cold: $random_count different 1 MiB blocks; warm: the same again, $random_rounds rounds"
unmount_fg

mount_fg "$work/p.sock" -o cache_size=64M
measure dd if="$mnt/user_area.img" of=/dev/null bs=1M status=none
hwm_64=$(awk '/VmHWM/ { print $2 }' "/proc/$mtkfs_pid/status")
unmount_fg
reads_64=$(sed -n 's/.*DA READ commands (\([0-9.]*\) per GiB).*/\1/p' "$work/mtkfs.log")
row 4 "dd through the mount with -o cache_size=64M" "$(mbps "$user_size" "$m_seconds") MB/s, $reads_64 DA READ/GiB" \
  "$(per_gib "$m_mtkfs_cpu" "$user_size")" "$(per_gib "$m_sim_cpu" "$user_size")" "read-ahead window 16 MiB"
# Bound: the cache, the I/O thread's transfer buffer (32 MiB) and the rest of the process (~20 MiB).
row 4 "peak memory VmHWM of mtkfs, default / cache_size=64M" \
  "$((hwm_default / 1024)) MiB / $((hwm_64 / 1024)) MiB" "" "" "bound: cache + 32 MiB transfer buffer + ~20 MiB"

# ---------------------------------------------------------------------------------- 5. pty baseline
pty_pct=$(calc "%.0f" "100 * $pty_mbps / $base_mbps")
spread=$(spread_of <<<"${base_runs%$'\n'}")
row 5 "plain pty copy, 1 MiB writes / raw reads ($(human "$pty_size"))" "$base_mbps MB/s" "$base_cpu" "-" \
  "pty data phase (row 1) = $pty_pct % of it${spread:+; best of $pty_reps runs: $spread MB/s}"

# ------------------------------------------------------------------------------------------ 6. startup
echo "== 6. startup" >&2
timing=$("$bin/mtkfs-bench-raw" --print-timing)
t0=$(now)
"$bin/mtkfs" --socket "$work/p.sock" --da "$work/da.bin" --log-file "$work/startup.log" "$mnt" ||
  die "mtkfs (background mode) failed: $(cat "$work/startup.log")"
startup=$(calc "%.3f" "$(now) - $t0")
fusermount3 -u "$mnt"
for _ in $(seq 250); do grep -q "unmounted" "$work/startup.log" && break; sleep 0.02; done
pauses=$(($(kv "$timing" hw_sw_ver_delay_ms) + $(kv "$timing" stage2_config_delay_ms) + $(kv "$timing" stage2_final_ack_delay_ms)))
row 6 "start to mounted (mtkfs returns, background mode)" "$startup s" "" "" \
  "fixed host pauses $pauses ms: FC $(kv "$timing" hw_sw_ver_delay_ms) + stage-2 config $(kv "$timing" stage2_config_delay_ms) + final 5A $(kv "$timing" stage2_final_ack_delay_ms)"

load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ----------------------------------------------------------------------------------------- the table
target "through the mount against the socket sim >= 1 GB/s" "$mount_mbps MB/s" "$(ge "$mount_mbps" 1000)"
target "mtkfs <= 0.5 CPU-s per GiB read (mount / raw socket)" "$mount_cpu / $raw_socket_cpu" "$(le "$mount_cpu" 0.5)"
target "pty data phase >= 80 % of the plain pty copy" "$pty_pct %" "$(ge "$pty_pct" 80)"
target ">= 90 % of the usb2-hs model, reads / writes" "$hs_read_pct % / $hs_write_pct %" \
  "$(awk "BEGIN { print ($hs_read_pct >= 90 && $hs_write_pct >= 90) }")"
target "<= 64 READ commands per GiB sequential (default cache)" "$reads_default" "$(le "$reads_default" 64)"
bound_kib=$(((64 + 32 + 20) * 1024))
target "peak memory with cache_size=64M <= 64 + 32 + 20 MiB" "$((hwm_64 / 1024)) MiB" "$(le "$hwm_64" "$bound_kib")"

{
  echo
  echo "mtkfs benchmark ($([ "$quick" = 1 ] && echo quick || echo full) run, $(date -u +%Y-%m-%dT%H:%MZ))"
  echo "machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) cores," \
    "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
  echo "load average (1/5/15 min): $load_start at the start, $load_end at the end"
  echo "CPU columns: CPU-seconds per GiB moved (mtkfs side / simulator side); mtkfs $writes_line in the write row"
  echo
  echo "| # | measurement | result | mtkfs CPU-s/GiB | sim CPU-s/GiB | notes |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo "| | **target** | **measured** | **status** | | |"
  for t in "${targets[@]}"; do echo "| | ${t#| }" | sed 's/ |$/ | | |/'; done
} | tee "$work/bench-table.md"
[ -z "${MTKFS_BENCH_TABLE:-}" ] || cp "$work/bench-table.md" "$MTKFS_BENCH_TABLE"
