#include "fsmap/free_map.h"

#include <array>

#include "fsmap/exfat.h"
#include "fsmap/ext4_bitmap.h"
#include "fsmap/ext4_super.h"
#include "fsmap/fat.h"

namespace mtkfs::fsmap {

std::string kind_name(Kind kind) {
  switch (kind) {
    case Kind::ext4: return "ext4";
    case Kind::fat12: return "FAT12";
    case Kind::fat16: return "FAT16";
    case Kind::fat32: return "FAT32";
    case Kind::exfat: return "exFAT";
  }
  return "unknown";
}

std::uint64_t FreeMap::free_bytes() const {
  std::uint64_t total = 0;
  for (const Range& r : free) total += r.size;
  return total;
}

Detection detect_free_map(const ReadFn& read, std::uint64_t partition_size) {
  constexpr std::uint64_t kHeadBytes = ext4::kSuperblockOffset + ext4::kSuperblockSize;
  if (partition_size < kHeadBytes) return Detection{std::nullopt, "partition too small for a filesystem", false};
  std::array<std::uint8_t, kHeadBytes> head{};
  read(0, head);
  const auto bytes = std::span<const std::uint8_t>(head);
  const bool exfat = exfat::has_signature(bytes);
  const bool ext4 = ext4::has_magic(bytes.subspan(ext4::kSuperblockOffset));
  const bool fat = !exfat && fat::has_signature(bytes);
  // Two signatures: one is probably left over from an earlier format, and which one is live
  // cannot be told from here.
  if (exfat + ext4 + fat > 1) {
    Detection d;
    d.reason = std::string("both ") + (ext4 ? "ext4" : "exFAT") + " and " + (fat ? "FAT" : "exFAT") +
               " signatures: which filesystem is live is unclear";
    d.recognised = true;
    return d;
  }
  if (exfat) return read_exfat(read, partition_size);
  if (ext4) return read_ext4(read, partition_size);
  if (fat) return read_fat(read, partition_size);
  return Detection{std::nullopt, "no ext4, FAT or exFAT signature", false};
}

}  // namespace mtkfs::fsmap
