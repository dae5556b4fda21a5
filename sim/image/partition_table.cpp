// The NW-A50 user-area partition list (docs/protocol/partitions.md §5.1) and its compact variant
// for small simulated user areas.
#include <array>
#include <stdexcept>
#include <string>

#include "sim/image/image.h"

namespace mtkfs::sim::image {
namespace {

struct SizeRow {
  const char* name;
  std::uint64_t real_size;
  std::uint64_t compact_size;
};

constexpr std::uint64_t KiB = 1024, MiB = 1024 * KiB;

// p2..p28 in disk order; `contents` (p29) takes what is left. The compact sizes keep every
// partition of at most 16 MiB at its real size so small-partition code paths see real values.
constexpr std::array<SizeRow, 27> kRows{{
    {"pro_info", 0x300000, 0x300000},   {"nvram", 0x500000, 0x500000},
    {"protect_f", 0xA00000, 0xA00000},  {"protect_s", 0xA00000, 0xA00000},
    {"seccfg", 0x20000, 0x20000},       {"uboot", 0x60000, 0x60000},
    {"bootimg", 0x1000000, 0x1000000},  {"recovery", 0x1000000, 0x1000000},
    {"sec_ro", 0x600000, 0x600000},     {"misc", 0x80000, 0x80000},
    {"logo", 0x300000, 0x300000},       {"expdb", 0xA00000, 0xA00000},
    {"tee1", 0x500000, 0x500000},       {"tee2", 0x500000, 0x500000},
    {"kb", 0x100000, 0x100000},         {"dkb", 0x100000, 0x100000},
    {"xhrome", 0x100000, 0x100000},     {"android", 0x32000000, 48 * MiB},
    {"cache", 0x1C00000, 8 * MiB},      {"cm4", 0x80000, 0x80000},
    {"nvp", 0xF00000, 4 * MiB},         {"var", 0x6E00000, 8 * MiB},
    {"db", 0x6400000, 8 * MiB},         {"option1", 0x800000, 0x800000},
    {"option2", 0x8000000, 8 * MiB},    {"option3", 0x40000000, 16 * MiB},
    {"usrdata", 0x2800000, 8 * MiB},
}};

constexpr std::uint64_t kFirstPartitionOffset = kEbr2Offset + (kEbrCount - 1) * kEbrReservation;
constexpr std::uint64_t kMinimumContents = 1 * MiB;
constexpr std::uint64_t kGptBackupSectors = 33;  // 32 sectors of entries + the header

constexpr std::uint64_t rows_end(bool real) {
  std::uint64_t end = kFirstPartitionOffset;
  for (const auto& row : kRows) end += real ? row.real_size : row.compact_size;
  return end;
}

static_assert(kFirstPartitionOffset == 0x500000, "docs/protocol/partitions.md §5.1: pro_info starts at 0x500000");
static_assert(rows_end(true) == 0x92F80000, "docs/protocol/partitions.md §5.1: contents starts at 0x92F80000");

}  // namespace

std::uint64_t minimum_user_size() { return rows_end(false) + kMinimumContents + kPmtDistanceFromEnd; }

std::vector<PartitionSpec> partition_table(std::uint64_t user_size, Layout layout) {
  if (layout == Layout::none) throw std::runtime_error("partition_table: layout none has no partitions");
  if (user_size % kSector != 0)
    throw std::runtime_error("user area size " + std::to_string(user_size) + " is not a multiple of 512");
  if (user_size < minimum_user_size())
    throw std::runtime_error("user area of " + std::to_string(user_size) +
                             " bytes is too small for the NW-A50 partition layout (minimum " +
                             std::to_string(minimum_user_size()) + " bytes)");
  const bool real = user_size >= rows_end(true) + kMinimumContents + kPmtDistanceFromEnd;
  std::vector<PartitionSpec> table;
  std::uint64_t offset = kFirstPartitionOffset;
  for (const auto& row : kRows) {
    std::uint64_t size = real ? row.real_size : row.compact_size;
    table.push_back({row.name, offset, size});
    offset += size;
  }
  // MBR: the last MiB belongs to the PMT. GPT: up to the last MiB boundary before the backup
  // table, which is the same end for MiB-aligned user areas, so both layouts share one table.
  const std::uint64_t end = layout == Layout::mbr ? user_size - kPmtDistanceFromEnd
                                                  : (user_size - kGptBackupSectors * kSector) / MiB * MiB;
  if (end <= offset) throw std::runtime_error("user area of " + std::to_string(user_size) + " bytes leaves no room for contents");
  table.push_back({"contents", offset, end - offset});
  return table;
}

}  // namespace mtkfs::sim::image
