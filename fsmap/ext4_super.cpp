#include "fsmap/ext4_super.h"

#include <algorithm>
#include <string>

#include "fsmap/checksum.h"
#include "fsmap/reader.h"

namespace mtkfs::fsmap::ext4 {
namespace {

using detail::is_power_of_two;
using detail::le16;
using detail::le32;
using detail::refuse;

constexpr std::uint32_t kCompatSparseSuper2 = 0x200;
constexpr std::uint32_t kIncompatRecover = 0x4;
constexpr std::uint32_t kIncompatJournalDev = 0x8;
constexpr std::uint32_t kIncompatMetaBg = 0x10;
constexpr std::uint32_t kIncompat64Bit = 0x80;
constexpr std::uint32_t kIncompatFlexBg = 0x200;
constexpr std::uint32_t kIncompatCsumSeed = 0x2000;
// filetype, recover, journal_dev, meta_bg, extents, 64bit, mmp, flex_bg, ea_inode, csum_seed,
// largedir, inline_data, encrypt, casefold: none of them changes which blocks the bitmaps cover.
// Not here: compression and dirdata, which no kernel of today mounts.
constexpr std::uint32_t kIncompatKnown =
    0x2 | 0x4 | 0x8 | 0x10 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000;
constexpr std::uint32_t kRoCompatSparseSuper = 0x1;
constexpr std::uint32_t kRoCompatGdtCsum = 0x10;
constexpr std::uint32_t kRoCompatBigalloc = 0x200;
constexpr std::uint32_t kRoCompatMetadataCsum = 0x400;
// Everything but has_snapshot (0x80), bigalloc (0x200, bitmaps of clusters) and replica (0x800).
constexpr std::uint32_t kRoCompatKnown =
    0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | 0x40 | 0x100 | 0x400 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000;
constexpr std::uint16_t kStateValid = 0x1;
constexpr std::uint16_t kStateError = 0x2;
constexpr std::uint16_t kBlockUninit = 0x2;
constexpr std::size_t kDescChecksumOffset = 0x1E;

std::string hex(std::uint32_t v) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), digits[v & 0xF]);
    v >>= 4;
  } while (v != 0);
  return "0x" + s;
}

bool is_power_of(std::uint64_t value, std::uint64_t base) {
  std::uint64_t p = base;
  while (p < value) p *= base;
  return p == value;
}

void check_features(std::span<const std::uint8_t> sb) {
  const std::uint32_t incompat = le32(sb, 0x60);
  const std::uint32_t ro_compat = le32(sb, 0x64);
  if (incompat & kIncompatJournalDev) refuse("an external journal device, not a filesystem");
  if (incompat & ~kIncompatKnown) refuse("unsupported incompatible features " + hex(incompat & ~kIncompatKnown));
  if (ro_compat & kRoCompatBigalloc) refuse("bigalloc (bitmaps of clusters) is not supported");
  if (ro_compat & ~kRoCompatKnown) refuse("unsupported read-only features " + hex(ro_compat & ~kRoCompatKnown));
  // Replaying the journal may allocate blocks its bitmaps still show free.
  if (incompat & kIncompatRecover)
    refuse("journal needs recovery (its on-disk bitmaps may miss blocks the journal allocated)");
  const std::uint16_t state = le16(sb, 0x3A);
  if (state & kStateError) refuse("marked as having errors (run e2fsck)");
  if (!(state & kStateValid)) refuse("not cleanly unmounted (run e2fsck)");
}

void check_superblock_checksum(std::span<const std::uint8_t> sb, Geometry& geo) {
  if (sb[0x175] != 1) refuse("unknown checksum type " + std::to_string(sb[0x175]));
  const std::uint32_t stored = le32(sb, 0x3FC);
  const std::uint32_t computed = crc32c(~0u, sb.first(0x3FC));
  if (stored != computed) refuse("superblock checksum wrong");
  geo.csum_seed = (le32(sb, 0x60) & kIncompatCsumSeed) ? le32(sb, 0x270) : crc32c(~0u, geo.uuid);
}

}  // namespace

bool has_magic(std::span<const std::uint8_t> superblock) { return le16(superblock, 0x38) == kMagic; }

std::uint64_t Geometry::group_block_count(std::uint64_t group) const {
  const std::uint64_t first = group_first_block(group);
  return first >= blocks_count ? 0 : std::min(blocks_per_group, blocks_count - first);
}

bool Geometry::has_super(std::uint64_t group) const {
  if (group == 0) return true;
  if (sparse_super2) return group == backup_groups[0] || group == backup_groups[1];
  if (group == 1 || !sparse_super) return true;
  if (group % 2 == 0) return false;
  return is_power_of(group, 3) || is_power_of(group, 5) || is_power_of(group, 7);
}

