#include "app/stats_file.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace mtkfs::cli {
namespace {

double seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; }

void add(std::string& out, const char* key, const std::string& value) {
  out += out.size() == 1 ? "\"" : ", \"";
  out += key;
  out += "\": ";
  out += value;
}
void add(std::string& out, const char* key, std::uint64_t value) { add(out, key, std::to_string(value)); }
void add(std::string& out, const char* key, double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.6f", value);
  add(out, key, std::string(text));
}

}  // namespace

std::string stats_json(const SessionFigures& f) {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const cache::CacheStats& s = f.cache;
  std::string out = "{";
  add(out, "format", std::uint64_t{1});
  add(out, "exit_status", std::to_string(f.exit_status));
  add(out, "connect_seconds", f.connect_seconds);
  add(out, "mount_seconds", f.mount_seconds);
  add(out, "session_seconds", f.session_seconds);
  add(out, "cpu_user_seconds", seconds(usage.ru_utime));
  add(out, "cpu_system_seconds", seconds(usage.ru_stime));
  add(out, "max_rss_kib", static_cast<std::uint64_t>(usage.ru_maxrss));
  add(out, "cache_size", f.cache_size);
  add(out, "device_reads", s.device_reads);
  add(out, "device_read_bytes", s.device_read_bytes);
  add(out, "device_writes", s.device_writes);
  add(out, "device_write_bytes", s.device_write_bytes);
  add(out, "hits", s.hits);
  add(out, "misses", s.misses);
  add(out, "prefetched_blocks", s.prefetched_blocks);
  add(out, "rmw_reads", s.rmw_reads);
  add(out, "evictions", s.evictions);
  add(out, "write_failures", s.write_failures);
  add(out, "peak_resident_bytes", s.peak_resident_bytes);
  add(out, "dirty_bytes", s.dirty_bytes);
  add(out, "lost_dirty_bytes", s.lost_dirty_bytes);
  add(out, "link_lost", std::string(s.link_lost ? "true" : "false"));
  out += "}\n";
  return out;
}

bool write_stats_file(const std::string& path, const SessionFigures& figures) {
  const std::string text = stats_json(figures);
  const std::string tmp = path + ".tmp";
  std::FILE* file = std::fopen(tmp.c_str(), "w");
  bool ok = file && std::fwrite(text.data(), 1, text.size(), file) == text.size();
  if (file && std::fclose(file) != 0) ok = false;
  if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) ok = false;
  if (!ok) {
    spdlog::error("cannot write the statistics file {}: {}", path, std::strerror(errno));
    std::remove(tmp.c_str());
  }
  return ok;
}

}  // namespace mtkfs::cli
