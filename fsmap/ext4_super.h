#pragma once

// ext2/ext3/ext4 superblock and group descriptors (the kernel's Documentation/filesystems/ext4):
// the geometry, and where each group keeps its metadata. Every check here refuses (throws
// detail::Refusal) rather than guess.

#include <array>
#include <cstdint>
#include <span>

namespace mtkfs::fsmap::ext4 {

inline constexpr std::uint64_t kSuperblockOffset = 1024;
inline constexpr std::uint64_t kSuperblockSize = 1024;
inline constexpr std::uint16_t kMagic = 0xEF53;

bool has_magic(std::span<const std::uint8_t> superblock);

enum class Checksum { none, crc16, crc32c };  // descriptor checksums: none, uninit_bg, metadata_csum

struct Geometry {
  std::uint64_t block_size = 0;
  std::uint64_t blocks_count = 0;
  std::uint64_t first_data_block = 0;
  std::uint64_t blocks_per_group = 0;
  std::uint64_t groups = 0;
  std::uint64_t desc_size = 0;
  std::uint64_t inode_table_blocks = 0;
  std::uint64_t reserved_gdt_blocks = 0;
  std::uint64_t first_meta_bg = 0;
  bool meta_bg = false;
  bool flex_bg = false;
  bool sparse_super = false;
  bool sparse_super2 = false;
  std::array<std::uint32_t, 2> backup_groups{};
  Checksum checksum = Checksum::none;
  std::uint32_t csum_seed = 0;  // crc32c
  std::array<std::uint8_t, 16> uuid{};

  std::uint64_t descs_per_block() const { return block_size / desc_size; }
  std::uint64_t descriptor_blocks() const { return (groups + descs_per_block() - 1) / descs_per_block(); }
  std::uint64_t group_first_block(std::uint64_t group) const { return first_data_block + group * blocks_per_group; }
  std::uint64_t group_block_count(std::uint64_t group) const;
  // Whether the group holds a superblock copy (sparse_super: 0, 1 and powers of 3, 5, 7).
  bool has_super(std::uint64_t group) const;
  // Blocks at the start of the group taken by its superblock copy, descriptor blocks and reserved
  // descriptor blocks (the kernel's ext4_num_base_meta_clusters).
  std::uint64_t base_meta_blocks(std::uint64_t group) const;
  // Where descriptor block `index` lives (the kernel's descriptor_loc).
  std::uint64_t descriptor_block(std::uint64_t index) const;
};

// `superblock`: kSuperblockSize bytes from partition offset kSuperblockOffset.
Geometry parse_superblock(std::span<const std::uint8_t> superblock, std::uint64_t partition_size);

struct GroupDesc {
  std::uint64_t block_bitmap = 0;
  std::uint64_t inode_bitmap = 0;
  std::uint64_t inode_table = 0;
  std::uint64_t free_blocks = 0;
  std::uint32_t block_bitmap_csum = 0;
  // BLOCK_UNINIT: no bitmap on disk. Honoured only with descriptor checksums, as the kernel does.
  bool block_uninit = false;
};

// Verifies the descriptor checksum and that the group's bitmaps and inode table lie inside the
// filesystem (inside the group without flex_bg) and outside every superblock/descriptor area.
GroupDesc parse_descriptor(const Geometry& geo, std::span<const std::uint8_t> desc, std::uint64_t group);

// metadata_csum only (true otherwise): the bitmap's crc32c against the descriptor.
bool block_bitmap_csum_ok(const Geometry& geo, const GroupDesc& desc, std::span<const std::uint8_t> bitmap);

}  // namespace mtkfs::fsmap::ext4
