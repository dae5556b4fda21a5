// RangeBuilder and the checksums, on hand-made inputs.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fsmap/checksum.h"
#include "fsmap/ranges.h"

namespace mtkfs::fsmap::test {
namespace {

std::vector<std::uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

TEST(FsmapRanges, MergesTouchingRangesAndDropsOverlaps) {
  RangeBuilder b;
  b.add(0, 512);
  b.add(512, 1024);
  b.add(1024, 512);  // overlaps the previous one: a reader bug, dropped
  b.add(4096, 0);
  b.add(4096, 512);
  EXPECT_EQ(b.free_bytes(), 2048u);
  EXPECT_EQ(b.take(), (std::vector<Range>{{0, 1536}, {4096, 512}}));
}

TEST(FsmapRanges, ClearBitsBecomeUnitsFromTheBase) {
  // bits (LSB first): byte 0 = 0b11110010 -> clear at 0, 2, 3; byte 1 = 0x00; byte 2 = 0xFF
  const std::vector<std::uint8_t> bitmap = {0xF2, 0x00, 0xFF};
  RangeBuilder b;
  b.add_clear_bits(bitmap, 0, 24, 1 << 20, 4096);
  EXPECT_EQ(b.take(),
            (std::vector<Range>{{1 << 20, 4096}, {(1 << 20) + 2 * 4096, 2 * 4096}, {(1 << 20) + 8 * 4096, 8 * 4096}}));
}

TEST(FsmapRanges, BitsPastTheBitmapAreUsed) {
  const std::vector<std::uint8_t> bitmap = {0x00};
  RangeBuilder b;
  b.add_clear_bits(bitmap, 4, 100, 0, 512);
  EXPECT_EQ(b.take(), (std::vector<Range>{{0, 4 * 512}}));
  EXPECT_EQ(count_clear_bits(bitmap, 0, 100), 8u);
}

TEST(FsmapRanges, WellFormed) {
  EXPECT_TRUE(well_formed(std::vector<Range>{{0, 512}, {1024, 512}}, 1536));
  EXPECT_FALSE(well_formed(std::vector<Range>{{0, 512}, {512, 512}}, 4096));   // touching
  EXPECT_FALSE(well_formed(std::vector<Range>{{1024, 512}, {0, 512}}, 4096));  // unsorted
  EXPECT_FALSE(well_formed(std::vector<Range>{{0, 100}}, 4096));               // unaligned
  EXPECT_FALSE(well_formed(std::vector<Range>{{0, 1024}}, 1000));              // past the end
  EXPECT_FALSE(well_formed(std::vector<Range>{{0, 0}}, 4096));                 // empty
}

TEST(FsmapChecksums, KnownValues) {
  const auto digits = bytes_of("123456789");
  EXPECT_EQ(~crc32c(~0u, digits), 0xE3069283u);  // CRC-32C check value
  EXPECT_EQ(crc16(0, digits), 0xBB3Du);          // CRC-16/ARC check value
}

}  // namespace
}  // namespace mtkfs::fsmap::test
