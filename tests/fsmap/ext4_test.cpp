// ext2/3/4 images made by mke2fs (several sizes and feature sets), with files written and
// deleted by debugfs: the free ranges must equal dumpe2fs's per-group free blocks exactly, the
// deleted file's stale data must lie in them, and overwriting them must leave e2fsck and every
// file's contents untouched.

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "fs_tools.h"

namespace mtkfs::fsmap::test {
namespace {

struct Ext4Case {
  const char* name;
  std::uint64_t mib;
  const char* options;  // mke2fs options
};

const Ext4Case kCases[] = {
    {"k1_8M", 8, "-t ext4 -b 1024"},
    {"k4_64M", 64, "-t ext4 -b 4096"},
    {"k4_160M", 160, "-t ext4 -b 4096"},
    {"k1_216M_noflex_32bit_uninit_bg", 216, "-t ext4 -b 1024 -O ^flex_bg,^64bit,^metadata_csum,uninit_bg"},
    {"k4_64M_csum_32bit", 64, "-t ext4 -b 4096 -O ^64bit"},
    {"k1_32M_meta_bg", 32, "-t ext4 -b 1024 -g 1024 -O meta_bg,^resize_inode"},
    {"k1_64M_sparse_super2", 64, "-t ext4 -b 1024 -O sparse_super2"},
    {"ext2_k1_32M", 32, "-t ext2 -b 1024"},
    {"ext3_k4_64M", 64, "-t ext3 -b 4096"},
};

void PrintTo(const Ext4Case& c, std::ostream* os) { *os << c.name; }

fs::path ext4_image(const Ext4Case& c) {
  Workspace& w = Workspace::get();
  return w.image(c.name, [&](const fs::path& image) {
    must("truncate -s " + std::to_string(c.mib) + "M " + quoted(image));
    must(std::string("mke2fs -q -F ") + c.options + " -d " + quoted(w.source()) + " " + quoted(image));
    must("debugfs -w -R 'write " + w.stale_file().string() + " stale.bin' " + quoted(image));
    must("debugfs -w -R 'rm stale.bin' " + quoted(image));
    must("debugfs -w -R 'rm /" + std::string(Workspace::kDeletedFile) + "' " + quoted(image));
  });
}

class FsmapExt4 : public ::testing::TestWithParam<Ext4Case> {
 protected:
  void SetUp() override {
    image_ = ext4_image(GetParam());
    ImageReader reader(image_);
    detection_ = detect_free_map(reader.fn(), reader.size);
    ASSERT_TRUE(detection_.map) << detection_.reason;
    EXPECT_FALSE(reader.outside);
    // The superblock, the descriptors and a handful of bitmap runs.
    EXPECT_LE(reader.reads, 8u);
  }
  const FreeMap& map() const { return *detection_.map; }

  fs::path image_;
  Detection detection_;
};

TEST_P(FsmapExt4, FreeRangesEqualDumpe2fs) {
  EXPECT_EQ(map().kind, Kind::ext4);
  expect_well_formed(map(), fs::file_size(image_));
  std::uint64_t superblock_free = 0;
  EXPECT_EQ(map().free, dumpe2fs_free(image_, map().block_size, superblock_free));
  EXPECT_EQ(map().free_bytes(), superblock_free * map().block_size);
  EXPECT_NE(map().description.find("ext4, " + std::to_string(map().block_size) + "-byte blocks"), std::string::npos)
      << map().description;
}

TEST_P(FsmapExt4, DeletedFileDataIsFree) {
  const auto stale = chunks_filled_with(image_, kStaleByte, map().block_size);
  EXPECT_GE(stale.size(), kStaleBytes / map().block_size);
  for (const Range& r : stale) EXPECT_TRUE(covered_by(map().free, r)) << "stale block at " << r.offset;
}

TEST_P(FsmapExt4, OverwrittenFreeSpaceLeavesFilesystemIntact) {
  const testing::TempDir scratch;
  const fs::path copy = copy_with_free_space_overwritten(image_, map(), scratch / "copy.img");
  const CommandResult fsck = run("e2fsck -fn " + quoted(copy));
  EXPECT_EQ(fsck.status, 0) << fsck.output;
  fs::create_directories(scratch / "out");
  must("debugfs -R 'rdump / " + (scratch / "out").string() + "' " + quoted(copy));
  expect_same_tree(Workspace::get().expected(), scratch / "out");
}

INSTANTIATE_TEST_SUITE_P(Images, FsmapExt4, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Ext4Case>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace mtkfs::fsmap::test
