#include <gtest/gtest.h>

#include <random>

#include "sim/image/image.h"
#include "tests/sim_image/test_util.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::sim::image {
namespace {

using test::read_bytes;
using test::read_le;

std::uint64_t word_at(const std::filesystem::path& file, std::uint64_t offset) {
  return read_le(read_bytes(file, offset, 8), 0, 8);
}

// Offset 0, the last word and `samples` random 8-byte-aligned offsets of a region.
void expect_pattern_samples(const std::filesystem::path& file, std::uint8_t id, std::uint64_t size,
                            int samples, std::uint64_t seed) {
  ASSERT_EQ(std::filesystem::file_size(file), size) << file;
  EXPECT_EQ(word_at(file, 0), pattern_word(id, 0)) << file;
  EXPECT_EQ(word_at(file, size - 8), pattern_word(id, size - 8)) << file;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::uint64_t> dist(0, size / 8 - 1);
  for (int i = 0; i < samples; ++i) {
    const std::uint64_t off = dist(rng) * 8;
    ASSERT_EQ(word_at(file, off), pattern_word(id, off)) << file << " offset " << off;
  }
}

TEST(Pattern, WordFormula) {
  EXPECT_EQ(pattern_word(8, 0x1234), 0x0800000000001234ull);
  EXPECT_EQ(pattern_word(1, 0), 0x0100000000000000ull);
  EXPECT_EQ(pattern_word(3, 0xFFFFF8), 0x0300000000FFFFF8ull);
  EXPECT_EQ(pattern_word(2, 0x3AB3FFFF8ull), 0x02000003AB3FFFF8ull);
}

TEST(Pattern, WithoutLayoutEveryRegionIsPatternEverywhere) {
  testing::TempDir dir;
  init_disk({.dir = dir.path(), .layout = Layout::none, .pattern = true});
  expect_pattern_samples(dir / "boot1.img", 1, 4 << 20, 500, 1);  // no Preloader header without a layout
  expect_pattern_samples(dir / "boot2.img", 2, 4 << 20, 500, 2);
  expect_pattern_samples(dir / "rpmb.img", 3, 16 << 20, 500, 3);
  expect_pattern_samples(dir / "user.img", 8, 256ull << 20, 2000, 4);

  // One region checked completely, byte for byte, little-endian.
  const auto rpmb = read_bytes(dir / "rpmb.img", 0, 16 << 20);
  for (std::uint64_t off = 0; off < rpmb.size(); off += 8)
    ASSERT_EQ(read_le(rpmb, off, 8), pattern_word(3, off)) << "offset " << off;
  EXPECT_EQ(rpmb[8], 8);      // low byte of the offset comes first
  EXPECT_EQ(rpmb[15], 0x03);  // the region id is the most significant byte
}

TEST(Pattern, LayoutIsWrittenOverThePatternAndOnlyWhereItBelongs) {
  testing::TempDir dir;
  const std::uint64_t user_size = 256ull << 20;
  init_disk({.dir = dir.path(), .layout = Layout::mbr, .pattern = true});
  const auto user = dir / "user.img";
  const auto boot1 = dir / "boot1.img";

  EXPECT_EQ(test::read_cstring(read_bytes(boot1, 0, 16), 0, 16), "EMMC_BOOT");
  EXPECT_EQ(word_at(boot1, 0x400), pattern_word(1, 0x400));  // between BRLYT and the GFH image
  EXPECT_EQ(word_at(boot1, 0xC00), pattern_word(1, 0xC00));  // right after the GFH image
  expect_pattern_samples(dir / "rpmb.img", 3, 16 << 20, 200, 5);

  EXPECT_NE(word_at(user, 0x1B8), pattern_word(8, 0x1B8));   // MBR sector written (zero boot code)
  EXPECT_EQ(word_at(user, 0x200), pattern_word(8, 0x200));   // LBA 1 unused by an MBR layout
  EXPECT_EQ(word_at(user, 0x100200), pattern_word(8, 0x100200));  // just after EBR2
  // cache (0x9200000) and contents (0xD680000) are not written by init_disk.
  for (std::uint64_t off : {0x9200000ull, 0x99FFFF8ull, 0xD680000ull, 0xFEFFFF8ull})
    EXPECT_EQ(word_at(user, off), pattern_word(8, off)) << off;
  const std::uint64_t pmt = user_size - 0x100000;
  EXPECT_EQ(read_le(read_bytes(user, pmt, 4), 0, 4), 0x50547631u);
  EXPECT_EQ(word_at(user, pmt + 0x2000), pattern_word(8, pmt + 0x2000));  // after the mirror
  EXPECT_EQ(word_at(user, user_size - 8), pattern_word(8, user_size - 8));
}

}  // namespace
}  // namespace mtkfs::sim::image