std::uint64_t Geometry::base_meta_blocks(std::uint64_t group) const {
  const std::uint64_t super = has_super(group) ? 1 : 0;
  if (!meta_bg || group < first_meta_bg * descs_per_block()) {
    if (super == 0) return 0;
    return 1 + (meta_bg ? first_meta_bg : descriptor_blocks()) + reserved_gdt_blocks;
  }
  const std::uint64_t first = group / descs_per_block() * descs_per_block();
  const std::uint64_t last = first + descs_per_block() - 1;
  return super + ((group == first || group == first + 1 || group == last) ? 1 : 0);
}

std::uint64_t Geometry::descriptor_block(std::uint64_t index) const {
  if (!meta_bg || index < first_meta_bg) return first_data_block + 1 + index;
  const std::uint64_t group = index * descs_per_block();
  return group_first_block(group) + (has_super(group) ? 1 : 0);
}

Geometry parse_superblock(std::span<const std::uint8_t> sb, std::uint64_t partition_size) {
  if (sb.size() < kSuperblockSize || !has_magic(sb)) refuse("no superblock");
  if (le32(sb, 0x4C) > 1) refuse("unknown revision " + std::to_string(le32(sb, 0x4C)));
  check_features(sb);
  Geometry geo;
  const std::uint32_t incompat = le32(sb, 0x60);
  const std::uint32_t ro_compat = le32(sb, 0x64);
  std::copy_n(sb.begin() + 0x68, geo.uuid.size(), geo.uuid.begin());
  if (ro_compat & kRoCompatMetadataCsum) {
    geo.checksum = Checksum::crc32c;
    check_superblock_checksum(sb, geo);
  } else if (ro_compat & kRoCompatGdtCsum) {
    geo.checksum = Checksum::crc16;
  }

  const std::uint32_t log_block = le32(sb, 0x18);
  if (log_block > 6) refuse("block size 1024 << " + std::to_string(log_block) + " is larger than 64 KiB");
  geo.block_size = 1024ull << log_block;
  geo.blocks_count = le32(sb, 0x4);
  if (incompat & kIncompat64Bit) geo.blocks_count |= std::uint64_t{le32(sb, 0x150)} << 32;
  geo.first_data_block = le32(sb, 0x14);
  geo.blocks_per_group = le32(sb, 0x20);
  if (geo.blocks_count > partition_size / geo.block_size)
    refuse("the filesystem (" +
           detail::mib(static_cast<double>(geo.blocks_count) * static_cast<double>(geo.block_size)) +
           ") is larger than the partition (" + detail::mib(static_cast<double>(partition_size)) + ")");
  if (geo.first_data_block != (geo.block_size == 1024 ? 1u : 0u) || geo.blocks_count <= geo.first_data_block)
    refuse("first data block " + std::to_string(geo.first_data_block) + " does not fit the block size");
  if (le32(sb, 0x1C) != log_block || le32(sb, 0x24) != geo.blocks_per_group)
    refuse("cluster size differs from the block size");
  // mke2fs's range; 8 * block size is what one bitmap block can describe.
  if (geo.blocks_per_group < 256 || geo.blocks_per_group > 8 * geo.block_size || geo.blocks_per_group % 8 != 0)
    refuse("implausible " + std::to_string(geo.blocks_per_group) + " blocks per group");
  geo.groups = (geo.blocks_count - geo.first_data_block + geo.blocks_per_group - 1) / geo.blocks_per_group;

  geo.desc_size = 32;
  if (incompat & kIncompat64Bit) {
    geo.desc_size = le16(sb, 0xFE);
    if (geo.desc_size < 64 || geo.desc_size > 1024 || !is_power_of_two(geo.desc_size))
      refuse("implausible group descriptor size " + std::to_string(geo.desc_size));
  }
  const std::uint64_t inodes_per_group = le32(sb, 0x28);
  const std::uint64_t inode_size = le32(sb, 0x4C) == 0 ? 128 : le16(sb, 0x58);
  if (inodes_per_group == 0 || inodes_per_group > 8 * geo.block_size || inode_size < 128 ||
      inode_size > geo.block_size || !is_power_of_two(inode_size) || le32(sb, 0x0) != inodes_per_group * geo.groups)
    refuse("inconsistent inode counts or sizes");
  geo.inode_table_blocks = (inodes_per_group * inode_size + geo.block_size - 1) / geo.block_size;
  if (geo.inode_table_blocks >= geo.blocks_per_group) refuse("inode table larger than a group");

  geo.reserved_gdt_blocks = le16(sb, 0xCE);
  if (geo.reserved_gdt_blocks > geo.block_size / 4) refuse("implausible number of reserved descriptor blocks");
  geo.sparse_super = ro_compat & kRoCompatSparseSuper;
  geo.sparse_super2 = le32(sb, 0x5C) & kCompatSparseSuper2;
  geo.backup_groups = {le32(sb, 0x24C), le32(sb, 0x250)};
  geo.flex_bg = incompat & kIncompatFlexBg;
  geo.meta_bg = incompat & kIncompatMetaBg;
  geo.first_meta_bg = geo.meta_bg ? le32(sb, 0x104) : 0;
  if (geo.first_meta_bg > geo.descriptor_blocks()) refuse("first meta block group beyond the descriptor table");
  if (geo.groups * geo.desc_size > kMaxFixedBytes / 2) refuse("too many block groups");
  if (geo.base_meta_blocks(0) > geo.group_block_count(0)) refuse("descriptor table larger than group 0");
  return geo;
}

