#include "fuse/status_text.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <spdlog/fmt/fmt.h>

#include "cache/throughput.h"

namespace mtkfs::fusefs {
namespace {

constexpr const char* kLabelFormat = "{:<15}";  // values start in column 16

std::string plural(std::uint64_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string bytes_with_size(std::uint64_t bytes) {
  return bytes < 1024 ? plural(bytes, "byte", "bytes") : fmt::format("{} bytes ({})", bytes, binary_size(bytes));
}

std::string duration(double seconds) {
  const auto s = static_cast<std::uint64_t>(std::max(seconds, 0.0));
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return fmt::format("{} min {} s", s / 60, s % 60);
  return fmt::format("{} h {} min", s / 3600, s % 3600 / 60);
}

std::string mb_per_second(double bytes_per_second) { return fmt::format("{:.1f} MB/s", bytes_per_second / 1e6); }

// One line of the text; the reason of a lost link may hold anything, so no line break gets through.
void line(std::string& out, const char* label, std::string value) {
  std::replace(value.begin(), value.end(), '\n', ' ');
  out += fmt::format(kLabelFormat, std::string(label) + ":");
  out += value;
  out += '\n';
}

// The one line a user who restored with dd reads before unplugging.
std::string unwritten(const cache::CacheStats& s) {
  const std::uint64_t bytes = s.unwritten_bytes();
  if (bytes == 0) return "0 bytes (all data is on the device)";
  if (s.lost_dirty_bytes > 0)
    return bytes_with_size(bytes) + " NEVER reached the device: the link was lost before they were written";
  if (s.write_failures > 0)
    return bytes_with_size(bytes) + " NOT on the device: still in the cache, and " +
           plural(s.write_failures, "device write has", "device writes have") +
           " failed (see the log); fsync, close or the unmount tries again. Do not unplug";
  return bytes_with_size(bytes) + " not on the device yet: in the cache; fsync, close or the unmount writes them";
}

std::string link_state(const StatusFigures& f) {
  const cache::CacheStats& s = f.cache;
  if (s.link.state == da::LinkStatus::State::reconnecting) {
    const auto left = std::chrono::ceil<std::chrono::seconds>(s.link.deadline - f.now).count();
    return fmt::format(
        "reconnecting: the device was lost ({}); hold Volume Down + Play and plug it in again within {} s to "
        "continue (I/O waits meanwhile)",
        s.link.reason, std::max<long long>(0, left));
  }
  if (s.link_lost || s.link.state == da::LinkStatus::State::lost)
    return "lost (" + (s.link_lost ? s.link_lost_reason : s.link.reason) + "); unmount, then mount again";
  return "connected";
}

std::string reconnects(const da::LinkStatus& link) {
  if (link.reconnects == 0) return "0";
  return fmt::format("{} (the last: {:.1f} s without the device; I/O flowed again {:.2f} s after it answered)",
                     link.reconnects, link.last_outage_seconds, link.last_resume_seconds);
}

}  // namespace

std::string binary_size(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024;
  std::size_t unit = 0;
  // 1023.96 KiB would print as "1024.0 KiB": step up once the rounded value reaches 1024.
  while (unit + 1 < std::size(kUnits) && std::round(value * 10) >= 1024 * 10) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string status_text(const StatusFigures& f) {
  const cache::CacheStats& s = f.cache;
  std::string out;
  line(out, "link", link_state(f));
  line(out, "reconnects", reconnects(s.link));
  line(out, "mounted", fmt::format("{}, {} ago", f.writable ? "read-write" : "read-only", duration(f.seconds_mounted)));
  line(out, "read",
       bytes_with_size(s.device_read_bytes) + " from the device in " +
           plural(s.device_reads, "DA read command", "DA read commands"));
  line(out, "written",
       bytes_with_size(s.device_write_bytes) + " to the device in " +
           plural(s.device_writes, "DA write command", "DA write commands"));
  const double average = f.seconds_mounted > 0 ? static_cast<double>(f.bytes_since_mount) / f.seconds_mounted : 0;
  line(out, "speed",
       fmt::format("{} now (last {} s), {} on average since the mount", mb_per_second(s.recent_bytes_per_second),
                   cache::ThroughputMeter::kWindow.count(), mb_per_second(average)));
  // Dirty: also what the write call in flight carries, which is not on the device before that call returns.
  const std::string writing =
      s.writing_bytes == 0 ? "" : fmt::format(", {} being written", plural(s.writing_bytes, "byte", "bytes"));
  line(out, "cache",
       fmt::format("{} of {} in use, {} dirty (not yet on the device{})", binary_size(s.resident_bytes),
                   binary_size(f.cache_capacity), plural(s.dirty_bytes + s.writing_bytes, "byte", "bytes"), writing));
  line(out, "failed writes",
       s.write_failures == 0
           ? std::string("0 (0 bytes)")
           : fmt::format("{} ({} not written; see the log)", s.write_failures,
                         plural(s.write_failure_bytes, "byte", "bytes")));
  line(out, "unwritten", unwritten(s));
  return out;
}

}  // namespace mtkfs::fusefs
