// The benchmark's tools, the simulated devices, and sections 1 (raw session reads) and 2 (through the mount).
#include "bench/driver_bench.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "bench/bench_util.h"

namespace mtkfs::bench::driver {

using namespace std::chrono_literals;
using mtkfs::testing::MountProcess;
using mtkfs::testing::SimProcess;

Bench::Bench(bool quick, fs::path bin, fs::path work, fs::path shm)
    : quick_(quick), bin_(std::move(bin)), work_(std::move(work)), shm_(std::move(shm)) {
  // reps: the main throughput rows run this many times (the mount dd dd_reps times); the table shows
  // the median of each figure (and the range of the throughput). The pty pair runs pty_reps times and
  // shows the best of each: on this VM a pty moves either ~100 or ~200 MB/s from one run to the next
  // (the same for a plain copy), so only the best runs compare like with like.
  s_ = quick ? Sizes{256 * MiB, 64 * MiB, 128 * MiB, 32 * MiB, 32 * MiB, 32 * MiB, 48, 10, 1, 1, 1, 0}
             : Sizes{2 * GiB, 256 * MiB, 1 * GiB, 1 * GiB, 256 * MiB, 256 * MiB, 200, 20, 3, 5, 5, 600};
  if (const char* wait = std::getenv("MTKFS_BENCH_IDLE_WAIT"); wait && *wait) s_.idle_wait = std::atoi(wait);
  mnt_ = work_ / "mnt";
  fs::create_directories(mnt_);
  da_ = (work_ / "da.bin").string();
}

void Bench::row(const std::string& section, const std::string& measurement, const std::string& result,
                const std::string& mtkfs_cpu, const std::string& sim_cpu, const std::string& note) {
  rows_.push_back("| " + section + " | " + measurement + " | " + result + " | " + mtkfs_cpu + " | " + sim_cpu +
                  " | " + note + " |");
}

void Bench::target(const std::string& text, const std::string& measured, bool met) {
  targets_.push_back("| | " + text + " | " + measured + " | " + (met ? "met" : "**not met**") + " | | |");
}

// mtkfs-sim ARGS... with its log (stderr) in WORK/mtkfs-sim.log: the child inherits fd 2, so it points
// there while the runner forks (the driver has one thread).
SimProcess& Bench::start_sim(std::optional<SimProcess>& slot, const std::vector<std::string>& args) {
  const int log = ::open((work_ / "mtkfs-sim.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int saved = ::dup(STDERR_FILENO);
  if (log >= 0 && saved >= 0) ::dup2(log, STDERR_FILENO);
  try {
    slot.emplace(args);
  } catch (...) {
    if (saved >= 0) ::dup2(saved, STDERR_FILENO);
    throw;
  }
  if (saved >= 0) {
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
  }
  if (log >= 0) ::close(log);
  if (slot->first_line().rfind("mtkfs-sim:", 0) != 0) throw Failure("mtkfs-sim: " + slot->first_line());
  return *slot;
}

// mtkfs -f --socket SOCKET --da DA --stats-file STATS ARGS... MNT; returns once mounted.
std::unique_ptr<MountProcess> Bench::mount(const std::string& socket, const std::vector<std::string>& extra) {
  if (mtkfs::testing::is_mtkfs_mount(mnt_)) throw Failure(mnt_.string() + " is still mounted");
  fs::remove(stats_file());
  std::vector<std::string> args{"--socket", socket, "--da", da_, "--stats-file", stats_file().string()};
  args.insert(args.end(), extra.begin(), extra.end());
  auto m = std::make_unique<MountProcess>(args, mnt_, work_ / "mtkfs.log");
  if (!m->mounted_at_start()) throw Failure("mtkfs failed to mount:\n" + tail(m->log()));
  return m;
}

// Unmounts, waits for mtkfs, fails unless it exited 0; returns its --stats-file figures.
Bench::Stats Bench::unmount(std::unique_ptr<MountProcess>& m) {
  if (!m->unmount(60s)) throw Failure("mtkfs did not exit after the unmount");
  if (m->exit_code() != 0)
    throw Failure("mtkfs exited with status " + std::to_string(m->exit_code()) + ":\n" + tail(m->log()));
  m.reset();
  auto stats = read_stats(stats_file());
  if (stats.at("exit_status") != "0") throw Failure("mtkfs --stats-file: exit_status " + stats.at("exit_status"));
  return stats;
}

// Runs `step`; the wall time and the CPU time the two processes spent meanwhile (their CPU clocks).
Bench::Measured Bench::measure(pid_t mtkfs, pid_t sim, const std::function<void()>& step) {
  using mtkfs::bench::process_cpu_seconds;
  const double m0 = process_cpu_seconds(mtkfs), s0 = process_cpu_seconds(sim);
  const auto t0 = mtkfs::bench::Clock::now();
  step();
  const double seconds = mtkfs::bench::seconds_since(t0);
  return {seconds, process_cpu_seconds(mtkfs) - m0, process_cpu_seconds(sim) - s0};
}

std::function<void()> Bench::dd(const std::vector<std::string>& args) const {
  return [this, args] {
    std::vector<std::string> all = args;
    all.push_back("status=none");
    run(dd_, all);
  };
}

Bench::Stats Bench::raw(std::vector<std::string> args) {
  args.insert(args.begin(), {"--da", da_});
  return key_values(run(program("mtkfs-bench-raw"), args));
}

// Runs mtkfs-bench-raw reps times, adds the median row; returns the median host CPU per GiB.
std::string Bench::raw_rows(const std::string& label, const std::string& note, const std::vector<std::string>& args) {
  std::vector<Run> runs;
  for (int i = 0; i < s_.reps; ++i) {
    const auto kv = raw(args);
    runs.push_back({need(kv, "mbps"), need(kv, "host_cpu_per_gib"), need(kv, "sim_cpu_per_gib")});
  }
  const Run m = median_of(runs);
  const std::string spread = spread_of(runs);
  row("1", label, m[0] + " MB/s", m[1], m[2],
      note + (spread.empty() ? "" : "; " + std::to_string(s_.reps) + " runs: " + spread + " MB/s"));
  return m[1];
}

double Bench::reads_per_gib(const Stats& stats) {
  const double bytes = number(stats.at("device_read_bytes"));
  return bytes == 0 ? 0.0 : number(stats.at("device_reads")) * GiB / bytes;
}

// The DA file and pattern-filled images (every byte known, in the page cache) with the NW-A50's GPT; the
// largest partition (for cp) and where the write rows write (inside it, MiB aligned); then, after an
// optional wait for a quiet machine, the socket simulator most rows use.
void Bench::prepare_devices() {
  const std::string sim = program("mtkfs-sim");
  std::fprintf(stderr, "== creating simulated devices in %s\n", work_.c_str());
  run(sim, {"make-da", da_});
  device_ = work_ / "p";
  run(sim, {"init", device_.string(), "--pattern", "--user-size", std::to_string(s_.user)});
  img_ = device_ / "user.img";
  const int fd = ::open(img_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Failure("cannot open " + img_.string());
  const auto table = mtkfs::partition::read_table(
      [fd](std::uint64_t offset, std::span<std::uint8_t> out) {
        if (::pread(fd, out.data(), out.size(), static_cast<off_t>(offset)) != static_cast<ssize_t>(out.size()))
          throw Failure("short read of the image");
      },
      fs::file_size(img_));
  ::close(fd);
  for (const auto& e : table.extents)
    if (e.size > part_.size) part_ = e;
  if (part_.size == 0) throw Failure("no partition table in " + img_.string());
  write_offset_ = (part_.offset + MiB - 1) / MiB * MiB;
  const std::uint64_t room = (part_.offset + part_.size - write_offset_) / MiB * MiB;
  s_.write = std::min(s_.write, room);
  write_bin_ = shm_ / "write.bin";
  write_file(write_bin_, s_.write, true);

  for (int waited = 0; load1() >= 1.5 && waited < s_.idle_wait; waited += 10) {
    if (waited == 0)
      std::fprintf(stderr, "== waiting up to %d s for a load average below 1.5 (now %.2f)\n", s_.idle_wait, load1());
    std::this_thread::sleep_for(10s);
  }
  load_start_ = load3();
  std::fprintf(stderr, "== measuring (load average %s)\n", load_start_.c_str());
  sock_ = (work_ / "p.sock").string();
  start_sim(sock_sim_, {"--dir", device_.string(), "--socket", sock_});
  sock_pid_ = sock_sim_->pid();
}

// Section 1: raw DA session reads (no FUSE). The pty data phase and the plain pty copy (section 5)
// alternate, so both see the same machine.
void Bench::raw_reads() {
  std::fprintf(stderr, "== 1. raw session reads\n");
  raw_socket_cpu_ =
      raw_rows("raw read, socket, user area " + human(s_.user), "Device::read of 32 MiB (one D6 each)",
               {"--socket", sock_, "--sim-pid", std::to_string(sock_pid_), "--size", std::to_string(s_.user),
                "--compare", img_.string()});
  raw_rows("raw read, USB model in process, user area " + human(s_.user),
           "PacketStreamTransport over sim::UsbDeviceModel; sim = the model's thread",
           {"--usb-model", device_.string(), "--size", std::to_string(s_.user), "--compare", img_.string()});
  {
    std::optional<SimProcess> pty_sim;
    start_sim(pty_sim, {"--dir", device_.string(), "--pty"});
    for (int i = 0; i < s_.pty_reps; ++i) {
      const auto base = key_values(run(program("mtkfs-bench-pty-baseline"), {std::to_string(s_.pty)}));
      base_runs_.push_back({need(base, "mbps"), need(base, "reader_cpu_per_gib")});
      const auto kv = raw({"--port", pty_sim->pty_path(), "--sim-pid", std::to_string(pty_sim->pid()), "--size",
                           std::to_string(s_.pty), "--compare", img_.string()});
      pty_runs_.push_back({need(kv, "mbps"), need(kv, "host_cpu_per_gib"), need(kv, "sim_cpu_per_gib")});
    }
  }
  const Run pty = best_of(pty_runs_);
  const std::string spread = spread_of(pty_runs_);
  row("1", "raw read, pty, " + human(s_.pty), pty[0] + " MB/s", pty[1], pty[2],
      "data phase only (connect excluded)" +
          (spread.empty() ? "" : "; best of " + std::to_string(s_.pty_reps) + " runs: " + spread + " MB/s"));
}

// Section 2: dd, the same dd with the page cache, cp of a partition, dd writes.
void Bench::mount_reads_and_writes() {
  std::fprintf(stderr, "== 2. through the mount\n");
  const std::string user_area = (mnt_ / "user_area.img").string();
  std::vector<Run> dd_runs;
  for (int n = 1; n <= s_.dd_reps; ++n) {
    auto m = mount(sock_, {});
    const Measured r = measure(m->pid(), sock_pid_, dd({"if=" + user_area, "of=/dev/null", "bs=1M"}));
    dd_runs.push_back({mbps(s_.user, r.seconds), per_gib(r.mtkfs_cpu, s_.user), per_gib(r.sim_cpu, s_.user)});
    if (n == 1) compare_files(user_area, 0, img_, 0, s_.user, "user_area.img differs from the device image");
    const auto st = unmount(m);
    hwm_default_ = std::max(hwm_default_, number(st.at("max_rss_kib")));
    if (n == 1) reads_default_ = reads_per_gib(st);
  }
  mount_fig_ = median_of(dd_runs);
  const std::string spread = spread_of(dd_runs);
  row("2", "dd user_area.img of=/dev/null bs=1M (" + human(s_.user) + ")", mount_fig_[0] + " MB/s", mount_fig_[1],
      mount_fig_[2],
      "default cache (256 MiB), direct I/O" +
          (spread.empty() ? "" : "; " + std::to_string(s_.dd_reps) + " runs: " + spread + " MB/s"));

  // The same with the kernel's page cache (-o page_cache), the mode direct I/O replaced as the default.
  {
    auto m = mount(sock_, {"-o", "page_cache"});
    const Measured r = measure(m->pid(), sock_pid_, dd({"if=" + user_area, "of=/dev/null", "bs=1M"}));
    row("2", "the same dd with -o page_cache", mbps(s_.user, r.seconds) + " MB/s", per_gib(r.mtkfs_cpu, s_.user),
        per_gib(r.sim_cpu, s_.user), "one run; 128 KiB kernel read-ahead requests");
    unmount(m);
  }
  {
    auto m = mount(sock_, {});
    // The copy's tmpfs pages are touched once beforehand: on this VM, memory nobody has used yet costs a
    // host page fault per page (virtio-balloon), and that is cp's cost, not mtkfs's (docs/performance.md).
    const fs::path copy = shm_ / "copy.img";
    write_file(copy, (part_.size / MiB + 1) * MiB, false);
    fs::remove(copy);
    const Measured r = measure(m->pid(), sock_pid_, [&] {
      run(cp_, {(mnt_ / "partitions" / (part_.name + ".img")).string(), copy.string()});
    });
    row("2", "cp partitions/" + part_.name + ".img (" + human(part_.size) + ")",
        mbps(part_.size, r.seconds) + " MB/s", per_gib(r.mtkfs_cpu, part_.size), per_gib(r.sim_cpu, part_.size),
        "to /dev/shm");
    compare_files(copy, 0, img_, part_.offset, part_.size, "the copy of " + part_.name + ".img differs");
    fs::remove(copy);
    unmount(m);
  }
  auto m = mount(sock_, {"--rw"});
  const Measured r = measure(m->pid(), sock_pid_,
                             dd({"if=" + write_bin_.string(), "of=" + user_area, "bs=1M",
                                 "seek=" + std::to_string(write_offset_ / MiB), "conv=fsync,notrunc"}));
  row("2", "dd write --rw bs=1M conv=fsync,notrunc (" + human(s_.write) + ")", mbps(s_.write, r.seconds) + " MB/s",
      per_gib(r.mtkfs_cpu, s_.write), per_gib(r.sim_cpu, s_.write), "into " + part_.name + ", incl. fsync");
  const auto st = unmount(m);
  compare_files(write_bin_, 0, img_, write_offset_, s_.write, "the written bytes are not on the device");
  writes_ = st.at("device_writes") + " device writes";
}

// Section 2, full mode only: the 16 GB-class eMMC, the NW-A50's real user-area size. Sparse images in tmpfs:
// reading a hole there maps the zero page (on a disk file system every hole read would fill the page cache
// with 16 GB of zeros).
void Bench::full_emmc_read() {
  const fs::path full = shm_ / "full";
  run(program("mtkfs-sim"), {"init", full.string(), "--profile", "nw-a50-full"});
  std::optional<SimProcess> full_sim;
  const std::string full_sock = (work_ / "full.sock").string();
  start_sim(full_sim, {"--dir", full.string(), "--socket", full_sock});
  const std::uint64_t full_bytes = fs::file_size(full / "user.img");
  auto m = mount(full_sock, {});
  const std::string user_area = (mnt_ / "user_area.img").string();
  const Measured r = measure(m->pid(), full_sim->pid(), dd({"if=" + user_area, "of=/dev/null", "bs=1M"}));
  row("2", "dd user_area.img of a full NW-A50 eMMC (" + format("%.1f GB", static_cast<double>(full_bytes) / 1e9) + ")",
      mbps(full_bytes, r.seconds) + " MB/s in " + format("%.1f", r.seconds) + " s", per_gib(r.mtkfs_cpu, full_bytes),
      per_gib(r.sim_cpu, full_bytes), "sparse image in tmpfs (mostly zeros)");
  unmount(m);
}

}  // namespace mtkfs::bench::driver
