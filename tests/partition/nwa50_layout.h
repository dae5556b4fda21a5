#pragma once

// The NW-A50 user area of docs/protocol/partitions.md §5.1 (p2..p29), laid out with ptgen
// conventions (docs/protocol/partitions.md §3.3, §5.2): MBR slot 0 -> EBR1 at LBA 0x400, slots 1-3
// = p2..p4; EBR1 and EBR2..EBR9 (LBA 0x800 + k*0x400) hold three data entries each plus a link relative to EBR1.

#include <cstdint>
#include <string>
#include <vector>

#include "disk_builder.h"

namespace mtkfs::partition::test {

struct NwA50Partition {
  int number;
  const char* name;
  std::uint32_t start_sector;
  std::uint32_t sectors;
};

inline constexpr std::uint64_t kNwA50RegionSize = 0x3AB400000;
inline constexpr std::uint32_t kEbr1Lba = 0x400;

inline const std::vector<NwA50Partition>& nwa50_partitions() {
  static const std::vector<NwA50Partition> table = {
      {2, "pro_info", 0x2800, 0x1800},    {3, "nvram", 0x4000, 0x2800},        {4, "protect_f", 0x6800, 0x5000},
      {5, "protect_s", 0xB800, 0x5000},   {6, "seccfg", 0x10800, 0x100},       {7, "uboot", 0x10900, 0x300},
      {8, "bootimg", 0x10C00, 0x8000},    {9, "recovery", 0x18C00, 0x8000},    {10, "sec_ro", 0x20C00, 0x3000},
      {11, "misc", 0x23C00, 0x400},       {12, "logo", 0x24000, 0x1800},       {13, "expdb", 0x25800, 0x5000},
      {14, "tee1", 0x2A800, 0x2800},      {15, "tee2", 0x2D000, 0x2800},       {16, "kb", 0x2F800, 0x800},
      {17, "dkb", 0x30000, 0x800},        {18, "xhrome", 0x30800, 0x800},      {19, "android", 0x31000, 0x190000},
      {20, "cache", 0x1C1000, 0xE000},    {21, "cm4", 0x1CF000, 0x400},        {22, "nvp", 0x1CF400, 0x7800},
      {23, "var", 0x1D6C00, 0x37000},     {24, "db", 0x20DC00, 0x32000},       {25, "option1", 0x23FC00, 0x4000},
      {26, "option2", 0x243C00, 0x40000}, {27, "option3", 0x283C00, 0x200000}, {28, "usrdata", 0x483C00, 0x14000},
      {29, "contents", 0x497C00, 0x1886C00},
  };
  return table;
}

inline std::uint32_t ebr_lba(int index /* 1-based */) {
  return index == 1 ? kEbr1Lba : 0x800 + static_cast<std::uint32_t>(index - 2) * 0x400;
}

enum class LastCount { ptgen, exact_to_pmt };

// Writes MBR + 9 EBRs. The last partition's count is either ptgen's "0xFFFFFFFF - (start - EBR1)"
// (clamped by readers) or exact up to the PMT at region end - 1 MiB (the simulator's default).
inline void write_nwa50_mbr(SparseDisk& disk, LastCount last_count) {
  const auto& parts = nwa50_partitions();
  disk.write_sector(0, mbr_sector({{0x05, kEbr1Lba, 0xFFFFFFFF},
                                   {0x83, parts[0].start_sector, parts[0].sectors},
                                   {0x83, parts[1].start_sector, parts[1].sectors},
                                   {0x83, parts[2].start_sector, parts[2].sectors}}));
  const std::size_t logicals = parts.size() - 3;  // 25
  const int ebr_count = static_cast<int>((logicals + 2) / 3);
  for (int ebr = 1; ebr <= ebr_count; ++ebr) {
    const std::uint32_t here = ebr_lba(ebr);
    std::vector<RawMbrEntry> entries;
    for (std::size_t k = 0; k < 3; ++k) {
      const std::size_t index = 3 + static_cast<std::size_t>(ebr - 1) * 3 + k;
      if (index >= parts.size()) break;
      std::uint32_t count = parts[index].sectors;
      if (index + 1 == parts.size()) {
        count = last_count == LastCount::ptgen
                    ? 0xFFFFFFFFu - (parts[index].start_sector - kEbr1Lba)
                    : static_cast<std::uint32_t>((kNwA50RegionSize - 0x100000) / 512 - parts[index].start_sector);
      }
      entries.push_back({0x83, parts[index].start_sector - here, count});
    }
    while (entries.size() < 3) entries.push_back({});
    if (ebr < ebr_count) entries.push_back({0x05, ebr_lba(ebr + 1) - kEbr1Lba, 0xFFFFFFFF});
    disk.write_sector(here, mbr_sector(entries));
  }
}

// PMT v1.1 records as the simulator writes them (docs/protocol/partitions.md §5.3): mbr,
// ebr1..ebr9, then p2..p29.
inline std::vector<PmtEntry> nwa50_pmt_entries() {
  std::vector<PmtEntry> entries = {{"mbr", 0, 0x80000}, {"ebr1", 0x80000, 0x80000}};
  for (int k = 0; k < 8; ++k)
    entries.push_back({"ebr" + std::to_string(k + 2), 0x100000 + std::uint64_t(k) * 0x80000, 0x80000});
  for (const auto& p : nwa50_partitions()) {
    std::uint64_t size = std::uint64_t{p.sectors} * 512;
    if (p.number == 29) size = kNwA50RegionSize - 0x100000 - std::uint64_t{p.start_sector} * 512;
    entries.push_back({p.name, std::uint64_t{p.start_sector} * 512, size});
  }
  return entries;
}

inline void write_pmt(SparseDisk& disk, const Bytes& primary, const Bytes& mirror) {
  const std::uint64_t at = disk.size() - 0x100000;
  disk.write(at, primary);
  disk.write(at + primary.size(), mirror);
}

}  // namespace mtkfs::partition::test
