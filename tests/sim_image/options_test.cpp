#include <gtest/gtest.h>

#include <fstream>

#include "sim/image/image.h"
#include "tests/sim_image/test_util.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::sim::image {
namespace {

using test::read_bytes;
using test::read_le;

std::string error_of(const InitOptions& o) {
  try {
    init_disk(o);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(Options, InvalidOptionsAreRejectedWithAClearMessage) {
  testing::TempDir dir;
  EXPECT_NE(error_of({}).find("no image directory"), std::string::npos);
  EXPECT_NE(error_of({.dir = dir.path(), .user_size = 1000}).find("user size 1000 must be a non-zero multiple of 512"),
            std::string::npos);
  EXPECT_NE(error_of({.dir = dir.path(), .rpmb_size = 0}).find("rpmb size 0"), std::string::npos);
  EXPECT_NE(error_of({.dir = dir.path(), .boot1_size = 0x800}).find("Preloader header"), std::string::npos);
  EXPECT_NE(error_of({.dir = dir.path(), .user_size = 128ull << 20}).find("too small"), std::string::npos);
  EXPECT_NE(error_of({.dir = dir.path(), .layout = Layout::gpt, .mtk_last_size = true}).find("mbr layout"),
            std::string::npos);
  EXPECT_NE(error_of({.dir = dir.path(), .user_size = 4ull << 40, .layout = Layout::mbr}).find("2 TiB"),
            std::string::npos);
  // Validation happens before anything is written.
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));

  std::ofstream(dir / "file") << "x";
  EXPECT_NE(error_of({.dir = dir / "file"}).find("cannot create the image directory"), std::string::npos);
}

TEST(Options, SmallestAcceptedUserAreaWorks) {
  testing::TempDir dir;
  EXPECT_EQ(minimum_user_size(), 0xD680000u + 0x200000u);
  init_disk({.dir = dir.path(), .user_size = minimum_user_size(), .layout = Layout::mbr});
  const auto table = partition_table(minimum_user_size(), Layout::mbr);
  EXPECT_EQ(table.back().name, "contents");
  EXPECT_EQ(table.back().size, 0x100000u);
  EXPECT_THROW(partition_table(minimum_user_size() - 512, Layout::mbr), std::runtime_error);
  EXPECT_THROW(partition_table(256ull << 20, Layout::none), std::runtime_error);
  // The real table is used as soon as it fits with 1 MiB of contents.
  EXPECT_EQ(partition_table(0x92F80000ull + 0x200000, Layout::mbr)[17].size, 0x32000000u);
  EXPECT_EQ(partition_table(0x92F80000ull + 0x200000 - 512, Layout::mbr)[17].size, 0x3000000u);
}

TEST(Options, DefaultFilesHaveExactSizesAreSparseAndBoot1HasThePreloaderHeader) {
  testing::TempDir dir;
  init_disk({.dir = dir / "nested" / "images"});  // creates missing directories
  const auto base = dir / "nested" / "images";
  EXPECT_EQ(std::filesystem::file_size(base / "boot1.img"), 4u << 20);
  EXPECT_EQ(std::filesystem::file_size(base / "boot2.img"), 4u << 20);
  EXPECT_EQ(std::filesystem::file_size(base / "rpmb.img"), 16u << 20);
  EXPECT_EQ(std::filesystem::file_size(base / "user.img"), 256ull << 20);
  EXPECT_EQ(test::allocated_bytes(base / "boot2.img"), 0u);
  EXPECT_EQ(test::allocated_bytes(base / "rpmb.img"), 0u);
  EXPECT_LE(test::allocated_bytes(base / "boot1.img"), 16u << 10);

  const auto boot1 = read_bytes(base / "boot1.img", 0, 0x1000);
  EXPECT_EQ(test::read_cstring(boot1, 0, 16), "EMMC_BOOT");
  const std::uint64_t brlyt = read_le(boot1, 0x10, 4);
  EXPECT_EQ(brlyt, 0x200u);
  EXPECT_EQ(test::read_cstring(boot1, brlyt, 8), "BRLYT");
  const std::uint64_t image = read_le(boot1, brlyt + 0xC, 4);
  EXPECT_EQ(image, 0x800u);
  EXPECT_EQ((std::vector<std::uint8_t>(boot1.begin() + image, boot1.begin() + image + 4)),
            (std::vector<std::uint8_t>{0x4D, 0x4D, 0x4D, 0x01}));
  const std::uint64_t length = read_le(boot1, image + 0x20, 4);
  EXPECT_EQ(length, 0x400u);
  const std::string gfh(boot1.begin() + image, boot1.begin() + image + length);
  EXPECT_NE(gfh.find("MTK_BLOADER_INFO_v"), std::string::npos);
}

TEST(Options, ExistingFilesAreReplaced) {
  testing::TempDir dir;
  {
    std::ofstream junk(dir / "user.img", std::ios::binary);
    const std::string block(1 << 20, '\xEE');
    for (int i = 0; i < 300; ++i) junk << block;  // larger than the new user area
    std::ofstream(dir / "boot2.img", std::ios::binary) << block;
  }
  init_disk({.dir = dir.path(), .layout = Layout::none});
  EXPECT_EQ(std::filesystem::file_size(dir / "user.img"), 256ull << 20);
  EXPECT_EQ(test::allocated_bytes(dir / "user.img"), 0u);  // layout none, no pattern: all zero
  EXPECT_EQ(read_le(read_bytes(dir / "user.img", 0x100000, 8), 0, 8), 0u);
  EXPECT_EQ(read_le(read_bytes(dir / "boot2.img", 0, 8), 0, 8), 0u);
  // Without a pattern, boot1 still gets its header.
  EXPECT_EQ(test::read_cstring(read_bytes(dir / "boot1.img", 0, 16), 0, 16), "EMMC_BOOT");
}

TEST(Options, CustomRegionSizes) {
  testing::TempDir dir;
  init_disk({.dir = dir.path(), .boot1_size = 1 << 20, .boot2_size = 512, .rpmb_size = 128 << 10,
             .user_size = 300ull << 20, .layout = Layout::mbr});
  EXPECT_EQ(std::filesystem::file_size(dir / "boot1.img"), 1u << 20);
  EXPECT_EQ(std::filesystem::file_size(dir / "boot2.img"), 512u);
  EXPECT_EQ(std::filesystem::file_size(dir / "rpmb.img"), 128u << 10);
  EXPECT_EQ(read_le(read_bytes(dir / "boot2.img", 504, 8), 0, 8), 0u);
  const auto table = partition_table(300ull << 20, Layout::mbr);
  EXPECT_EQ(table.back().offset + table.back().size, (300ull << 20) - 0x100000);
  const std::uint64_t pmt = (300ull << 20) - 0x100000;
  EXPECT_EQ(read_le(read_bytes(dir / "user.img", pmt, 4), 0, 4), 0x50547631u);
}

}  // namespace
}  // namespace mtkfs::sim::image
