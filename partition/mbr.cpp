#include "partition/mbr.h"

#include <set>

#include "partition/hex.h"
#include "partition/little_endian.h"

namespace mtkfs::partition {
namespace {

using detail::hex;

class EbrWalker {
 public:
  EbrWalker(const ReadFn& read, std::uint64_t region_size, std::vector<MbrPartition>& out,
            std::vector<std::string>& warnings)
      : read_(read), region_sectors_(region_size / kSectorSize), out_(out), warnings_(warnings) {
    visited_.insert(0);  // the MBR itself is never an EBR
  }

  void add_partition(int number, std::uint64_t start_lba, std::uint64_t sector_count) {
    const std::string what = "p" + std::to_string(number);
    if (start_lba >= region_sectors_) {
      warnings_.push_back(what + " starts at LBA " + hex(start_lba) + ", beyond the region end (" +
                          hex(region_sectors_) + " sectors); dropped");
      return;
    }
    MbrPartition part;
    std::uint64_t sectors = sector_count;
    if (sectors > region_sectors_ - start_lba) {
      sectors = region_sectors_ - start_lba;
      part.size_clamped = true;
      warnings_.push_back(what + " at LBA " + hex(start_lba) + " has " + hex(sector_count) +
                          " sectors, past the region end; clamped to " + hex(sectors));
    }
    part.extent = Extent{"", "", start_lba * kSectorSize, sectors * kSectorSize, number};
    out_.push_back(std::move(part));
  }

  // Linux parse_extended: data entries are relative to their own EBR, links to the container start.
  void walk(std::uint64_t container_lba, std::uint64_t container_sectors) {
    std::uint64_t ebr_lba = container_lba;
    std::uint64_t ebr_span = container_sectors;  // size given by the entry that led to this EBR
    for (;;) {
      if (ebrs_read_ >= kMaxEbrs) {
        warnings_.push_back("more than " + std::to_string(kMaxEbrs) + " EBRs; chain cut at LBA " + hex(ebr_lba));
        return;
      }
      if (ebr_lba >= region_sectors_) {
        warnings_.push_back("EBR at LBA " + hex(ebr_lba) + " lies outside the region; chain ends");
        return;
      }
      if (!visited_.insert(ebr_lba).second) {
        warnings_.push_back("EBR chain loops back to LBA " + hex(ebr_lba) + "; chain ends");
        return;
      }
      ++ebrs_read_;
      std::array<std::uint8_t, kSectorSize> sector{};
      read_(ebr_lba * kSectorSize, sector);
      const auto ebr = parse_mbr_sector(sector);
      if (!ebr) {
        warnings_.push_back("EBR at LBA " + hex(ebr_lba) + ": " + ebr.error + "; chain ends");
        return;
      }
      for (std::size_t slot = 0; slot < ebr.value->size(); ++slot) {
        const MbrEntry& entry = (*ebr.value)[slot];
        if (entry.empty() || is_extended_type(entry.type)) continue;
        const std::uint64_t start = ebr_lba + entry.start_lba;
        // The kernel distrusts slots 3 and 4 of an EBR (often garbage) and skips them, without
        // using up a number, unless they lie inside both the link's span and the container.
        if (slot >= 2 && (std::uint64_t{entry.start_lba} + entry.sector_count > ebr_span ||
                          start + entry.sector_count > container_lba + container_sectors)) {
          warnings_.push_back("EBR at LBA " + hex(ebr_lba) + " slot " + std::to_string(slot + 1) +
                              " lies outside its extended partition; ignored as Linux does");
          continue;
        }
        add_partition(next_logical_++, start, entry.sector_count);
      }
      const MbrEntry* link = nullptr;
      for (const MbrEntry& entry : *ebr.value) {
        if (!entry.empty() && is_extended_type(entry.type)) {
          link = &entry;
          break;
        }
      }
      if (link == nullptr) return;
      ebr_lba = container_lba + link->start_lba;
      ebr_span = link->sector_count;
    }
  }

 private:
  const ReadFn& read_;
  std::uint64_t region_sectors_;
  std::vector<MbrPartition>& out_;
  std::vector<std::string>& warnings_;
  std::set<std::uint64_t> visited_;
  int ebrs_read_ = 0;
  int next_logical_ = 5;
};

}  // namespace

bool is_extended_type(std::uint8_t type) { return type == 0x05 || type == 0x0F || type == 0x85; }

Parsed<MbrEntries> parse_mbr_sector(std::span<const std::uint8_t> sector) {
  using R = Parsed<MbrEntries>;
  if (sector.size() < kSectorSize) return R::fail("short sector");
  if (sector[0x1FE] != 0x55 || sector[0x1FF] != 0xAA) return R::fail("no 55 AA signature");
  MbrEntries entries;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto raw = sector.subspan(kMbrEntriesOffset + 16 * i, 16);
    entries[i].status = raw[0];
    entries[i].type = raw[4];
    entries[i].start_lba = detail::le32(raw, 8);
    entries[i].sector_count = detail::le32(raw, 12);
  }
  return R{entries, {}};
}

bool has_valid_boot_flags(const MbrEntries& entries) {
  for (const MbrEntry& entry : entries)
    if (entry.status != 0x00 && entry.status != 0x80) return false;
  return true;
}

std::vector<MbrPartition> read_mbr_partitions(const MbrEntries& mbr, const ReadFn& read, std::uint64_t region_size,
                                              std::vector<std::string>& warnings) {
  std::vector<MbrPartition> out;
  EbrWalker walker(read, region_size, out, warnings);
  for (std::size_t slot = 0; slot < mbr.size(); ++slot) {
    const MbrEntry& entry = mbr[slot];
    if (entry.empty()) continue;
    if (is_extended_type(entry.type))
      walker.walk(entry.start_lba, entry.sector_count);
    else
      walker.add_partition(static_cast<int>(slot) + 1, entry.start_lba, entry.sector_count);
  }
  return out;
}

}  // namespace mtkfs::partition
