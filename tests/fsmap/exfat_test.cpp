// exFAT images made by mkfs.exfat and filled and thinned out through exfat-fuse (the kernel here
// has no exFAT driver): the free bytes must equal dump.exfat's count, the deleted file's stale
// data must lie in the free ranges, and overwriting them must leave fsck.exfat and every file's
// contents untouched. exfat-fuse mounts block devices only, hence root, a loop device and FUSE.

#include <gtest/gtest.h>

#include <regex>

#include "fs_tools.h"
#include "tests/support/requirements.h"

namespace mtkfs::fsmap::test {
namespace {

struct ExfatCase {
  const char* name;
  std::uint64_t mib;
  const char* options;  // mkfs.exfat options
};

void PrintTo(const ExfatCase& c, std::ostream* os) { *os << c.name; }

const ExfatCase kCases[] = {
    {"exfat_64M", 64, ""},
    {"exfat_32M_512B_clusters", 32, "-c 512"},
    {"exfat_48M_64K_clusters", 48, "-c 64K"},
};

fs::path exfat_image(const ExfatCase& c) {
  Workspace& w = Workspace::get();
  return w.image(c.name, [&](const fs::path& image) {
    must("truncate -s " + std::to_string(c.mib) + "M " + quoted(image));
    must(std::string("mkfs.exfat ") + c.options + " " + quoted(image));
    const fs::path mnt = w.dir() / (std::string("mnt-") + c.name);
    ExfatMount mount(image, mnt);
    must("cp -r " + quoted(w.source()) + "/. " + quoted(mnt) + " && cp " + quoted(w.stale_file()) + " " +
         quoted(mnt / "stale.bin") + " && sync");
    must("rm " + quoted(mnt / "stale.bin") + " " + quoted(mnt / Workspace::kDeletedFile));
    mount.unmount();
  });
}

class FsmapExfat : public ::testing::TestWithParam<ExfatCase> {
 protected:
  void SetUp() override {
    if (!testing::require_fuse("exfat-fuse writes the test images") ||
        !testing::require_loop("exfat-fuse mounts block devices only"))
      return;
    image_ = exfat_image(GetParam());
    ImageReader reader(image_);
    detection_ = detect_free_map(reader.fn(), reader.size);
    ASSERT_TRUE(detection_.map) << detection_.reason;
    EXPECT_FALSE(reader.outside);
    EXPECT_LE(reader.reads, 8u);  // sector 0, boot region, root directory, FAT, bitmap
  }
  const FreeMap& map() const { return *detection_.map; }

  fs::path image_;
  Detection detection_;
};

TEST_P(FsmapExfat, FreeBytesEqualDumpExfat) {
  EXPECT_EQ(map().kind, Kind::exfat);
  expect_well_formed(map(), fs::file_size(image_));
  const std::string out = must("dump.exfat " + quoted(image_));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(Free Clusters:\s*(\d+))"))) << out;
  EXPECT_EQ(map().free_bytes(), std::stoull(m[1]) * map().block_size);
}

TEST_P(FsmapExfat, DeletedFileDataIsFree) {
  const auto stale = chunks_filled_with(image_, kStaleByte, kSectorSize);
  EXPECT_GE(stale.size(), kStaleBytes / kSectorSize);
  for (const Range& r : stale) EXPECT_TRUE(covered_by(map().free, r)) << "stale sector at " << r.offset;
}

TEST_P(FsmapExfat, OverwrittenFreeSpaceLeavesFilesystemIntact) {
  const testing::TempDir scratch;
  const fs::path copy = copy_with_free_space_overwritten(image_, map(), scratch / "copy.img");
  const CommandResult fsck = run("fsck.exfat -n " + quoted(copy));
  EXPECT_EQ(fsck.status, 0) << fsck.output;
  ExfatMount mount(copy, scratch / "mnt");
  expect_same_tree(Workspace::get().expected(), scratch / "mnt");
  mount.unmount();
}

INSTANTIATE_TEST_SUITE_P(Images, FsmapExfat, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<ExfatCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace mtkfs::fsmap::test
