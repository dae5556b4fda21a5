// PMT v1.1 (docs/protocol/partitions.md §4.1, §5.3): 0x58-byte records at user size - 1 MiB, mirror
// after it.
#include <array>
#include <stdexcept>
#include <string>

#include "sim/image/byte_order.h"
#include "sim/image/writers.h"

namespace mtkfs::sim::image::detail {
namespace {

constexpr std::size_t kRecordsOffset = 8;
constexpr std::size_t kTailSignatureOffset = kPmtRegionSize - 4;
constexpr std::size_t kNameSize = 64;
constexpr std::size_t kMaxRecords = 40;  // PART_MAX_COUNT

struct Record {
  std::string name;
  std::uint64_t offset, size;
};

std::vector<Record> records(const std::vector<PartitionSpec>& table) {
  std::vector<Record> out{{"mbr", 0, kEbr1Offset}, {"ebr1", kEbr1Offset, kEbrReservation}};
  for (unsigned k = 0; k + 1 < kEbrCount; ++k)
    out.push_back({"ebr" + std::to_string(k + 2), kEbr2Offset + k * kEbrReservation, kEbrReservation});
  for (const auto& p : table) out.push_back({p.name, p.offset, p.size});
  return out;
}

std::array<std::uint8_t, kPmtRegionSize> region(const std::vector<Record>& recs, std::uint32_t signature) {
  static_assert(kRecordsOffset + kMaxRecords * kPmtRecordSize <= kTailSignatureOffset);
  if (recs.size() > kMaxRecords) throw std::logic_error("more PMT records than PART_MAX_COUNT");
  std::array<std::uint8_t, kPmtRegionSize> buf{};
  std::span<std::uint8_t> b(buf);
  put_le32(b, 0, signature);
  put_text(b, 4, std::string_view("1.1\0", 4));
  for (std::size_t i = 0; i < recs.size(); ++i) {
    const std::size_t base = kRecordsOffset + i * kPmtRecordSize;
    if (recs[i].name.size() >= kNameSize) throw std::logic_error("PMT name too long: " + recs[i].name);
    put_text(b, base, recs[i].name);
    put_le64(b, base + 0x40, recs[i].size);
    put_le64(b, base + 0x48, recs[i].offset);
    put_le64(b, base + 0x50, 0);  // mask_flags
  }
  put_le32(b, kTailSignatureOffset, signature);
  return buf;
}

}  // namespace

void write_pmt(DiskFile& user, const std::vector<PartitionSpec>& table) {
  if (user.size() < kPmtDistanceFromEnd) throw std::logic_error("user area smaller than the PMT distance");
  const std::uint64_t at = user.size() - kPmtDistanceFromEnd;
  const auto recs = records(table);
  user.write_at(at, region(recs, kPmtSignature));
  user.write_at(at + kPmtRegionSize, region(recs, kPmtMirrorSignature));
}

}  // namespace mtkfs::sim::image::detail
