#include "fsmap/exfat.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "fsmap/checksum.h"
#include "fsmap/ranges.h"
#include "fsmap/reader.h"

namespace mtkfs::fsmap {
namespace exfat {
namespace {

using detail::le16;
using detail::le32;
using detail::le64;

constexpr std::uint16_t kFlagDirty = 0x2;
constexpr std::uint16_t kFlagMediaFailure = 0x4;
constexpr std::uint64_t kMaxClusters = 0xFFFFFFF5;

std::optional<Layout> fail(std::string& why, std::string text) {
  why = std::move(text);
  return std::nullopt;
}

}  // namespace

bool has_signature(std::span<const std::uint8_t> boot) {
  return boot.size() >= 11 && std::memcmp(boot.data() + 3, "EXFAT   ", 8) == 0;
}

std::optional<Layout> parse_boot_region(std::span<const std::uint8_t> region, std::uint64_t partition_size,
                                        std::string& why) {
  if (region.size() < 512 || !has_signature(region)) return fail(why, "no boot sector");
  if (region[0] != 0xEB || region[1] != 0x76 || region[2] != 0x90 || region[510] != 0x55 || region[511] != 0xAA ||
      std::any_of(region.begin() + 11, region.begin() + 64, [](std::uint8_t b) { return b != 0; }))
    return fail(why, "malformed boot sector");
  const unsigned sector_shift = region[108];
  const unsigned cluster_shift = region[109];
  if (sector_shift < 9 || sector_shift > 12 || cluster_shift > 25 - sector_shift)
    return fail(why, "implausible sector or cluster size");
  Layout l;
  l.bytes_per_sector = std::uint64_t{1} << sector_shift;
  if (region.size() < 12 * l.bytes_per_sector) return fail(why, "boot region incomplete");
  const std::uint32_t checksum = exfat_boot_checksum(region, l.bytes_per_sector);
  const auto checksum_sector = region.subspan(11 * l.bytes_per_sector, l.bytes_per_sector);
  for (std::uint64_t at = 0; at < l.bytes_per_sector; at += 4)
    if (le32(checksum_sector, at) != checksum) return fail(why, "boot region checksum wrong");

  if (le16(region, 104) >> 8 != 1) return fail(why, "unknown revision " + std::to_string(le16(region, 104) >> 8));
  l.volume_flags = le16(region, 106);
  l.fats = region[110];
  if (l.volume_flags & kFlagDirty) return fail(why, "volume marked dirty (not cleanly unmounted)");
  if (l.volume_flags & kFlagMediaFailure) return fail(why, "volume marked as having media failures");
  if (l.fats < 1 || l.fats > 2 || l.active_fat() >= l.fats) return fail(why, "implausible number of FATs");

  const std::uint64_t volume_sectors = le64(region, 72);
  const std::uint64_t fat_sector = le32(region, 80);
  const std::uint64_t fat_sectors = le32(region, 84);
  const std::uint64_t heap_sector = le32(region, 88);
  l.clusters = le32(region, 92);
  l.root_cluster = le32(region, 96);
  if (volume_sectors > (partition_size >> sector_shift))
    return fail(why, "the filesystem (" + detail::mib(std::ldexp(static_cast<double>(volume_sectors), sector_shift)) +
                         ") is larger than the partition (" + detail::mib(static_cast<double>(partition_size)) + ")");
  if (fat_sector < 24 || fat_sectors == 0 || fat_sector + l.fats * fat_sectors > heap_sector ||
      heap_sector > volume_sectors || l.clusters == 0 || l.clusters > kMaxClusters ||
      l.clusters > (volume_sectors - heap_sector) >> cluster_shift ||
      (fat_sectors << sector_shift) < (l.clusters + 2) * 4 || l.root_cluster < 2 || l.root_cluster > l.clusters + 1)
    return fail(why, "inconsistent boot sector fields");
  l.cluster_size = l.bytes_per_sector << cluster_shift;
  l.fat_offset = fat_sector << sector_shift;
  l.fat_size = fat_sectors << sector_shift;
  l.heap_offset = heap_sector << sector_shift;
  return l;
}

}  // namespace exfat

namespace {

using detail::Reader;
using detail::refuse;
using exfat::Layout;

constexpr std::uint64_t kFatPieceBytes = 64 * 1024;
constexpr std::uint64_t kDirPieceBytes = 64 * 1024;
constexpr std::uint64_t kMaxRootBytes = 8ull << 20;  // where the allocation bitmap entry must be found
constexpr std::uint32_t kEndOfChain = 0xFFFFFFFF;
constexpr std::uint8_t kTypeEnd = 0x00;
constexpr std::uint8_t kTypeBitmap = 0x81;

// Entries of the active FAT, read in pieces: cluster chains are mostly sequential.
class Fat {
 public:
  Fat(Reader& reader, const Layout& l)
      : reader_(reader), base_(l.fat_offset + l.active_fat() * l.fat_size), size_(l.fat_size) {}

  // `cluster` lies in the heap, so its entry lies in the FAT.
  std::uint32_t next(std::uint64_t cluster) {
    const std::uint64_t at = cluster * 4;
    if (piece_.empty() || at < first_ || at - first_ + 4 > piece_.size()) {
      first_ = at / kFatPieceBytes * kFatPieceBytes;
      piece_ = reader_.read(base_ + first_, std::min(kFatPieceBytes, size_ - first_));
    }
    return detail::le32(piece_, at - first_);
  }

