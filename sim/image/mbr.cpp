// MBR/EBR chain in MediaTek ptgen style (docs/protocol/partitions.md §3.3, §5.2): three primaries,
// EBR1 at 0x80000 and EBR2..EBR9 in the 512 KiB reservations from 0x100000, three logicals per EBR.
#include <array>
#include <stdexcept>
#include <string>

#include "sim/image/byte_order.h"
#include "sim/image/writers.h"

namespace mtkfs::sim::image::detail {
namespace {

constexpr std::uint8_t kTypeExtended = 0x05;
constexpr std::uint8_t kTypeLinux = 0x83;
constexpr std::uint32_t kToTheEnd = 0xFFFFFFFF;
constexpr std::size_t kPrimaryData = 3;
constexpr std::size_t kLogicalsPerEbr = 3;

using Sector = std::array<std::uint8_t, kSector>;

std::uint64_t ebr_offset(unsigned ebr_number) {  // 1-based, like the PMT names ebr1..ebr9
  return ebr_number == 1 ? kEbr1Offset : kEbr2Offset + (ebr_number - 2) * kEbrReservation;
}

std::uint32_t lba32(std::uint64_t value, const std::string& what) {
  if (value > 0xFFFFFFFF) throw std::runtime_error(what + " does not fit a 32-bit MBR field");
  return static_cast<std::uint32_t>(value);
}

// Status and CHS bytes stay zero, as MediaTek writes them.
void put_entry(Sector& s, unsigned slot, std::uint8_t type, std::uint32_t start, std::uint32_t count) {
  std::span<std::uint8_t> b(s);
  const std::size_t e = 0x1BE + 16 * slot;
  b[e + 4] = type;
  put_le32(b, e + 8, start);
  put_le32(b, e + 12, count);
}

void sign(Sector& s) {
  s[0x1FE] = 0x55;
  s[0x1FF] = 0xAA;
}

}  // namespace

void write_mbr_ebr(DiskFile& user, const std::vector<PartitionSpec>& table, bool mtk_last_size) {
  const std::size_t logicals = table.size() - kPrimaryData;
  if (table.size() <= kPrimaryData || (logicals + kLogicalsPerEbr - 1) / kLogicalsPerEbr != kEbrCount)
    throw std::logic_error("the MediaTek MBR layout needs 3 primary and 25 logical partitions");
  const std::uint64_t ebr1_lba = kEbr1Offset / kSector;
  for (const auto& p : table)
    if (p.offset < ebr_offset(kEbrCount) + kEbrReservation || p.offset % kSector || p.size % kSector ||
        p.offset + p.size > user.size())
      throw std::logic_error("MBR partition " + p.name + " overlaps the MBR/EBR area or the disk end");

  Sector mbr{};
  put_entry(mbr, 0, kTypeExtended, lba32(ebr1_lba, "EBR1"), kToTheEnd);
  for (unsigned i = 0; i < kPrimaryData; ++i)
    put_entry(mbr, i + 1, kTypeLinux, lba32(table[i].offset / kSector, table[i].name),
              lba32(table[i].size / kSector, table[i].name));
  sign(mbr);
  user.write_at(0, mbr);

  for (unsigned ebr = 1; ebr <= kEbrCount; ++ebr) {
    const std::uint64_t ebr_lba = ebr_offset(ebr) / kSector;
    Sector s{};
    for (unsigned slot = 0; slot < kLogicalsPerEbr; ++slot) {
      const std::size_t index = kPrimaryData + (ebr - 1) * kLogicalsPerEbr + slot;
      if (index >= table.size()) break;
      const auto& p = table[index];
      const std::uint64_t start_lba = p.offset / kSector;
      const bool last = index + 1 == table.size();
      // ptgen's "to the end" count for the last partition is measured from EBR1, not from
      // the EBR holding it; hosts must clamp it to the user area.
      const std::uint32_t count = last && mtk_last_size
                                      ? kToTheEnd - lba32(start_lba - ebr1_lba, p.name)
                                      : lba32(p.size / kSector, p.name);
      put_entry(s, slot, kTypeLinux, lba32(start_lba - ebr_lba, p.name), count);
    }
    if (ebr < kEbrCount)  // link: relative to EBR1, not to this EBR
      put_entry(s, 3, kTypeExtended, lba32(ebr_offset(ebr + 1) / kSector - ebr1_lba, "EBR link"), kToTheEnd);
    sign(s);
    user.write_at(ebr_offset(ebr), s);
  }
}

}  // namespace mtkfs::sim::image::detail
