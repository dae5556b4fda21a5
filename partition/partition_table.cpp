#include "partition/partition_table.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "partition/ext4_name.h"
#include "partition/gpt.h"
#include "partition/mbr.h"
#include "partition/names.h"
#include "partition/pmt.h"

namespace mtkfs::partition {
namespace {

bool has_gpt_signature(std::span<const std::uint8_t> sector) {
  return sector.size() >= 8 && std::memcmp(sector.data(), "EFI PART", 8) == 0;
}

bool has_protective_entry(const MbrEntries& entries) {
  return std::any_of(entries.begin(), entries.end(),
                     [](const MbrEntry& e) { return !e.empty() && e.type == kGptProtectiveType; });
}

// Names from the PMT, then the PMT's bounds on the extents (docs/protocol/partitions.md §4.3).
void combine_with_pmt(const ReadFn& read, std::uint64_t region_size, std::vector<MbrPartition>& partitions,
                      std::vector<std::string>& warnings) {
  if (region_size < kPmtDistanceFromEnd) return;
  const std::uint64_t start = region_size - kPmtDistanceFromEnd;
  std::vector<std::uint8_t> window(std::min<std::uint64_t>(kPmtWindowSize, kPmtDistanceFromEnd));
  read(start, window);
  std::vector<std::string> pmt_warnings;
  const auto pmt = parse_pmt(window, region_size, pmt_warnings);
  if (!pmt) {
    if (pmt_signature_present(window)) {
      warnings.push_back("PMT ignored: " + pmt.error);
      // Damaged, but still the device's table: no partition file may write over it.
      bound_by_pmt(partitions, {}, pmt_window_area(region_size), warnings);
    }
    return;
  }
  warnings.insert(warnings.end(), pmt_warnings.begin(), pmt_warnings.end());
  apply_pmt_names(partitions, pmt.value->table.records, warnings);
  bound_by_pmt(partitions, pmt.value->table.records, pmt_area(*pmt.value, region_size), warnings);
}

void name_from_ext4(const ReadFn& read, std::vector<Extent>& extents) {
  std::array<std::uint8_t, kExt4NameBytesNeeded> superblock{};
  for (Extent& extent : extents) {
    if (!extent.label.empty() || extent.size < kExt4SuperblockOffset + superblock.size()) continue;
    read(extent.offset + kExt4SuperblockOffset, superblock);
    extent.label = ext4_name(superblock);
  }
}

Table finish(Scheme scheme, std::vector<Extent> extents, std::vector<std::string> warnings, const ReadFn& read,
             const ReadOptions& options) {
  if (options.ext4_names) name_from_ext4(read, extents);
  std::stable_sort(extents.begin(), extents.end(), [](const Extent& a, const Extent& b) { return a.number < b.number; });
  assign_file_names(extents);
  return Table{scheme, std::move(extents), std::move(warnings)};
}

}  // namespace

const char* scheme_name(Scheme scheme) {
  switch (scheme) {
    case Scheme::gpt: return "gpt";
    case Scheme::mbr: return "mbr";
    case Scheme::none: break;
  }
  return "none";
}

Table read_table(const ReadFn& read, std::uint64_t region_size, const ReadOptions& options) {
  Table none;
  if (region_size < 2 * kSectorSize) {
    none.warnings.push_back("region too small for a partition table");
    return none;
  }
  std::array<std::uint8_t, 2 * kSectorSize> head{};
  read(0, head);
  const auto sector0 = std::span<const std::uint8_t>(head).first(kSectorSize);
  const auto sector1 = std::span<const std::uint8_t>(head).last(kSectorSize);
  const auto mbr = parse_mbr_sector(sector0);

  // Like the kernel: a DOS MBR without a protective 0xEE entry wins over any GPT; a GPT is looked
  // for otherwise (protective MBR, blank or foreign sector 0), the backup copy included.
  std::string why_not_mbr;
  if (!mbr)
    why_not_mbr = "sector 0 has " + mbr.error;
  else if (has_protective_entry(*mbr.value))
    why_not_mbr = "sector 0 is a protective MBR";
  else if (!has_valid_boot_flags(*mbr.value))
    why_not_mbr = "sector 0 is not an MBR (a status byte is neither 00 nor 80)";
  else if (std::all_of(mbr.value->begin(), mbr.value->end(), [](const MbrEntry& e) { return e.empty(); }))
    why_not_mbr = "the MBR has no partitions";

  if (!why_not_mbr.empty()) {
    std::vector<std::string> warnings;
    auto gpt = read_gpt(read, region_size, sector1, warnings);
    if (gpt) return finish(Scheme::gpt, std::move(*gpt.value), std::move(warnings), read, options);
    none.warnings.push_back("no usable partition table: " + why_not_mbr + "; GPT: " + gpt.error);
    return none;
  }

  std::vector<std::string> warnings;
  if (has_gpt_signature(sector1))
    warnings.push_back("LBA 1 holds a GPT header but sector 0 is a DOS MBR without a protective entry; using the MBR");
  auto partitions = read_mbr_partitions(*mbr.value, read, region_size, warnings);
  if (!partitions.empty()) combine_with_pmt(read, region_size, partitions, warnings);
  std::vector<Extent> extents;
  extents.reserve(partitions.size());
  for (MbrPartition& partition : partitions) extents.push_back(std::move(partition.extent));
  return finish(Scheme::mbr, std::move(extents), std::move(warnings), read, options);
}

}  // namespace mtkfs::partition
