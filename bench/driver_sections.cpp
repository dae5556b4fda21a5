// Sections 3 (the usb2-hs link model) to 6 (start to mounted), the targets and the table.
#include <sys/mount.h>
#include <sys/utsname.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <sstream>
#include <thread>

#include "bench/bench_util.h"
#include "bench/driver_bench.h"

namespace mtkfs::bench::driver {

using namespace std::chrono_literals;
using mtkfs::testing::SimProcess;

std::string Bench::run_all() {
  prepare_devices();
  raw_reads();
  mount_reads_and_writes();
  usbdevfs_row(false);
  if (!quick_) full_emmc_read();
  link_model();
  usbdevfs_row(true);
  cache_rows();
  pty_baseline_row();
  startup_row();
  sparse_backup_rows();
  sock_sim_.reset();
  load_end_ = load3();
  return table();
}

// The model (sim/README.md): 40 MB/s shared by both directions + 150 us per unit. A 1 MiB D6/62 chunk
// costs at least three units (data, checksum, the host's ACK / the host's ACK, data, CONT).
void Bench::link_model() {
  std::fprintf(stderr, "== 3. usb2-hs link model\n");
  const double model = 1048576.0 / (1048576.0 / 40e6 + 3 * 150e-6) / 1e6;
  const std::string model_text = format("%.2f", model);
  auto pct = [&](std::uint64_t bytes, double seconds) {
    return format("%.1f", 100.0 * static_cast<double>(bytes) / seconds / 1e6 / number(model_text));
  };
  const std::string user_area = (mnt_ / "user_area.img").string();
  {
    std::optional<SimProcess> hs_sim;
    const std::string hs_sock = (work_ / "hs.sock").string();
    start_sim(hs_sim, {"--dir", device_.string(), "--socket", hs_sock, "--link-model", "usb2-hs"});
    auto m = mount(hs_sock, {});
    Measured r = measure(m->pid(), hs_sim->pid(),
                         dd({"if=" + user_area, "of=/dev/null", "bs=1M", "count=" + std::to_string(s_.hs / MiB)}));
    hs_read_pct_ = pct(s_.hs, r.seconds);
    row("3", "usb2-hs read through the mount (" + human(s_.hs) + ")",
        mbps(s_.hs, r.seconds) + " MB/s = " + hs_read_pct_ + " % of " + model_text, per_gib(r.mtkfs_cpu, s_.hs), "-",
        "model bandwidth for 1 MiB chunks");
    unmount(m);
    m = mount(hs_sock, {"--rw"});
    r = measure(m->pid(), hs_sim->pid(),
                dd({"if=" + write_bin_.string(), "of=" + user_area, "bs=1M", "count=" + std::to_string(s_.hs / MiB),
                    "seek=" + std::to_string(write_offset_ / MiB), "conv=fsync,notrunc"}));
    hs_write_pct_ = pct(s_.hs, r.seconds);
    row("3", "usb2-hs write through the mount (" + human(s_.hs) + ")",
        mbps(s_.hs, r.seconds) + " MB/s = " + hs_write_pct_ + " % of " + model_text, per_gib(r.mtkfs_cpu, s_.hs),
        "-", "incl. fsync");
    unmount(m);
  }
  const auto kv = raw({"--usb-model", device_.string(), "--link-model", "usb2-hs", "--size",
                       std::to_string(s_.hs_raw), "--compare", img_.string()});
  row("3", "usb2-hs raw read, USB model in process (" + human(s_.hs_raw) + ")",
      need(kv, "mbps") + " MB/s = " + format("%.1f", 100.0 * number(need(kv, "mbps")) / number(model_text)) +
          " % of " + model_text,
      need(kv, "host_cpu_per_gib"), "-", "no cache, no FUSE");
}

// Section 4: what the cache does with the device (commands, transfers, random reads, memory).
void Bench::cache_rows() {
  std::fprintf(stderr, "== 4. the cache\n");
  {
    const auto kv = raw({"--usb-model", device_.string(), "--through-cache", "--size", std::to_string(s_.cached),
                         "--compare", img_.string()});
    row("4", "sequential read through the cache, USB model (" + human(s_.cached) + ")",
        need(kv, "da_commands_per_gib") + " DA READ/GiB, " + need(kv, "usb_in_per_gib") + " IN + " +
            need(kv, "usb_out_per_gib") + " OUT transfers/GiB",
        need(kv, "host_cpu_per_gib"), need(kv, "sim_cpu_per_gib"), need(kv, "mbps") + " MB/s; 64 KiB IN transfers");
  }
  row("4", "DA READ commands per GiB, dd through the mount (256 MiB cache)", format("%.1f", reads_default_), "", "",
      "mtkfs --stats-file");
  const std::string user_area = (mnt_ / "user_area.img").string();
  {
    auto m = mount(sock_, {});
    const auto kv = key_values(run(program("mtkfs-bench-random"),
                                   {user_area, "--compare", img_.string(), "--count", std::to_string(s_.random_count),
                                    "--rounds", std::to_string(s_.random_rounds)}));
    row("4", "random 4 KiB reads (O_DIRECT), cold / warm",
        need(kv, "cold_iops") + " / " + need(kv, "warm_iops") + " per s", "", "",
        "cold: " + std::to_string(s_.random_count) + " different 1 MiB blocks; warm: the same again, " +
            std::to_string(s_.random_rounds) + " rounds");
    unmount(m);
  }
  {
    auto m = mount(sock_, {"-o", "cache_size=64M"});
    const Measured r = measure(m->pid(), sock_pid_, dd({"if=" + user_area, "of=/dev/null", "bs=1M"}));
    const auto st = unmount(m);
    hwm_64_ = number(st.at("max_rss_kib"));
    row("4", "dd through the mount with -o cache_size=64M",
        mbps(s_.user, r.seconds) + " MB/s, " + format("%.1f", reads_per_gib(st)) + " DA READ/GiB",
        per_gib(r.mtkfs_cpu, s_.user), per_gib(r.sim_cpu, s_.user), "read-ahead window 16 MiB");
  }
  // Bound: the cache, the I/O thread's transfer buffer (32 MiB) and the rest of the process (~20 MiB).
  row("4", "peak memory VmHWM of mtkfs, default / cache_size=64M",
      format("%.0f", std::floor(hwm_default_ / 1024)) + " MiB / " + format("%.0f", std::floor(hwm_64_ / 1024)) +
          " MiB",
      "", "", "bound: cache + 32 MiB transfer buffer + ~20 MiB");
}

// Section 5: the plain pty copy, measured in turns with the pty data phase of section 1.
void Bench::pty_baseline_row() {
  const Run pty = best_of(pty_runs_), base = best_of(base_runs_);
  const std::string pty_pct = format("%.0f", 100.0 * number(pty[0]) / number(base[0]));
  const std::string spread = spread_of(base_runs_);
  row("5", "plain pty copy, 1 MiB writes / raw reads (" + human(s_.pty) + ")", base[0] + " MB/s", base[1], "-",
      "pty data phase (row 1) = " + pty_pct + " % of it" +
          (spread.empty() ? "" : "; best of " + std::to_string(s_.pty_reps) + " runs: " + spread + " MB/s"));
}

// Section 6: from starting mtkfs (background mode) to its return with the file system mounted.
void Bench::startup_row() {
  std::fprintf(stderr, "== 6. startup\n");
  const auto timing = key_values(run(program("mtkfs-bench-raw"), {"--print-timing"}));
  const fs::path startup_stats = work_ / "startup-stats.json";
  fs::remove(startup_stats);
  const auto t0 = mtkfs::bench::Clock::now();
  run(program("mtkfs"), {"--socket", sock_, "--da", da_, "--log-file", (work_ / "startup.log").string(),
                         "--stats-file", startup_stats.string(), mnt_.string()});
  const double startup = mtkfs::bench::seconds_since(t0);
  // The daemon is not our child: unmount, then wait (bounded) for its statistics file, its last act.
  // One request first: mtkfs returns once the mount exists, and an unmount before its loop answered the
  // kernel's INIT can end the session with an aborted connection (seen once in CI, exit status 1).
  std::error_code ignored;
  (void)fs::status(mnt_ / "device.txt", ignored);
  for (int i = 0; i < 250 && ::umount2(mnt_.c_str(), 0) != 0; ++i) std::this_thread::sleep_for(20ms);
  for (int i = 0; i < 500 && !fs::exists(startup_stats); ++i) std::this_thread::sleep_for(20ms);
  const auto st = read_stats(startup_stats);
  if (st.at("exit_status") != "0") throw Failure("mtkfs (background mode) exit_status " + st.at("exit_status"));
  const std::string fc = need(timing, "hw_sw_ver_delay_ms"), config = need(timing, "stage2_config_delay_ms"),
                    final_ack = need(timing, "stage2_final_ack_delay_ms");
  const long pauses = std::atol(fc.c_str()) + std::atol(config.c_str()) + std::atol(final_ack.c_str());
  row("6", "start to mounted (mtkfs returns, background mode)", format("%.3f", startup) + " s", "", "",
      "fixed host pauses " + std::to_string(pauses) + " ms: FC " + fc + " + stage-2 config " + config +
          " + final 5A " + final_ack + "; connect " + format("%.3f", number(st.at("connect_seconds"))) +
          " s (--stats-file)");
}

namespace {

std::string machine_line() {
  std::string cpu_model = "unknown CPU";
  std::istringstream cpu(read_text("/proc/cpuinfo"));
  for (std::string line; std::getline(cpu, line);)
    if (line.rfind("model name", 0) == 0) {
      cpu_model = line.substr(line.find(':') + 2);
      break;
    }
  double mem_kib = 0;
  std::istringstream mem(read_text("/proc/meminfo"));
  std::string key;
  mem >> key >> mem_kib;
  utsname u{};
  ::uname(&u);
  return "machine: " + cpu_model + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores, " +
         format("%.0f GiB", mem_kib / 1048576) + ", Linux " + u.release + "\n";
}

}  // namespace

std::string Bench::table() {
  const std::string pty_pct =
      format("%.0f", 100.0 * number(best_of(pty_runs_)[0]) / number(best_of(base_runs_)[0]));
  target("through the mount against the socket sim >= 1 GB/s", mount_fig_[0] + " MB/s", number(mount_fig_[0]) >= 1000);
  target("mtkfs <= 0.5 CPU-s per GiB read (mount / raw socket)", mount_fig_[1] + " / " + raw_socket_cpu_,
         number(mount_fig_[1]) <= 0.5);
  target("pty data phase >= 80 % of the plain pty copy", pty_pct + " %", number(pty_pct) >= 80);
  target(">= 90 % of the usb2-hs model, reads / writes", hs_read_pct_ + " % / " + hs_write_pct_ + " %",
         number(hs_read_pct_) >= 90 && number(hs_write_pct_) >= 90);
  target("<= 64 READ commands per GiB sequential (default cache)", format("%.1f", reads_default_),
         reads_default_ <= 64);
  target("peak memory with cache_size=64M <= 64 + 32 + 20 MiB", format("%.0f", std::floor(hwm_64_ / 1024)) + " MiB",
         hwm_64_ <= (64 + 32 + 20) * 1024);

  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%MZ", std::gmtime(&now));
  std::string t;
  t += "\nmtkfs benchmark (" + std::string(quick_ ? "quick" : "full") + " run, " + date + ")\n";
  t += machine_line();
  t += "load average (1/5/15 min): " + load_start_ + " at the start, " + load_end_ + " at the end\n";
  t += "CPU columns: CPU-seconds per GiB moved (mtkfs side / simulator side), all from the kernel's CPU-time "
       "clocks (clock_gettime of the process, all threads; of the model's thread for the in-process USB model) "
       "read before and after the measured step; mtkfs " + writes_ + " in the write row\n\n";
  t += "| # | measurement | result | mtkfs CPU-s/GiB | sim CPU-s/GiB | notes |\n";
  t += "|---|---|---|---|---|---|\n";
  for (const auto& r : rows_) t += r + "\n";
  t += "| | **target** | **measured** | **status** | | |\n";
  for (const auto& r : targets_) t += r + "\n";
  return t;
}

}  // namespace mtkfs::bench::driver
