#pragma once

// UEFI GPT (docs/protocol/partitions.md §2): header validation, entry array decoding,
// primary/backup choice.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "partition/partition_table.h"

namespace mtkfs::partition {

inline constexpr std::uint32_t kGptMinHeaderSize = 92;
inline constexpr std::uint32_t kGptMaxEntryCount = 1024;
inline constexpr std::uint32_t kGptMaxEntrySize = 1024;  // keeps the entry array <= 1 MiB
inline constexpr std::size_t kGptEntryNameOffset = 56;
inline constexpr std::size_t kGptEntryNameBytes = 72;

struct GptHeader {
  std::uint32_t header_size = 0;
  std::uint64_t current_lba = 0;
  std::uint64_t backup_lba = 0;
  std::uint64_t first_usable_lba = 0;
  std::uint64_t last_usable_lba = 0;
  std::uint64_t entries_lba = 0;
  std::uint32_t entry_count = 0;
  std::uint32_t entry_size = 0;
  std::uint32_t entries_crc32 = 0;

  std::uint64_t entries_bytes() const { return std::uint64_t{entry_count} * entry_size; }
};

// `sector` is the 512-byte sector read at `expected_lba`. Checks signature, header size, header
// CRC, that the header says it lives at `expected_lba`, sane entry geometry, and that the entry
// array lies inside the region.
Parsed<GptHeader> parse_gpt_header(std::span<const std::uint8_t> sector, std::uint64_t expected_lba,
                                   std::uint64_t region_size);

// `entry_array` holds header.entries_bytes() bytes. Checks the array CRC, then returns one extent
// per entry with a non-zero type GUID that lies inside the region (others dropped with a warning).
// Names are left empty; labels are the decoded UTF-16LE names.
Parsed<std::vector<Extent>> parse_gpt_entries(std::span<const std::uint8_t> entry_array, const GptHeader& header,
                                              std::uint64_t region_size, std::vector<std::string>& warnings);

// Uses the primary GPT (header sector at LBA 1 given as `primary_header_sector`) if valid, else the
// backup header at the last LBA of the region. Fails if neither copy is valid.
Parsed<std::vector<Extent>> read_gpt(const ReadFn& read, std::uint64_t region_size,
                                     std::span<const std::uint8_t> primary_header_sector,
                                     std::vector<std::string>& warnings);

}  // namespace mtkfs::partition
