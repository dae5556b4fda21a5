#pragma once

// Which byte ranges of one partition its filesystem (ext2/3/4, FAT12/16/32, exFAT) marks free, so
// that `-o skip_free` can serve them as zeros without reading them from the device. What each reader
// reads and why it refuses: docs/free-space.md.
//
// The rule above all others: a byte the filesystem uses is never reported free. Whatever is in
// doubt (a dirty or damaged filesystem, a feature not understood, a checksum that does not match)
// makes the whole partition "read in full" (Detection::map empty, with the reason).
//
// Guarantees of detect_free_map (and of read_ext4 / read_fat / read_exfat) for ANY bytes returned
// by `read`: no exception except what `read` itself throws; every read lies inside
// [0, partition_size); at most kMaxFixedBytes plus the allocation map itself (<= kMaxMapBytes) are
// read, the map in large pieces; every free range is 512-aligned in offset and size, inside the
// partition, and the ranges are sorted, disjoint and not touching.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mtkfs::fsmap {

// Reads out.size() bytes at `offset` (relative to the partition start). May throw.
using ReadFn = std::function<void(std::uint64_t offset, std::span<std::uint8_t> out)>;

inline constexpr std::uint64_t kSectorSize = 512;
// Superblocks, descriptor tables, boot regions and directory clusters together.
inline constexpr std::uint64_t kMaxFixedBytes = 64ull << 20;
// Block bitmaps, all FAT copies or the exFAT allocation bitmaps (16 GB FAT32 with 4 KiB clusters:
// 2 x 16 MiB); a filesystem whose map is larger is refused.
inline constexpr std::uint64_t kMaxMapBytes = 256ull << 20;
// The size of one read of a block bitmap run, a FAT or an allocation bitmap.
inline constexpr std::uint64_t kMapPieceBytes = 3ull << 20;

enum class Kind { ext4, fat12, fat16, fat32, exfat };
std::string kind_name(Kind kind);  // "ext4", "FAT12", "FAT16", "FAT32", "exFAT"

struct Range {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  bool operator==(const Range&) const = default;
};

struct FreeMap {
  Kind kind = Kind::ext4;
  std::uint64_t block_size = 0;  // ext2/3/4 block, FAT or exFAT cluster
  std::vector<Range> free;       // see the guarantees above
  std::uint64_t used_bytes = 0;  // partition size minus free_bytes()
  std::string description;       // "ext4, 4096-byte blocks, 61.2 MiB used, 450.1 MiB free"

  std::uint64_t free_bytes() const;
};

struct Detection {
  std::optional<FreeMap> map;  // only for a recognised, clean and consistent filesystem
  std::string reason;          // without a map: one line saying why the partition is read in full
  bool recognised = false;     // a filesystem signature was found: the reason is worth a warning
};

Detection detect_free_map(const ReadFn& read, std::uint64_t partition_size);

}  // namespace mtkfs::fsmap
