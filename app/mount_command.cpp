#include "app/mount_command.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "cache/cache.h"
#include "da/block_device.h"
#include "app/background.h"
#include "fuse/filesystem.h"
#include "app/logging.h"
#include "app/stats_file.h"
#include "partition/partition_table.h"

namespace mtkfs::cli {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Before the device is touched: a wrong mountpoint must not cost a handshake.
void check_mountpoint(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw std::runtime_error("mountpoint " + path + ": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) throw std::runtime_error("mountpoint " + path + " is not a directory");
}

// A device that refuses one command (a NACK; the session goes on) must not cost the whole mount: the
// table's sectors are asked for again. A lost link or a device that keeps refusing still fails it.
constexpr int kTableReadAttempts = 3;

void read_table_sectors(cache::Cache& cache, std::uint64_t offset, std::span<std::uint8_t> out) {
  for (int attempt = 1;; ++attempt) {
    try {
      cache.read(da::HwPartition::user, offset, out);
      return;
    } catch (const da::LinkLostError&) {
      throw;
    } catch (const da::DeviceError& e) {
      if (attempt == kTableReadAttempts) throw;
      spdlog::warn("reading the partition table at byte {}: {} (attempt {} of {}; trying again)", offset, e.what(),
                   attempt, kTableReadAttempts);
    }
  }
}

partition::Table read_partitions(cache::Cache& cache) {
  const std::uint64_t size = cache.size(da::HwPartition::user);
  partition::Table table = partition::read_table(
      [&cache](std::uint64_t offset, std::span<std::uint8_t> out) { read_table_sectors(cache, offset, out); },
      size);
  for (const auto& warning : table.warnings) spdlog::warn("partition table: {}", warning);
  return table;
}

std::string access_text(const fusefs::FsOptions& o) {
  if (!o.writable) return "read-only";
  return o.write_boot ? "read-write, boot partitions writable" : "read-write, boot partitions read-only";
}

void log_statistics(const std::string& mountpoint, const cache::CacheStats& s) {
  const double reads_per_gib =
      s.device_read_bytes == 0 ? 0.0 : static_cast<double>(s.device_reads) * kGiB / static_cast<double>(s.device_read_bytes);
  spdlog::info(
      "unmounted {}: read {} bytes in {} DA READ commands ({:.1f} per GiB), wrote {} bytes in {} device "
      "writes; cache {} hits, {} misses, {} blocks read ahead, peak {} bytes",
      mountpoint, s.device_read_bytes, s.device_reads, reads_per_gib, s.device_write_bytes, s.device_writes,
      s.hits, s.misses, s.prefetched_blocks, s.peak_resident_bytes);
  if (s.link_lost) spdlog::error("the link to the device was lost: {}", s.link_lost_reason);
  if (s.unwritten_bytes() != 0)
    spdlog::error("{} bytes written to {} never reached the device", s.unwritten_bytes(), mountpoint);
}

// Connected device -> mounted and served until the unmount. Returns the exit status; the mount time
// and the cache's statistics go to `figures`.
int mount_and_serve(const MountPlan& plan, da::Device& device, StartupReport* report,
                    const LogVerbosity& verbosity, Clock::time_point start, SessionFigures& figures) {
  cache::Cache cache(device, plan.cache);
  const partition::Table table = read_partitions(cache);
  fusefs::FuseMount mount(plan.mountpoint, plan.fs);
  spdlog::info("mounted the eMMC at {} ({}; {} partition table, {} partitions; cache {} MiB)", plan.mountpoint,
               access_text(plan.fs), partition::scheme_name(table.scheme), table.extents.size(),
               plan.cache.cache_size >> 20);
  figures.mount_seconds = seconds_since(start);
  if (report) {
    report->detach();
    if (plan.log_file.empty()) log_to_syslog(verbosity);
  }
  const int loop_status = fusefs::run_filesystem(mount, plan.fs, cache, table.extents);
  const cache::CacheStats stats = cache.stats();
  figures.cache = stats;
  log_statistics(plan.mountpoint, stats);
  return loop_status != 0 || stats.unwritten_bytes() != 0 ? 1 : 0;
}

bool end_session(da::Device& device, da::EndMode end) {
  try {
    device.close(end);
    return true;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return false;
  }
}

}  // namespace

int run_mount(const MountPlan& plan, const ConnectionOptions& connection, da::EndMode end) {
  const Clock::time_point start = Clock::now();
  check_mountpoint(plan.mountpoint);
  const LogVerbosity verbosity{connection.quiet, connection.verbosity};
  if (!plan.log_file.empty()) log_to_file(plan.log_file, verbosity);
  // Loads the DA file now: a wrong --da is reported before any fork or device wait.
  const auto device = make_device(connection);

  StartupReport report;
  if (!plan.foreground) {
    // Nothing has started a thread or a USB context yet (the Device only holds the DA file).
    if (const auto parent_status = fork_into_background(report)) return *parent_status;
  }
  SessionFigures figures;
  figures.cache_size = plan.cache.cache_size;
  // --stats-file: written once the session has ended, whatever the outcome (exit_status says it).
  auto finish = [&](int status) {
    figures.exit_status = status;
    figures.session_seconds = seconds_since(start);
    if (!plan.stats_file.empty() && !write_stats_file(plan.stats_file, figures)) return 1;
    return status;
  };
  const Clock::time_point connect_start = Clock::now();
  try {
    device->connect();
  } catch (const std::exception&) {
    finish(1);
    throw;
  }
  figures.connect_seconds = seconds_since(connect_start);
  int status = 1;
  try {
    status = mount_and_serve(plan, *device, plan.foreground ? nullptr : &report, verbosity, start, figures);
  } catch (const std::exception& e) {
    // After detaching, stderr is /dev/null: the log is the only place the reason can go.
    if (report.detached()) spdlog::error("{}", e.what());
    end_session(*device, end);  // leave the device as asked even when the mount failed
    finish(1);
    throw;
  }
  if (!end_session(*device, end)) status = 1;
  return finish(status);
}

}  // namespace mtkfs::cli
