// FAT12/16/32 images made by mkfs.vfat and filled and thinned out with mtools: the free bytes
// must equal fsck.fat's count, the deleted file's stale data must lie in the free ranges, and
// overwriting them must leave fsck.fat and every file's contents untouched.

#include <gtest/gtest.h>

#include <regex>

#include "fs_tools.h"

namespace mtkfs::fsmap::test {
namespace {

struct FatCase {
  const char* name;
  std::uint64_t mib;
  const char* options;  // mkfs.vfat options
  Kind kind;
};

void PrintTo(const FatCase& c, std::ostream* os) { *os << c.name; }

const FatCase kCases[] = {
    {"fat12_4M", 4, "-F 12", Kind::fat12},
    {"fat16_32M", 32, "-F 16", Kind::fat16},
    {"fat16_16M_one_fat", 16, "-F 16 -f 1", Kind::fat16},
    {"fat32_64M", 64, "-F 32", Kind::fat32},
    {"fat32_80M_1k_clusters", 80, "-F 32 -s 2", Kind::fat32},
    {"fat16_64M_4k_sectors", 64, "-S 4096 -s 1", Kind::fat16},
};

fs::path fat_image(const FatCase& c) {
  Workspace& w = Workspace::get();
  return w.image(c.name, [&](const fs::path& image) {
    const std::string i = " -i " + quoted(image) + " ";
    must("truncate -s " + std::to_string(c.mib) + "M " + quoted(image));
    must(std::string("mkfs.vfat ") + c.options + " " + quoted(image));
    must("cd " + quoted(w.source()) + " && MTOOLS_SKIP_CHECK=1 mcopy -s" + i + "* ::/");
    must("MTOOLS_SKIP_CHECK=1 mcopy" + i + quoted(w.stale_file()) + " ::/stale.bin");
    must("MTOOLS_SKIP_CHECK=1 mdel" + i + "::/stale.bin ::/" + Workspace::kDeletedFile);
  });
}

class FsmapFat : public ::testing::TestWithParam<FatCase> {
 protected:
  void SetUp() override {
    image_ = fat_image(GetParam());
    ImageReader reader(image_);
    detection_ = detect_free_map(reader.fn(), reader.size);
    ASSERT_TRUE(detection_.map) << detection_.reason;
    EXPECT_FALSE(reader.outside);
    EXPECT_LE(reader.reads, 1 + 2 * 2u);  // boot sector, each FAT in one or two pieces
  }
  const FreeMap& map() const { return *detection_.map; }

  fs::path image_;
  Detection detection_;
};

TEST_P(FsmapFat, FreeBytesEqualFsckFat) {
  EXPECT_EQ(map().kind, GetParam().kind);
  expect_well_formed(map(), fs::file_size(image_));
  // "image: 7 files, 1234/56789 clusters": used / all.
  const std::string out = must("fsck.fat -n -v " + quoted(image_));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"((\d+)/(\d+) clusters)"))) << out;
  const std::uint64_t free_clusters = std::stoull(m[2]) - std::stoull(m[1]);
  EXPECT_EQ(map().free_bytes(), free_clusters * map().block_size);
  EXPECT_NE(map().description.find(kind_name(GetParam().kind) + ", "), std::string::npos) << map().description;
}

TEST_P(FsmapFat, DeletedFileDataIsFree) {
  // Sectors, not clusters: clusters need not be aligned to their size from the partition start.
  const auto stale = chunks_filled_with(image_, kStaleByte, kSectorSize);
  EXPECT_GE(stale.size(), kStaleBytes / kSectorSize);
  for (const Range& r : stale) EXPECT_TRUE(covered_by(map().free, r)) << "stale cluster at " << r.offset;
}

TEST_P(FsmapFat, OverwrittenFreeSpaceLeavesFilesystemIntact) {
  const testing::TempDir scratch;
  const fs::path copy = copy_with_free_space_overwritten(image_, map(), scratch / "copy.img");
  const CommandResult fsck = run("fsck.fat -n " + quoted(copy));
  EXPECT_EQ(fsck.status, 0) << fsck.output;
  fs::create_directories(scratch / "out");
  must("MTOOLS_SKIP_CHECK=1 mcopy -s -n -i " + quoted(copy) + " '::*' " + quoted(scratch / "out"));
  expect_same_tree(Workspace::get().expected(), scratch / "out");
}

INSTANTIATE_TEST_SUITE_P(Images, FsmapFat, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<FatCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace mtkfs::fsmap::test
