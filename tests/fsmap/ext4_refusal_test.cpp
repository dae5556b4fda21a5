// ext2/3/4 filesystems that must be read in full: not clean, features not understood, damaged
// descriptors or bitmaps, larger than their partition. Each refusal names its reason.

#include <gtest/gtest.h>

#include <regex>

#include "fs_tools.h"

namespace mtkfs::fsmap::test {
namespace {

constexpr std::uint64_t kSuperblock = 1024;

// 16 MiB, 1 KiB blocks: two groups. "csum" has metadata_csum (ext4's default), "crc16" uninit_bg,
// "ext2" no descriptor checksums at all.
fs::path base(const std::string& name) {
  const std::string options = name == "csum"    ? "-t ext4"
                              : name == "crc16" ? "-t ext4 -O ^metadata_csum,uninit_bg"
                                                : "-t ext2";
  return Workspace::get().image("refusal_" + name, [&](const fs::path& image) {
    must("truncate -s 16M " + quoted(image));
    must("mke2fs -q -F -b 1024 " + options + " -d " + quoted(Workspace::get().source()) + " " + quoted(image));
  });
}

class FsmapExt4Refusal : public ::testing::Test {
 protected:
  fs::path copy_of(const std::string& name) {
    const fs::path copy = scratch_ / (name + ".img");
    must("cp --sparse=always " + quoted(base(name)) + " " + quoted(copy));
    return copy;
  }
  static void expect_refused(const fs::path& image, const std::string& reason_part) {
    const Detection d = detect(image);
    EXPECT_FALSE(d.map) << d.map->description;
    EXPECT_TRUE(d.recognised);
    EXPECT_EQ(d.reason.rfind("ext4: ", 0), 0u) << d.reason;
    EXPECT_NE(d.reason.find(reason_part), std::string::npos) << d.reason;
  }
  static std::uint64_t number(const std::string& text, const std::string& pattern) {
    std::smatch m;
    if (!std::regex_search(text, m, std::regex(pattern))) throw std::runtime_error("no " + pattern + " in " + text);
    return std::stoull(m[1]);
  }
  static void debugfs_w(const fs::path& image, const std::string& request) {
    must("debugfs -w -R '" + request + "' " + quoted(image));
  }

