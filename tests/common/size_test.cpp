// The one size grammar of every command line (mtkfs, mtkfs-sim, benchmarks).
#include "common/size.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace mtkfs {
namespace {

TEST(ParseSize, DecimalHexAndBinarySuffixesInEitherCase) {
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("0x3AB400000"), 0x3AB400000u);
  EXPECT_EQ(parse_size("0x10000000"), 0x10000000u);
  EXPECT_EQ(parse_size("256M"), 256ull << 20);
  EXPECT_EQ(parse_size("256MiB"), 256ull << 20);
  EXPECT_EQ(parse_size("256MB"), 256ull << 20) << "what mtkfs-sim took and mtkfs refused before";
  EXPECT_EQ(parse_size("256mb"), 256ull << 20);
  EXPECT_EQ(parse_size("16m"), 16ull << 20);
  EXPECT_EQ(parse_size("4k"), 4096u);
  EXPECT_EQ(parse_size("4KiB"), 4096u);
  EXPECT_EQ(parse_size("4096K"), 4096ull << 10);
  EXPECT_EQ(parse_size("1G"), 1ull << 30);
  EXPECT_EQ(parse_size("2T"), 2ull << 40);
  EXPECT_EQ(parse_size("512B"), 512u);
}

TEST(ParseSize, RejectsWhatIsNotASize) {
  // "0x10k": a hex number is an exact byte count; the simulator's old grammar took it as 0x4000.
  for (const char* bad : {"", "M", "abc", "12Q", "1.5G", "-4M", "-1", "0x", "0x10M", "0x10k", "99999999999T",
                          "99999999999999999999", "0xFFFFFFFFFFFFFFFFF", "4 K", "4KK"})
    EXPECT_THROW(parse_size(bad), std::invalid_argument) << bad;
}

TEST(ParseSize, TheMessageNamesTheOptionAndTheGrammar) {
  try {
    parse_size("12Q", "cache size");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("bad cache size '12Q'"), std::string::npos) << text;
    EXPECT_NE(text.find("e.g. 256M"), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace mtkfs