 private:
  Reader& reader_;
  std::uint64_t base_;
  std::uint64_t size_;
  std::vector<std::uint8_t> piece_;
  std::uint64_t first_ = 0;
};

struct BitmapEntry {
  std::uint64_t first_cluster = 0;
  std::uint64_t length = 0;
  bool present = false;
};

bool in_heap(const Layout& l, std::uint64_t cluster) { return cluster >= 2 && cluster <= l.clusters + 1; }

// Walks the root directory (a FAT chain) until it has seen its end or `l.fats` bitmap entries.
// Returns the clusters it visited; `bitmaps[i]` is the bitmap for FAT i.
std::vector<std::uint64_t> find_bitmaps(Reader& reader, Fat& fat, const Layout& l, BitmapEntry (&bitmaps)[2]) {
  std::vector<std::uint64_t> visited;
  std::uint64_t cluster = l.root_cluster;
  std::uint64_t found = 0;
  std::uint64_t scanned = 0;
  while (true) {
    if (!in_heap(l, cluster)) refuse("root directory chain leaves the cluster heap");
    visited.push_back(cluster);
    for (std::uint64_t at = 0; at < l.cluster_size; at += kDirPieceBytes) {
      if (scanned >= kMaxRootBytes)
        refuse("no allocation bitmap in the first " + detail::mib(kMaxRootBytes) + " of the root directory");
      const auto piece = reader.read(l.cluster_offset(cluster) + at, std::min(kDirPieceBytes, l.cluster_size - at));
      scanned += piece.size();
      for (std::size_t e = 0; e + 32 <= piece.size(); e += 32) {
        if (piece[e] == kTypeEnd) return visited;
        if (piece[e] != kTypeBitmap) continue;
        BitmapEntry& b = bitmaps[piece[e + 1] & 1];
        if (b.present) refuse("two allocation bitmaps for the same FAT");
        b = {detail::le32(piece, e + 20), detail::le64(piece, e + 24), true};
        if (++found == l.fats) return visited;
      }
    }
    const std::uint32_t next = fat.next(cluster);
    if (next == kEndOfChain) return visited;
    cluster = next;
  }
}

// The bitmap's clusters, checked to be one contiguous FAT chain: Linux reads it as contiguous
// sectors, the specification as a chain; both must agree.
std::uint64_t bitmap_clusters(Fat& fat, const Layout& l, const BitmapEntry& b, std::uint64_t bytes) {
  const std::uint64_t count = (bytes + l.cluster_size - 1) / l.cluster_size;
  if (!b.present) refuse("allocation bitmap entry missing from the root directory");
  if (b.length < bytes || !in_heap(l, b.first_cluster) || count > l.clusters + 2 - b.first_cluster)
    refuse("allocation bitmap entry does not fit the cluster heap");
  for (std::uint64_t i = 0; i + 1 < count; ++i)
    if (fat.next(b.first_cluster + i) != b.first_cluster + i + 1) refuse("allocation bitmap is not contiguous");
  return count;
}

bool all_set(std::span<const std::uint8_t> bits, std::uint64_t first_cluster, std::uint64_t count) {
  return count_clear_bits(bits, first_cluster - 2, count) == 0;
}

std::vector<Range> free_ranges(Reader& reader, const Layout& l) {
  Fat fat(reader, l);
  BitmapEntry bitmaps[2];
  const std::vector<std::uint64_t> root = find_bitmaps(reader, fat, l, bitmaps);
  const std::uint64_t bytes = (l.clusters + 7) / 8;
  std::uint64_t counts[2] = {};
  for (std::uint64_t i = 0; i < l.fats; ++i) counts[i] = bitmap_clusters(fat, l, bitmaps[i], bytes);
  if (l.fats == 1 && bitmaps[1].present) refuse("a second allocation bitmap on a volume with one FAT");
  reader.allow_map(bytes * l.fats);
  std::vector<std::uint8_t> used(bytes, 0);
  for (std::uint64_t i = 0; i < l.fats; ++i) {
    // TexFAT: a cluster is free only if both bitmaps say so.
    for (std::uint64_t at = 0; at < bytes; at += kMapPieceBytes) {
      const auto piece =
          reader.read(l.cluster_offset(bitmaps[i].first_cluster) + at, std::min(kMapPieceBytes, bytes - at));
      for (std::size_t k = 0; k < piece.size(); ++k) used[at + k] |= piece[k];
    }
  }
  for (std::uint64_t i = 0; i < l.fats; ++i)
    if (!all_set(used, bitmaps[i].first_cluster, counts[i])) refuse("allocation bitmap marks its own clusters free");
  for (const std::uint64_t cluster : root)
    if (!all_set(used, cluster, 1)) refuse("allocation bitmap marks the root directory free");
  RangeBuilder builder;
  builder.add_clear_bits(used, 0, l.clusters, l.heap_offset, l.cluster_size);
  return builder.take();
}

}  // namespace

Detection read_exfat(const ReadFn& read, std::uint64_t partition_size) {
  try {
    Reader reader(read, partition_size);
    if (partition_size < 512) refuse("partition smaller than a boot sector");
    const auto sector0 = reader.read(0, 512);
    const unsigned shift = sector0[108];
    if (!exfat::has_signature(sector0) || shift < 9 || shift > 12) refuse("implausible sector size");
    const std::uint64_t region_bytes = 12ull << shift;
    if (region_bytes > partition_size) refuse("partition smaller than a boot region");
    std::string why;
    const auto layout = exfat::parse_boot_region(reader.read(0, region_bytes), partition_size, why);
    if (!layout) refuse(why);
    return detail::found(Kind::exfat, layout->cluster_size, free_ranges(reader, *layout), partition_size);
  } catch (const detail::Refusal& refusal) {
    return detail::refused("exFAT: " + refusal.reason);
  }
}

}  // namespace mtkfs::fsmap
