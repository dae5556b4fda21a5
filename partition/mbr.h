#pragma once

// DOS MBR and the EBR chain with Linux semantics, as MediaTek's ptgen writes them
// (docs/protocol/partitions.md §3.2/§3.3).

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "partition/partition_table.h"

namespace mtkfs::partition {

inline constexpr std::size_t kMbrEntriesOffset = 0x1BE;
inline constexpr std::uint8_t kGptProtectiveType = 0xEE;
inline constexpr int kMaxEbrs = 64;

struct MbrEntry {
  std::uint8_t status = 0;
  std::uint8_t type = 0;
  std::uint32_t start_lba = 0;
  std::uint32_t sector_count = 0;

  // The kernel ignores a slot with zero sectors whatever its type.
  bool empty() const { return sector_count == 0; }
};

using MbrEntries = std::array<MbrEntry, 4>;

// Types 05, 0F, 85: containers whose entries are EBR links.
bool is_extended_type(std::uint8_t type);

// Decodes the four slots of an MBR or EBR sector; fails without the 55 AA signature.
Parsed<MbrEntries> parse_mbr_sector(std::span<const std::uint8_t> sector);

// True when every status byte is 0x00 or 0x80. The kernel uses this to tell an MBR from a FAT
// boot sector at LBA 0 (which also ends in 55 AA).
bool has_valid_boot_flags(const MbrEntries& entries);

struct MbrPartition {
  Extent extent;               // name empty; label empty
  bool size_clamped = false;   // the on-disk count ran past the region end (e.g. ptgen's 0xFFFFFFFF)
};

// Primary slots are p1..p4 (an extended slot consumes its number but is not returned); logicals
// from the EBR chains are p5, p6... in chain order. Partitions starting beyond the region are
// dropped and ones running past its end clamped, both with a warning. Reads at most kMaxEbrs EBRs,
// each inside the region and never the same LBA twice.
std::vector<MbrPartition> read_mbr_partitions(const MbrEntries& mbr, const ReadFn& read, std::uint64_t region_size,
                                              std::vector<std::string>& warnings);

}  // namespace mtkfs::partition
