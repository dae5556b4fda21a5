// The text of status.txt in the mount root: the live state of the session, for a person watching a long
// backup (`watch cat /mnt/a50/status.txt`) or checking, after a restore and before unplugging, that all
// written data reached the device (the "unwritten:" line). Every figure comes from Cache::stats(); this is
// only the wording, a pure function so that tests can check each case.
//
//   link:          connected
//   reconnects:    0
//   mounted:       read-write, 2 min 5 s ago
//   read:          1073741824 bytes (1.0 GiB) from the device in 36 DA read commands
//   written:       67108864 bytes (64.0 MiB) to the device in 2 DA write commands
//   speed:         38.2 MB/s now (last 5 s), 31.0 MB/s on average since the mount
//   cache:         256.0 MiB of 256.0 MiB in use, 0 bytes dirty (not yet on the device)
//   failed writes: 0 (0 bytes)
//   unwritten:     0 bytes (all data is on the device)
//
// MB/s are 10^6 bytes per second, as dd reports them; sizes in parentheses are binary (MiB, GiB). Each
// line is "label: value", the value starting in column 16, exact byte counts first, so scripts can read it.
#pragma once

#include <cstdint>
#include <string>

#include "cache/cache.h"

namespace mtkfs::fusefs {

struct StatusFigures {
  cache::CacheStats cache;              // Cache::stats() when the file was opened
  std::uint64_t cache_capacity = 0;     // CacheOptions::cache_size
  double seconds_mounted = 0;           // since the filesystem started serving
  std::uint64_t bytes_since_mount = 0;  // device bytes read + written since then (for the average)
  bool writable = false;
  da::LinkStatus::Clock::time_point now = da::LinkStatus::Clock::now();  // for the reconnect deadline
};

std::string status_text(const StatusFigures& figures);

// "512 B", "1.5 KiB", "64.0 MiB", "14.7 GiB".
std::string binary_size(std::uint64_t bytes);

}  // namespace mtkfs::fusefs
