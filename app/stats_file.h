// --stats-file: the figures of one mount session as a JSON object, for programs (scripts/bench.sh's
// driver, tests) that must not read the log. Written once, when the session has ended.
//
// {"format": 1, "exit_status": 0, "connect_seconds": 0.41, "mount_seconds": 0.45,
//  "session_seconds": 3.2, "cpu_user_seconds": 0.2, "cpu_system_seconds": 0.5, "max_rss_kib": 60000,
//  "cache_size": 268435456,
//  "device_reads": 9, "device_read_bytes": ..., "device_writes": 0, "device_write_bytes": 0,
//  "hits": ..., "misses": ..., "prefetched_blocks": ..., "rmw_reads": ..., "evictions": ...,
//  "write_failures": 0, "peak_resident_bytes": ..., "dirty_bytes": 0, "lost_dirty_bytes": 0,
//  "link_lost": false}
// Times are seconds of the monotonic clock from the start of the mount command (connect_seconds:
// the handshake and DA upload alone); the CPU time and max_rss_kib are getrusage(RUSAGE_SELF) of the
// process at the end (all its threads, the whole session).
#pragma once

#include <string>

#include "cache/cache.h"

namespace mtkfs::cli {

struct SessionFigures {
  int exit_status = 1;
  double connect_seconds = 0;  // device->connect()
  double mount_seconds = 0;    // start of the mount command to mounted (0: never mounted)
  double session_seconds = 0;  // start of the mount command to the end of the session
  std::uint64_t cache_size = 0;
  cache::CacheStats cache;
};

// The JSON text (one object, one line, ends in a newline); the CPU time and peak memory are read here.
std::string stats_json(const SessionFigures& figures);

// Writes stats_json() to `path` atomically (PATH.tmp, then rename). Returns false (and logs) on failure.
bool write_stats_file(const std::string& path, const SessionFigures& figures);

}  // namespace mtkfs::cli