GroupDesc parse_descriptor(const Geometry& geo, std::span<const std::uint8_t> desc, std::uint64_t group) {
  const std::string where = "group " + std::to_string(group) + " descriptor";
  if (desc.size() < geo.desc_size) refuse(where + " missing");
  desc = desc.first(geo.desc_size);
  const bool wide = geo.desc_size >= 64;
  const std::uint8_t le_group[4] = {static_cast<std::uint8_t>(group), static_cast<std::uint8_t>(group >> 8),
                                    static_cast<std::uint8_t>(group >> 16), static_cast<std::uint8_t>(group >> 24)};
  const std::uint8_t zero[2] = {0, 0};
  const auto tail = desc.subspan(kDescChecksumOffset + 2);
  if (geo.checksum == Checksum::crc32c) {
    std::uint32_t c = crc32c(geo.csum_seed, le_group);
    c = crc32c(crc32c(crc32c(c, desc.first(kDescChecksumOffset)), zero), tail);
    if ((c & 0xFFFF) != le16(desc, kDescChecksumOffset)) refuse(where + " checksum wrong");
  } else if (geo.checksum == Checksum::crc16) {
    std::uint16_t c = crc16(crc16(crc16(0xFFFF, geo.uuid), le_group), desc.first(kDescChecksumOffset));
    c = crc16(c, tail);
    if (c != le16(desc, kDescChecksumOffset)) refuse(where + " checksum wrong");
  }

  GroupDesc d;
  auto wide_field = [&](std::size_t lo, std::size_t hi) {
    return std::uint64_t{le32(desc, lo)} | (wide ? std::uint64_t{le32(desc, hi)} << 32 : 0);
  };
  d.block_bitmap = wide_field(0x0, 0x20);
  d.inode_bitmap = wide_field(0x4, 0x24);
  d.inode_table = wide_field(0x8, 0x28);
  d.free_blocks = le16(desc, 0xC) | (wide ? std::uint64_t{le16(desc, 0x2C)} << 16 : 0);
  d.block_bitmap_csum = le16(desc, 0x18) | (wide ? std::uint32_t{le16(desc, 0x38)} << 16 : 0);
  d.block_uninit = geo.checksum != Checksum::none && (le16(desc, 0x12) & kBlockUninit);

  // Like the kernel's ext4_check_descriptors: a bitmap or inode table outside its place means a
  // damaged descriptor, whose group's bitmap cannot be trusted either.
  const std::uint64_t first = geo.flex_bg ? geo.first_data_block : geo.group_first_block(group);
  const std::uint64_t end = geo.flex_bg ? geo.blocks_count : first + geo.group_block_count(group);
  auto check = [&](const char* what, std::uint64_t start, std::uint64_t count) {
    if (start < first || start >= end || count > end - start)
      refuse(where + ": " + what + " at block " + std::to_string(start) + " outside its place");
    const std::uint64_t last = start + count - 1;
    for (std::uint64_t g = (start - geo.first_data_block) / geo.blocks_per_group;
         g <= (last - geo.first_data_block) / geo.blocks_per_group; ++g) {
      const std::uint64_t meta_end = geo.group_first_block(g) + geo.base_meta_blocks(g);
      if (start < meta_end && last >= geo.group_first_block(g))
        refuse(where + ": " + what + " overlaps the superblock or descriptors of group " + std::to_string(g));
    }
  };
  check("block bitmap", d.block_bitmap, 1);
  check("inode bitmap", d.inode_bitmap, 1);
  check("inode table", d.inode_table, geo.inode_table_blocks);
  return d;
}

bool block_bitmap_csum_ok(const Geometry& geo, const GroupDesc& desc, std::span<const std::uint8_t> bitmap) {
  if (geo.checksum != Checksum::crc32c) return true;
  const std::uint64_t bytes = geo.blocks_per_group / 8;
  if (bitmap.size() < bytes) return false;
  std::uint32_t c = crc32c(geo.csum_seed, bitmap.first(bytes));
  // The high half exists only in descriptors that reach bg_block_bitmap_csum_hi (offset 0x38).
  if (geo.desc_size < 0x3A) c &= 0xFFFF;
  return c == desc.block_bitmap_csum;
}

}  // namespace mtkfs::fsmap::ext4
