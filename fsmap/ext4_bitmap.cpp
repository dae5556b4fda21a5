#include "fsmap/ext4_bitmap.h"

#include <algorithm>
#include <vector>

#include "fsmap/ext4_super.h"
#include "fsmap/ranges.h"
#include "fsmap/reader.h"

namespace mtkfs::fsmap {
namespace {

using detail::Reader;
using detail::refuse;
using ext4::Geometry;
using ext4::GroupDesc;

struct Extent {
  std::uint64_t start = 0;
  std::uint64_t count = 0;
};

std::vector<GroupDesc> read_descriptors(Reader& reader, const Geometry& geo) {
  std::vector<GroupDesc> groups;
  groups.reserve(geo.groups);
  const std::uint64_t per_block = geo.descs_per_block();
  std::uint64_t index = 0;
  while (index < geo.descriptor_blocks()) {
    // Without meta_bg (or before s_first_meta_bg) the descriptor blocks follow each other: one read.
    std::uint64_t blocks = 1;
    while (index + blocks < geo.descriptor_blocks() &&
           geo.descriptor_block(index + blocks) == geo.descriptor_block(index) + blocks)
      ++blocks;
    const std::uint64_t at = geo.descriptor_block(index);
    if (at >= geo.blocks_count || blocks > geo.blocks_count - at) refuse("descriptor table outside the filesystem");
    const std::uint64_t count = std::min(blocks * per_block, geo.groups - index * per_block);
    const auto table = reader.read(at * geo.block_size, count * geo.desc_size);
    for (std::uint64_t i = 0; i < count; ++i)
      groups.push_back(ext4::parse_descriptor(geo, std::span(table).subspan(i * geo.desc_size), index * per_block + i));
    index += blocks;
  }
  return groups;
}

std::vector<Extent> metadata_of(const Geometry& geo, const std::vector<GroupDesc>& groups) {
  std::vector<Extent> extents;
  extents.reserve(3 * groups.size());
  for (const GroupDesc& d : groups) {
    extents.push_back({d.block_bitmap, 1});
    extents.push_back({d.inode_bitmap, 1});
    extents.push_back({d.inode_table, geo.inode_table_blocks});
  }
  std::sort(extents.begin(), extents.end(), [](const Extent& a, const Extent& b) { return a.start < b.start; });
  return extents;
}

void set_bits(std::vector<std::uint8_t>& bits, std::uint64_t from, std::uint64_t to) {
  for (std::uint64_t bit = from; bit < to; ++bit) bits[bit / 8] |= static_cast<std::uint8_t>(1u << (bit % 8));
}

// Which of group `g`'s blocks hold metadata, as [from, to) bit ranges relative to the group.
std::vector<Extent> metadata_in_group(const Geometry& geo, const std::vector<Extent>& metadata, std::uint64_t g) {
  const std::uint64_t first = geo.group_first_block(g);
  const std::uint64_t end = first + geo.group_block_count(g);
  std::vector<Extent> inside{{0, std::min(geo.base_meta_blocks(g), end - first)}};
  // Extents are shorter than a group, so any that reaches this group starts at most that far before it.
  const std::uint64_t earliest = first > geo.blocks_per_group ? first - geo.blocks_per_group : 0;
  auto it = std::lower_bound(metadata.begin(), metadata.end(), earliest,
                             [](const Extent& e, std::uint64_t v) { return e.start < v; });
  for (; it != metadata.end() && it->start < end; ++it) {
    const std::uint64_t from = std::max(it->start, first);
    const std::uint64_t to = std::min(it->start + it->count, end);
    if (from < to) inside.push_back({from - first, to - from});
  }
  return inside;
}

// Block bitmaps of consecutive groups usually sit in consecutive blocks (flex_bg): read them in
// runs of up to kMapPieceBytes.
class BitmapPieces {
 public:
  BitmapPieces(Reader& reader, const Geometry& geo, const std::vector<GroupDesc>& groups)
      : reader_(reader), geo_(geo), groups_(groups) {}

