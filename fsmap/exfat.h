#pragma once

// Free clusters of an exFAT filesystem from its allocation bitmap (Microsoft's exFAT
// specification; docs/free-space.md).

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "fsmap/free_map.h"

namespace mtkfs::fsmap {
namespace exfat {

struct Layout {
  std::uint64_t bytes_per_sector = 0;
  std::uint64_t cluster_size = 0;
  std::uint64_t fat_offset = 0;   // bytes, first FAT
  std::uint64_t fat_size = 0;     // bytes, each FAT
  std::uint64_t fats = 0;         // 1, or 2 with TexFAT
  std::uint64_t heap_offset = 0;  // bytes, cluster 2
  std::uint64_t clusters = 0;     // clusters 2 .. clusters + 1 exist
  std::uint64_t root_cluster = 0;
  std::uint16_t volume_flags = 0;

  std::uint64_t active_fat() const { return volume_flags & 1; }
  std::uint64_t cluster_offset(std::uint64_t cluster) const { return heap_offset + (cluster - 2) * cluster_size; }
};

bool has_signature(std::span<const std::uint8_t> boot_sector);  // "EXFAT   " at byte 3

// `boot_region`: sectors 0..11 of the main boot region. Checks the boot checksum (sector 11), the
// fields against each other and the partition, and the volume flags (dirty, media failure).
std::optional<Layout> parse_boot_region(std::span<const std::uint8_t> boot_region, std::uint64_t partition_size,
                                        std::string& why);

}  // namespace exfat

// Refuses (map empty, recognised) a dirty volume, a boot region that fails its checksum, or an
// allocation bitmap that cannot be found or marks its own clusters free. With two FATs (TexFAT)
// a cluster is free only if both allocation bitmaps say so.
Detection read_exfat(const ReadFn& read, std::uint64_t partition_size);

}  // namespace mtkfs::fsmap
