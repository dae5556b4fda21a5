#include <gtest/gtest.h>

#include "sim/image/image.h"
#include "tests/sim_image/ext4_expect.h"
#include "tests/sim_image/test_util.h"
#include "tests/support/requirements.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::sim::image {
namespace {

constexpr std::uint64_t kAndroidOffset = 0x6200000, kAndroidSize = 0x3000000;  // compact table

TEST(Ext4, GptAndroidPartitionHoldsTheKnownFiles) {
  if (!mtkfs::testing::require_loop("reads the image through a loop device")) return;
  testing::TempDir dir;
  init_disk({.dir = dir.path(), .layout = Layout::gpt});
  test::expect_system_ext4(dir / "user.img", kAndroidOffset, kAndroidSize, dir.path());
  // No scratch files left behind next to the images.
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    if (e.path().filename() != "pattern.bin") names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"boot1.img", "boot2.img", "rpmb.img", "user.img"}));
}

TEST(Ext4, FileSystemOverPatternIsCleanAndThePatternAroundItSurvives) {
  if (!mtkfs::testing::require_loop("reads the image through a loop device")) return;
  testing::TempDir dir;
  init_disk({.dir = dir.path(), .layout = Layout::mbr, .pattern = true});
  const auto user = dir / "user.img";
  test::expect_system_ext4(user, kAndroidOffset, kAndroidSize, dir.path());
  const std::uint64_t before = kAndroidOffset - 8, after = kAndroidOffset + kAndroidSize;
  EXPECT_EQ(test::read_le(test::read_bytes(user, before, 8), 0, 8), pattern_word(8, before));
  EXPECT_EQ(test::read_le(test::read_bytes(user, after, 8), 0, 8), pattern_word(8, after));
  // The file system image replaces the pattern completely, including the ranges it leaves zero.
  const auto fs = test::read_bytes(user, kAndroidOffset, kAndroidSize);
  std::size_t pattern_words = 0;
  for (std::uint64_t off = 0; off < fs.size(); off += 8)
    pattern_words += test::read_le(fs, off, 8) == pattern_word(8, kAndroidOffset + off);
  EXPECT_EQ(pattern_words, 0u);
}

TEST(Ext4, NonPatternImageStaysSparse) {
  testing::TempDir dir;
  init_disk({.dir = dir.path(), .layout = Layout::mbr});
  // Only metadata of the 48 MiB file system, the 1 MiB pattern.bin and the tables are allocated.
  EXPECT_LT(test::allocated_bytes(dir / "user.img"), 16ull << 20);
}

}  // namespace
}  // namespace mtkfs::sim::image
