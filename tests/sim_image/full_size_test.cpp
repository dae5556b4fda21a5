// The seed unit's user area (0x3AB400000 bytes, 15.7 GB) must come out sparse and valid.
#include <gtest/gtest.h>

#include "sim/image/image.h"
#include "tests/sim_image/ext4_expect.h"
#include "tests/sim_image/mbr_expect.h"
#include "tests/support/requirements.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::sim::image {
namespace {

constexpr std::uint64_t kFullUser = 0x3AB400000ull;
constexpr std::uint64_t kAllocationLimit = 64ull << 20;

TEST(FullSize, MbrLayoutWithRealNwA50Sizes) {
  if (!mtkfs::testing::require_loop("reads the image through a loop device")) return;
  testing::TempDir dir;
  init_disk({.dir = dir.path(), .user_size = kFullUser, .layout = Layout::mbr});
  const auto user = dir / "user.img";
  ASSERT_EQ(std::filesystem::file_size(user), kFullUser);
  EXPECT_LT(test::allocated_bytes(user), kAllocationLimit);

  const auto rows = test::expected_mbr_rows(kFullUser);
  EXPECT_EQ(rows.back().offset, 0x92F80000u);               // docs/protocol/partitions.md §5.3
  EXPECT_EQ(rows.back().offset + rows.back().size, 0x3AB300000u);
  test::expect_linux_view(user, rows);
  test::expect_pmt(user, kFullUser, rows);
  test::expect_system_ext4(user, 0x6200000, 0x32000000, dir.path());  // android, 800 MiB
}

TEST(FullSize, MbrMtkLastSizeIsClamped) {
  if (!mtkfs::testing::require_loop("reads the image through a loop device")) return;
  testing::TempDir dir;
  init_disk({.dir = dir.path(), .user_size = kFullUser, .layout = Layout::mbr, .mtk_last_size = true});
  const auto rows = test::expected_mbr_rows(kFullUser);
  test::expect_linux_view(dir / "user.img", rows, 0xFFFFFFFFull - (0x92F80000 / 512 - 0x400));
}

TEST(FullSize, GptLayoutWithRealNwA50Sizes) {
  if (!mtkfs::testing::require_loop("reads the image through a loop device")) return;
  testing::TempDir dir;
  init_disk({.dir = dir.path(), .user_size = kFullUser, .layout = Layout::gpt});
  const auto user = dir / "user.img";
  ASSERT_EQ(std::filesystem::file_size(user), kFullUser);
  EXPECT_LT(test::allocated_bytes(user), kAllocationLimit);

  auto verify = test::run("sgdisk -v '" + user.string() + "' 2>&1");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("No problems found"), std::string::npos) << verify.output;
  EXPECT_EQ(verify.output.find("Caution"), std::string::npos) << verify.output;

  const auto dump = test::sfdisk_dump(user);
  auto rows = test::expected_real_rows();
  rows.push_back({"contents", 0x92F80000, 0x3AB300000 - 0x92F80000});
  ASSERT_EQ(dump.partitions.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(dump.partitions[i].name, rows[i].name);
    EXPECT_EQ(dump.partitions[i].start * 512, rows[i].offset) << rows[i].name;
    EXPECT_EQ(dump.partitions[i].size * 512, rows[i].size) << rows[i].name;
  }
  test::expect_system_ext4(user, 0x6200000, 0x32000000, dir.path());
}

}  // namespace
}  // namespace mtkfs::sim::image
