#pragma once

// MediaTek partition management table (docs/protocol/partitions.md §4): names for MBR/EBR
// partitions.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "partition/mbr.h"
#include "partition/partition_table.h"

namespace mtkfs::partition {

inline constexpr std::uint32_t kPmtSignature = 0x50547631;        // "PTv1" read as LE u32
inline constexpr std::uint32_t kPmtMirrorSignature = 0x4D505431;  // "MPT1"
inline constexpr std::uint64_t kPmtDistanceFromEnd = 0x100000;    // table starts 1 MiB before the end
inline constexpr std::size_t kPmtV1RegionSize = 0x1000;           // "1.0"/"1.1" tables
inline constexpr std::size_t kPmtLegacyRegionSize = 0x800;        // older tables without version
inline constexpr std::size_t kPmtWindowSize = 2 * kPmtV1RegionSize;  // primary + mirror
inline constexpr std::size_t kPmtMaxRecords = 40;                    // PART_MAX_COUNT
inline constexpr std::size_t kPmtMinRecords = 2;
inline constexpr std::size_t kPmtNameBytes = 64;

struct PmtRecord {
  std::string name;
  std::uint64_t offset = 0;  // bytes from the start of the user area
  std::uint64_t size = 0;    // bytes

  bool operator==(const PmtRecord&) const = default;
};

struct PmtRecords {
  std::vector<PmtRecord> records;
  std::size_t stride = 0;  // 0x58, 0x60 or 0x4C
};

struct Pmt {
  PmtRecords table;
  std::string version;     // "1.0", "1.1", or empty for the older layout
  bool from_mirror = false;
  std::size_t copy_size = 0;  // bytes of one copy: kPmtV1RegionSize or kPmtLegacyRegionSize
};

// Bytes [offset, offset + size) of the region.
struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;

  std::uint64_t end() const { return offset + size; }
  bool operator==(const ByteRange&) const = default;
};

// Decodes a bare record array (as stored after the header, or as returned by DA command A5),
// guessing the record stride (docs/protocol/partitions.md §4.2): the first of 0x58, 0x60, 0x4C for
// which every record up to the all-zero name has a printable, NUL-terminated, zero-padded name, 512-aligned size and
// offset, and offsets that never decrease and start inside the region. At least two records are
// required: a single record matches several strides by accident.
Parsed<PmtRecords> parse_pmt_records(std::span<const std::uint8_t> records, std::uint64_t region_size);

// `window` holds the bytes at region_size - kPmtDistanceFromEnd (kPmtWindowSize of them, fewer
// if the region is shorter). Uses the primary table, else its MPT1 mirror (with a warning).
Parsed<Pmt> parse_pmt(std::span<const std::uint8_t> window, std::uint64_t region_size,
                      std::vector<std::string>& warnings);

// Whether a PTv1/MPT1 signature sits where a primary or mirror table would start: tells "no PMT
// here" (normal on non-MediaTek disks) from "a damaged PMT" (worth a warning).
bool pmt_signature_present(std::span<const std::uint8_t> window);

// The bytes the table and its mirror occupy in a region of `region_size` bytes: 2 x copy_size at
// region_size - kPmtDistanceFromEnd, cut at the region end.
ByteRange pmt_area(const Pmt& pmt, std::uint64_t region_size);
// The same when only a signature was seen (a damaged table): the whole window, both layouts.
ByteRange pmt_window_area(std::uint64_t region_size);

// Gives each partition the name of the PMT record with the same start, when the sizes agree too
// or the MBR size was clamped and so says nothing. Records without a partition are ignored.
void apply_pmt_names(std::vector<MbrPartition>& partitions, const std::vector<PmtRecord>& records,
                     std::vector<std::string>& warnings);

// Where the MBR/EBR extents and the PMT are combined (docs/protocol/partitions.md §4.3), so that no
// partition file reaches into the table ptgen's "to the end" count runs over:
// 1. a PMT record with the same start and a smaller, non-zero size bounds the partition;
// 2. whatever the records say, no partition covers `pmt` (the table and its mirror; empty when there is
//    no table): one that starts before it ends where it begins, one that starts inside it is dropped.
// Each change is a warning quoting the rule and the old and new size and end.
void bound_by_pmt(std::vector<MbrPartition>& partitions, const std::vector<PmtRecord>& records, ByteRange pmt,
                  std::vector<std::string>& warnings);

}  // namespace mtkfs::partition
