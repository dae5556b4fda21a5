#include "fuse/free_space_map.h"

#include <spdlog/spdlog.h>

#include "fsmap/free_map.h"
#include "fuse/status_text.h"

namespace mtkfs::fusefs {

std::string map_free_space(cache::Cache& cache, const std::vector<partition::Extent>& partitions, FreeSpace& out) {
  std::string text = "Free space (skip_free; free blocks read as zeros):\n";
  std::uint64_t total_free = 0;
  for (const partition::Extent& extent : partitions) {
    const fsmap::ReadFn read = [&](std::uint64_t offset, std::span<std::uint8_t> bytes) {
      cache.read(da::HwPartition::user, extent.offset + offset, bytes);
    };
    fsmap::Detection found;
    try {
      found = fsmap::detect_free_map(read, extent.size);
    } catch (const std::exception& e) {
      // Never guess: a map that could not be read completely is no map.
      found = fsmap::Detection{std::nullopt, std::string("reading its allocation map failed: ") + e.what(), true};
    }
    std::string line = "  " + extent.name + ": ";
    if (found.map) {
      for (const fsmap::Range& r : found.map->free) out.add(extent.offset + r.offset, r.size);
      total_free += found.map->free_bytes();
      line += found.map->description;
    } else {
      line += "read in full (" + found.reason + ")";
      if (found.recognised) spdlog::warn("skip_free: partition {} is read in full: {}", extent.name, found.reason);
    }
    text += line + "\n";
  }
  spdlog::info("skip_free: {} of free filesystem blocks read as zeros, without device reads",
               binary_size(total_free));
  return text;
}

}  // namespace mtkfs::fusefs
