#include "sim/pmt.h"

#include <cstring>

namespace mtkfs::sim {
namespace {
constexpr std::uint64_t kPmtFromEnd = 0x100000;      // docs/protocol/partitions.md §4.1
constexpr std::size_t kPmtRegionSize = 0x1000;
constexpr std::size_t kRecordsAt = 8;
constexpr std::size_t kRecordSize = 0x58;
constexpr std::size_t kMaxRecords = 40;              // PART_MAX_COUNT
constexpr std::uint8_t kSignature[4] = {0x31, 0x76, 0x54, 0x50};  // "PTv1" as a little-endian u32
}  // namespace

std::vector<std::uint8_t> read_pmt_records(const Regions& regions) {
  const std::uint64_t user = regions.size(wire::HwPartition::user);
  if (user < kPmtFromEnd) return {};
  std::vector<std::uint8_t> table(kPmtRegionSize);
  regions.read(wire::HwPartition::user, user - kPmtFromEnd, table);
  if (std::memcmp(table.data(), kSignature, 4) != 0) return {};
  if (std::memcmp(table.data() + 4, "1.0", 4) != 0 && std::memcmp(table.data() + 4, "1.1", 4) != 0) return {};
  std::size_t records = 0;
  while (records < kMaxRecords && table[kRecordsAt + records * kRecordSize] != 0) ++records;
  return {table.begin() + kRecordsAt, table.begin() + static_cast<std::ptrdiff_t>(kRecordsAt + records * kRecordSize)};
}

}  // namespace mtkfs::sim
