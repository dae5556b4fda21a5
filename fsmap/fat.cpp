#include "fsmap/fat.h"

#include <algorithm>
#include <vector>

#include "fsmap/ranges.h"
#include "fsmap/reader.h"

namespace mtkfs::fsmap {
namespace fat {
namespace {

using detail::is_power_of_two;
using detail::le16;
using detail::le32;

// Cluster counts that decide the FAT type (the specification's only rule for it).
constexpr std::uint64_t kMaxFat12Clusters = 4084;
constexpr std::uint64_t kMaxFat16Clusters = 65524;
constexpr std::uint64_t kMaxFat32Clusters = 0x0FFFFFF5 - 1;

}  // namespace

std::uint64_t Layout::fat_bytes_needed() const {
  const std::uint64_t entries = clusters + 2;
  switch (kind) {
    case Kind::fat12: return (entries * 3 + 1) / 2;
    case Kind::fat16: return entries * 2;
    default: return entries * 4;
  }
}

bool has_signature(std::span<const std::uint8_t> boot) {
  if (boot.size() < 512 || boot[510] != 0x55 || boot[511] != 0xAA) return false;
  if (!((boot[0] == 0xEB && boot[2] == 0x90) || boot[0] == 0xE9)) return false;
  const std::uint16_t bps = le16(boot, 0x0B);
  // Reserved sectors and FATs: NTFS's boot sector, alike up to here, has neither.
  return bps >= 512 && bps <= 4096 && is_power_of_two(bps) && le16(boot, 0x0E) != 0 && boot[0x10] != 0;
}

std::optional<Layout> parse_bpb(std::span<const std::uint8_t> boot, std::uint64_t partition_size, std::string& why) {
  if (!has_signature(boot)) {
    why = "no FAT boot sector";
    return std::nullopt;
  }
  Layout l;
  l.bytes_per_sector = le16(boot, 0x0B);
  const std::uint64_t sectors_per_cluster = boot[0x0D];
  const std::uint64_t reserved = le16(boot, 0x0E);
  l.fats = boot[0x10];
  const std::uint64_t root_entries = le16(boot, 0x11);
  const std::uint64_t fat_sectors16 = le16(boot, 0x16);
  const std::uint64_t fat_sectors = fat_sectors16 != 0 ? fat_sectors16 : le32(boot, 0x24);
  const std::uint64_t total_sectors = le16(boot, 0x13) != 0 ? le16(boot, 0x13) : le32(boot, 0x20);
  const std::uint8_t media = boot[0x15];
  if (!is_power_of_two(sectors_per_cluster) || reserved == 0 || l.fats == 0 || l.fats > 2 || fat_sectors == 0 ||
      (media != 0xF0 && media < 0xF8)) {
    why = "implausible BPB";
    return std::nullopt;
  }
  const std::uint64_t root_sectors = (root_entries * 32 + l.bytes_per_sector - 1) / l.bytes_per_sector;
  const std::uint64_t data_sector = reserved + l.fats * fat_sectors + root_sectors;
  if (total_sectors <= data_sector) {
    why = "no room for data after the FATs";
    return std::nullopt;
  }
  l.clusters = (total_sectors - data_sector) / sectors_per_cluster;
  l.kind = l.clusters <= kMaxFat12Clusters ? Kind::fat12 : l.clusters <= kMaxFat16Clusters ? Kind::fat16 : Kind::fat32;
  const bool fat32 = l.kind == Kind::fat32;
  // The cluster count decides the type; the fields FAT32 changed must agree with it.
  if (fat32 != (fat_sectors16 == 0) || fat32 != (root_entries == 0) || l.clusters > kMaxFat32Clusters) {
    why = "BPB fields contradict the cluster count " + std::to_string(l.clusters);
    return std::nullopt;
  }
  l.cluster_size = sectors_per_cluster * l.bytes_per_sector;
  l.fat_offset = reserved * l.bytes_per_sector;
  l.fat_size = fat_sectors * l.bytes_per_sector;
  l.data_offset = data_sector * l.bytes_per_sector;
  l.volume_size = total_sectors * l.bytes_per_sector;
  l.boot_dirty = boot[fat32 ? 0x41 : 0x25] & 0x01;
  if (l.fat_size < l.fat_bytes_needed()) {
    why = "FAT too small for " + std::to_string(l.clusters) + " clusters";
    return std::nullopt;
  }
  if (l.volume_size > partition_size) {
    why = "the filesystem (" + detail::mib(static_cast<double>(l.volume_size)) + ") is larger than the partition (" +
          detail::mib(static_cast<double>(partition_size)) + ")";
    return std::nullopt;
  }
  return l;
}

}  // namespace fat

namespace {

using detail::refuse;

struct EntryCodec {
  Kind kind;