  testing::TempDir scratch_;
};

TEST_F(FsmapExt4Refusal, TheUndamagedBasesAreAccepted) {
  for (const char* name : {"csum", "crc16", "ext2"}) EXPECT_TRUE(detect(base(name)).map) << name;
}

TEST_F(FsmapExt4Refusal, JournalNeedsRecovery) {
  const fs::path image = copy_of("csum");
  debugfs_w(image, "feature needs_recovery");
  expect_refused(image, "journal needs recovery");
}

TEST_F(FsmapExt4Refusal, ErrorState) {
  const fs::path image = copy_of("csum");
  debugfs_w(image, "ssv state 3");
  expect_refused(image, "errors");
}

TEST_F(FsmapExt4Refusal, NotCleanlyUnmounted) {
  const fs::path image = copy_of("ext2");
  debugfs_w(image, "ssv state 0");
  expect_refused(image, "not cleanly unmounted");
}

TEST_F(FsmapExt4Refusal, Bigalloc) {
  const fs::path image = scratch_ / "bigalloc.img";
  must("truncate -s 16M " + quoted(image) + " && mke2fs -q -F -t ext4 -b 1024 -O bigalloc -C 4096 " + quoted(image));
  expect_refused(image, "bigalloc");
}

TEST_F(FsmapExt4Refusal, ExternalJournalDevice) {
  const fs::path image = scratch_ / "journal.img";
  must("truncate -s 8M " + quoted(image) + " && mke2fs -q -F -b 1024 -O journal_dev " + quoted(image));
  expect_refused(image, "external journal device");
}

TEST_F(FsmapExt4Refusal, UnknownIncompatibleFeature) {
  const fs::path image = copy_of("ext2");
  auto incompat = read_bytes(image, kSuperblock + 0x60, 4);
  incompat[1] |= 0x10;  // 0x1000, dirdata
  write_bytes(image, kSuperblock + 0x60, incompat);
  expect_refused(image, "unsupported incompatible features 0x1000");
}

TEST_F(FsmapExt4Refusal, SuperblockChecksumWrong) {
  const fs::path image = copy_of("csum");
  write_bytes(image, kSuperblock + 0x78, {'x'});  // the volume name, not its checksum
  expect_refused(image, "superblock checksum wrong");
}

TEST_F(FsmapExt4Refusal, FilesystemLargerThanThePartition) {
  const fs::path image = copy_of("csum");
  const Detection d = detect(image, fs::file_size(image) - 4096);
  EXPECT_FALSE(d.map);
  EXPECT_TRUE(d.recognised);
  EXPECT_NE(d.reason.find("larger than the partition"), std::string::npos) << d.reason;
}

TEST_F(FsmapExt4Refusal, DescriptorChecksumWrong) {
  for (const char* name : {"csum", "crc16"}) {
    SCOPED_TRACE(name);
    const fs::path image = copy_of(name);
    // Group 1's 64-byte descriptor in the table at block 2: its used-directories count.
    write_bytes(image, 2048 + 64 + 0x10, {0x7F});
    expect_refused(image, "group 1 descriptor checksum wrong");
  }
}

TEST_F(FsmapExt4Refusal, DescriptorPointsOutsideItsGroup) {
  for (const char* name : {"csum", "crc16", "ext2"}) {
    SCOPED_TRACE(name);
    const fs::path image = copy_of(name);
    must("printf 'set_bg 1 block_bitmap 99999999\\nset_bg 1 checksum calc\\n' | debugfs -w -f - " + quoted(image));
    expect_refused(image, "group 1 descriptor: block bitmap at block 99999999 outside its place");
  }
}

TEST_F(FsmapExt4Refusal, BitmapChecksumWrong) {
  const fs::path image = copy_of("csum");
  const std::string dump = must("dumpe2fs " + quoted(image) + " 2>/dev/null");
  const std::uint64_t bitmap = number(dump, R"(Block bitmap at (\d+))");
  auto byte = read_bytes(image, bitmap * 1024 + 100, 1);
  byte[0] ^= 0x01;
  write_bytes(image, bitmap * 1024 + 100, byte);
  expect_refused(image, "group 0 block bitmap checksum wrong");
}

TEST_F(FsmapExt4Refusal, BitmapMarksMetadataFree) {
  const fs::path image = copy_of("ext2");
  const std::uint64_t bitmap = number(must("dumpe2fs " + quoted(image) + " 2>/dev/null"), R"(Block bitmap at (\d+))");
  auto byte = read_bytes(image, bitmap * 1024, 1);
  byte[0] &= 0xFE;  // block 1: the superblock
  write_bytes(image, bitmap * 1024, byte);
  expect_refused(image, "group 0 block bitmap marks metadata free");
}

// A used data block shown free in its bitmap, the descriptor's count left alone: the two disagree.
TEST_F(FsmapExt4Refusal, BitmapShowsMoreFreeBlocksThanItsDescriptor) {
  const fs::path image = copy_of("ext2");
  const std::uint64_t block = number(must("debugfs -R 'bmap /big.bin 0' " + quoted(image)), R"((\d+)\s*$)");
  const std::string dump = must("dumpe2fs " + quoted(image) + " 2>/dev/null");
  const std::uint64_t group = (block - 1) / 8192;
  const std::regex bitmaps(R"(Block bitmap at (\d+))");
  auto it = std::sregex_iterator(dump.begin(), dump.end(), bitmaps);
  std::advance(it, static_cast<std::ptrdiff_t>(group));
  const std::uint64_t bit = (block - 1) % 8192;
  const std::uint64_t at = std::stoull((*it)[1]) * 1024 + bit / 8;
  auto byte = read_bytes(image, at, 1);
  byte[0] = static_cast<std::uint8_t>(byte[0] & ~(1u << (bit % 8)));
  write_bytes(image, at, byte);
  expect_refused(image, "group " + std::to_string(group) + " block bitmap shows");
}

}  // namespace
}  // namespace mtkfs::fsmap::test
