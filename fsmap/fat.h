#pragma once

// Free clusters of a FAT12/16/32 filesystem from its FATs (Microsoft's FAT specification;
// docs/free-space.md).

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "fsmap/free_map.h"

namespace mtkfs::fsmap {
namespace fat {

// The BPB fields the reader uses, decoded and checked for plausibility.
struct Layout {
  Kind kind = Kind::fat12;
  std::uint64_t bytes_per_sector = 0;
  std::uint64_t cluster_size = 0;  // bytes
  std::uint64_t fat_offset = 0;    // bytes, first FAT
  std::uint64_t fat_size = 0;      // bytes, each FAT
  std::uint64_t fats = 0;
  std::uint64_t data_offset = 0;  // bytes, cluster 2
  std::uint64_t clusters = 0;     // clusters 2 .. clusters + 1 exist
  std::uint64_t volume_size = 0;  // bytes
  bool boot_dirty = false;        // the boot sector's "dirty" bit (set by Linux and Windows while mounted)

  std::uint64_t fat_bytes_needed() const;  // bytes of one FAT that hold entries 0 .. clusters + 1
};

// A boot sector that looks like FAT (jump, 0x55AA, a sector size, reserved sectors, FATs); the
// rest decides in parse_bpb.
bool has_signature(std::span<const std::uint8_t> boot_sector);

// `boot_sector`: the first 512 bytes. nullopt + `why` when the BPB is implausible.
std::optional<Layout> parse_bpb(std::span<const std::uint8_t> boot_sector, std::uint64_t partition_size,
                                std::string& why);

}  // namespace fat

// Refuses (map empty, recognised) a dirty volume, an implausible BPB, or a filesystem larger than
// the partition. A cluster is free only if its entry is 0 in every FAT copy.
Detection read_fat(const ReadFn& read, std::uint64_t partition_size);

}  // namespace mtkfs::fsmap
