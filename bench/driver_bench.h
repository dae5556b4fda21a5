// The benchmark run itself: one Bench measures every row of the table (docs/performance.md) in one go.
// Sections: 1 raw session reads, 2 through the mount, 3 the usb2-hs link model, 4 the cache, 5 the plain
// pty copy, 6 start to mounted, 7 sparse backups (skip_free). Figures come only from the programs'
// machine-readable output (mtkfs --stats-file, the key=value line of the mtkfs-bench-* programs), the
// processes' CPU clocks and, in section 7, the backup files' allocated blocks.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/driver_util.h"
#include "partition/partition_table.h"
#include "tests/support/mount_process.h"
#include "tests/support/sim_process.h"

namespace mtkfs::bench::driver {

struct Sizes {
  std::uint64_t user, pty, cached, write, hs, hs_raw;
  int random_count, random_rounds, reps, pty_reps, dd_reps, idle_wait;
};

class Bench {
 public:
  Bench(bool quick, fs::path bin, fs::path work, fs::path shm);
  // Measures everything and returns the table (markdown).
  std::string run_all();

 private:
  using Stats = std::map<std::string, std::string>;
  struct Measured {
    double seconds, mtkfs_cpu, sim_cpu;
  };

  // --- sections (driver_bench.cpp: setup, 1, 2; driver_sections.cpp: 3 to 6 and the table)
  void prepare_devices();
  void raw_reads();
  void mount_reads_and_writes();
  void full_emmc_read();
  void link_model();
  void usbdevfs_row(bool usb2_hs);  // driver_usb.cpp
  void cache_rows();
  void pty_baseline_row();
  void startup_row();
  void sparse_backup_rows();     // driver_sparse.cpp
  fs::path factory_reset_device();
  std::string table();

  // --- tools
  std::string program(const std::string& name) const { return (bin_ / name).string(); }
  void row(const std::string& section, const std::string& measurement, const std::string& result,
           const std::string& mtkfs_cpu, const std::string& sim_cpu, const std::string& note);
  void target(const std::string& text, const std::string& measured, bool met);
  mtkfs::testing::SimProcess& start_sim(std::optional<mtkfs::testing::SimProcess>& slot,
                                        const std::vector<std::string>& args);
  std::unique_ptr<mtkfs::testing::MountProcess> mount(const std::string& socket, const std::vector<std::string>& extra);
  Stats unmount(std::unique_ptr<mtkfs::testing::MountProcess>& m);
  fs::path stats_file() const { return work_ / "mtkfs-stats.json"; }
  static Measured measure(pid_t mtkfs, pid_t sim, const std::function<void()>& step);
  std::function<void()> dd(const std::vector<std::string>& args) const;
  Stats raw(std::vector<std::string> args);
  std::string raw_rows(const std::string& label, const std::string& note, const std::vector<std::string>& args);
  static double reads_per_gib(const Stats& stats);

  bool quick_;
  fs::path bin_, work_, shm_, mnt_;
  std::string da_, dd_ = find_program("dd"), cp_ = find_program("cp");
  Sizes s_{};
  std::vector<std::string> rows_, targets_;

  // --- what the sections share
  fs::path device_, img_, write_bin_;
  mtkfs::partition::Extent part_;  // the largest partition: cp reads it, the write rows write into it
  std::uint64_t write_offset_ = 0;
  std::string sock_, load_start_, load_end_;
  std::optional<mtkfs::testing::SimProcess> sock_sim_;
  pid_t sock_pid_ = 0;
  std::string raw_socket_cpu_, writes_;
  std::vector<Run> pty_runs_, base_runs_;
  Run mount_fig_;
  double hwm_default_ = 0, hwm_64_ = 0, reads_default_ = 0;
  std::string hs_read_pct_, hs_write_pct_;
};

}  // namespace mtkfs::bench::driver