  std::uint64_t first_entry(std::uint64_t byte) const {  // `byte` is a multiple of kMapPieceBytes
    return kind == Kind::fat12 ? byte / 3 * 2 : kind == Kind::fat16 ? byte / 2 : byte / 4;
  }
  std::uint64_t whole_entries(std::uint64_t bytes) const {
    return kind == Kind::fat12 ? bytes * 2 / 3 : kind == Kind::fat16 ? bytes / 2 : bytes / 4;
  }
  std::uint32_t entry(std::span<const std::uint8_t> piece, std::uint64_t i) const {
    if (kind == Kind::fat12) {
      const std::uint16_t pair = detail::le16(piece, i * 3 / 2);
      return i % 2 == 0 ? pair & 0xFFF : pair >> 4;
    }
    if (kind == Kind::fat16) return detail::le16(piece, i * 2);
    return detail::le32(piece, i * 4) & 0x0FFFFFFF;
  }
};

void check_clean(Kind kind, std::uint32_t entry1) {
  if (kind == Kind::fat12) return;  // FAT12 has no such bits
  const std::uint32_t clean = kind == Kind::fat16 ? 0x8000 : 0x08000000;
  const std::uint32_t no_error = kind == Kind::fat16 ? 0x4000 : 0x04000000;
  if (!(entry1 & clean)) refuse("volume marked dirty (not cleanly unmounted)");
  if (!(entry1 & no_error)) refuse("volume marked as having had a disk error");
}

}  // namespace

Detection read_fat(const ReadFn& read, std::uint64_t partition_size) {
  std::string prefix = "FAT: ";
  try {
    detail::Reader reader(read, partition_size);
    if (partition_size < 512) refuse("partition smaller than a boot sector");
    const auto boot = reader.read(0, 512);
    std::string why;
    const auto layout = fat::parse_bpb(boot, partition_size, why);
    if (!layout) refuse(why);
    const fat::Layout& l = *layout;
    prefix = kind_name(l.kind) + ": ";
    if (l.boot_dirty) refuse("volume marked dirty (not cleanly unmounted)");

    const std::uint64_t needed = l.fat_bytes_needed();
    reader.allow_map(needed * l.fats);
    // Bit i stands for cluster i + 2; set = used. Every cluster starts used, so one that no FAT
    // entry was decoded for can never come out free.
    std::vector<std::uint8_t> used((l.clusters + 7) / 8, 0xFF);
    const EntryCodec codec{l.kind};
    for (std::uint64_t copy = 0; copy < l.fats; ++copy) {
      for (std::uint64_t at = 0; at < needed; at += kMapPieceBytes) {
        const auto piece = reader.read(l.fat_offset + copy * l.fat_size + at, std::min(kMapPieceBytes, needed - at));
        const std::uint64_t first = codec.first_entry(at);
        const std::uint64_t count = std::min(codec.whole_entries(piece.size()), l.clusters + 2 - first);
        for (std::uint64_t i = 0; i < count; ++i) {
          const std::uint64_t n = first + i;
          const std::uint32_t value = codec.entry(piece, i);
          if (n == 1) check_clean(l.kind, value);
          if (n < 2) continue;
          std::uint8_t& byte = used[(n - 2) / 8];
          const auto mask = static_cast<std::uint8_t>(1u << ((n - 2) % 8));
          // A cluster is free only if every copy says so.
          if (copy == 0 && value == 0) byte = static_cast<std::uint8_t>(byte & ~mask);
          if (value != 0) byte |= mask;
        }
      }
    }
    RangeBuilder builder;
    builder.add_clear_bits(used, 0, l.clusters, l.data_offset, l.cluster_size);
    return detail::found(l.kind, l.cluster_size, builder.take(), partition_size);
  } catch (const detail::Refusal& refusal) {
    return detail::refused(prefix + refusal.reason);
  }
}

}  // namespace mtkfs::fsmap