  std::span<const std::uint8_t> bitmap_of(std::uint64_t g) {
    const std::uint64_t block = groups_[g].block_bitmap;
    if (piece_.empty() || block < first_ || block - first_ >= piece_.size() / geo_.block_size) load_from(g);
    return std::span<const std::uint8_t>(piece_).subspan((block - first_) * geo_.block_size, geo_.block_size);
  }

 private:
  void load_from(std::uint64_t g) {
    first_ = groups_[g].block_bitmap;
    std::uint64_t blocks = 1;
    for (std::uint64_t next = g + 1; next < groups_.size() && blocks * geo_.block_size < kMapPieceBytes; ++next) {
      // A BLOCK_UNINIT group's bitmap block is read along when it keeps the run contiguous.
      if (groups_[next].block_bitmap == first_ + blocks)
        ++blocks;
      else if (!groups_[next].block_uninit)
        break;
    }
    piece_ = reader_.read(first_ * geo_.block_size, blocks * geo_.block_size);
  }

  Reader& reader_;
  const Geometry& geo_;
  const std::vector<GroupDesc>& groups_;
  std::vector<std::uint8_t> piece_;
  std::uint64_t first_ = 0;
};

std::vector<Range> free_ranges(Reader& reader, const Geometry& geo, const std::vector<GroupDesc>& groups) {
  const std::vector<Extent> metadata = metadata_of(geo, groups);
  BitmapPieces pieces(reader, geo, groups);
  RangeBuilder builder;
  std::vector<std::uint8_t> bits(geo.block_size);
  for (std::uint64_t g = 0; g < groups.size(); ++g) {
    const GroupDesc& desc = groups[g];
    const std::string where = "group " + std::to_string(g);
    const std::vector<Extent> own = metadata_in_group(geo, metadata, g);
    if (desc.block_uninit) {
      // No bitmap on disk: everything is free except the group's metadata (what the kernel's
      // ext4_init_block_bitmap marks, plus other groups' bitmaps and tables lying here).
      std::fill(bits.begin(), bits.end(), 0);
      for (const Extent& e : own) set_bits(bits, e.start, e.start + e.count);
    } else {
      const auto bitmap = pieces.bitmap_of(g);
      if (!ext4::block_bitmap_csum_ok(geo, desc, bitmap)) refuse(where + " block bitmap checksum wrong");
      std::copy(bitmap.begin(), bitmap.end(), bits.begin());
      for (const Extent& e : own)
        if (count_clear_bits(bits, e.start, e.count) != 0) refuse(where + " block bitmap marks metadata free");
    }
    const std::uint64_t before = builder.free_bytes();
    builder.add_clear_bits(bits, 0, geo.group_block_count(g), geo.group_first_block(g) * geo.block_size,
                           geo.block_size);
    // More free blocks than the descriptor counts means the two disagree: trust neither.
    const std::uint64_t free_blocks = (builder.free_bytes() - before) / geo.block_size;
    if (free_blocks > desc.free_blocks)
      refuse(where + " block bitmap shows " + std::to_string(free_blocks) + " free blocks, its descriptor " +
             std::to_string(desc.free_blocks));
  }
  return builder.take();
}

}  // namespace

Detection read_ext4(const ReadFn& read, std::uint64_t partition_size) {
  try {
    Reader reader(read, partition_size);
    if (partition_size < ext4::kSuperblockOffset + ext4::kSuperblockSize) refuse("partition smaller than a superblock");
    const auto superblock = reader.read(ext4::kSuperblockOffset, ext4::kSuperblockSize);
    const Geometry geo = ext4::parse_superblock(superblock, partition_size);
    const std::vector<GroupDesc> groups = read_descriptors(reader, geo);
    // Every bitmap run is read once; a layout that needs more (bitmaps out of order) is refused.
    reader.allow_map(geo.groups * geo.block_size);
    return detail::found(Kind::ext4, geo.block_size, free_ranges(reader, geo, groups), partition_size);
  } catch (const detail::Refusal& refusal) {
    return detail::refused("ext4: " + refusal.reason);
  }
}

}  // namespace mtkfs::fsmap
