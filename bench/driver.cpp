// mtkfs-bench: the benchmark of mtkfs against mtkfs-sim, all figures from one run, printed as ONE table
// (docs/performance.md explains every row and what limits it). scripts/bench.sh builds it and runs it.
//   1 raw DA session reads (no FUSE) over the socket, the in-process USB model and a pty
//   2 through the mount: dd of user_area.img, cp of a partition, dd writes (--rw, conv=fsync,notrunc),
//     and (default mode) dd of a whole 16 GB-class eMMC (the NW-A50 profile, 0x3AB400000 bytes)
//   3 the usb2-hs link model: fraction of its bandwidth reached, reads and writes
//   4 the cache: DA READ commands and USB transfers per GiB, random 4 KiB reads, peak memory
//   5 a plain pty copy (mtkfs-bench-pty-baseline) against the pty data phase
//   6 time from start to mounted, with the host's fixed pauses
// Figures come from the programs' machine-readable output only: mtkfs --stats-file (JSON), the key=value
// line of the mtkfs-bench-* programs, and the kernel's CPU clocks of the processes (bench/bench_util.h).
// No log text is read (logs are kept in the work directory for people when something fails).
// The process runners are the header-only ones of the tests (tests/support, tests/cli; no gtest).
#include <sys/mount.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "bench/driver_bench.h"

namespace {

namespace fs = std::filesystem;
using mtkfs::bench::driver::Bench;

std::string self_directory() {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  return error ? "." : self.parent_path().string();
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string bin = self_directory();
  CLI::App app{
      "mtkfs-bench: the performance of mtkfs against mtkfs-sim, printed as one table (docs/performance.md).\n"
      "Run as root (it mounts FUSE file systems), usually through scripts/bench.sh.\n"
      "Fails (exit 1) only when something is broken (a program exits non-zero, bytes differ), never because "
      "of a timing.\n"
      "Environment: MTKFS_BENCH_DIR (work directory, default a new one in /tmp), MTKFS_BENCH_IDLE_WAIT\n"
      "(seconds to wait for a 1-minute load average below 1.5 before measuring; default 600, --quick 0),\n"
      "MTKFS_BENCH_TABLE (also write the table to this file)."};
  app.add_flag("--quick", quick, "small sizes for CI (well under 60 s); the table has the same rows except the "
                                 "16 GB-class eMMC");
  app.add_option("--bin", bin, "directory of mtkfs, mtkfs-sim and the mtkfs-bench-* programs")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (::geteuid() != 0) {
    std::fprintf(stderr, "mtkfs-bench: run as root (it mounts FUSE file systems)\n");
    return 1;
  }
  if (::access("/dev/fuse", F_OK) != 0) {
    std::fprintf(stderr, "mtkfs-bench: /dev/fuse is missing\n");
    return 1;
  }
  for (const char* p : {"mtkfs", "mtkfs-sim", "mtkfs-bench-raw", "mtkfs-bench-pty-baseline", "mtkfs-bench-random"}) {
    if (::access((fs::path(bin) / p).c_str(), X_OK) != 0) {
      std::fprintf(stderr, "mtkfs-bench: %s/%s is missing\n", bin.c_str(), p);
      return 1;
    }
  }
  // The test runners (tests/support) find the programs here.
  ::setenv("MTKFS_BIN", (fs::path(bin) / "mtkfs").c_str(), 1);
  ::setenv("MTKFS_SIM_BIN", (fs::path(bin) / "mtkfs-sim").c_str(), 1);

  // A work directory made here is removed at the end unless something failed (its logs tell what).
  fs::path work;
  bool own_work = false;
  if (const char* dir = std::getenv("MTKFS_BENCH_DIR"); dir && *dir) {
    work = dir;
    fs::create_directories(work);
  } else {
    std::string templ = "/tmp/mtkfs-bench.XXXXXX";
    if (!::mkdtemp(templ.data())) return 1;
    work = templ;
    own_work = true;
  }
  std::string shm_templ = "/dev/shm/mtkfs-bench.XXXXXX";  // copies and write data: RAM, so no disk in the figures
  if (!::mkdtemp(shm_templ.data())) {
    std::fprintf(stderr, "mtkfs-bench: cannot create a directory in /dev/shm\n");
    return 1;
  }
  const fs::path shm = shm_templ;

  bool failed = false;
  std::string table;
  try {
    Bench bench(quick, bin, work, shm);
    table = bench.run_all();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mtkfs-bench: %s\n", e.what());
    failed = true;
  }
  if (mtkfs::testing::is_mtkfs_mount(work / "mnt")) ::umount2((work / "mnt").c_str(), MNT_DETACH);
  std::error_code ignored;
  fs::remove_all(shm, ignored);
  if (failed) {
    std::fprintf(stderr, "mtkfs-bench: logs are in %s\n", work.c_str());
    return 1;
  }
  std::fputs(table.c_str(), stdout);
  std::fflush(stdout);
  std::ofstream(work / "bench-table.md") << table;
  if (const char* copy = std::getenv("MTKFS_BENCH_TABLE"); copy && *copy) std::ofstream(copy) << table;
  if (own_work) fs::remove_all(work, ignored);
  return 0;
}
