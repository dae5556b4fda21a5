#include <gtest/gtest.h>

#include <cstring>

#include "disk_builder.h"
#include "partition/ext4_name.h"
#include "partition/names.h"
#include "partition/partition_table.h"
#include "table_checks.h"

namespace mtkfs::partition::test {
namespace {

Bytes utf16(const std::u16string& s) {
  Bytes out(2 * s.size());
  for (std::size_t i = 0; i < s.size(); ++i) put16(&out[2 * i], s[i]);
  return out;
}

TEST(Names, Utf16Decoding) {
  EXPECT_EQ(utf16le_to_utf8(utf16(u"system")), "system");
  EXPECT_EQ(utf16le_to_utf8(utf16(u"ab\0cd")), "ab");
  EXPECT_EQ(utf16le_to_utf8(utf16(u"\u00e9\u4e2d")), "\xC3\xA9\xE4\xB8\xAD");
  EXPECT_EQ(utf16le_to_utf8(utf16(u"\U0001F600")), "\xF0\x9F\x98\x80");
  EXPECT_EQ(utf16le_to_utf8(utf16(std::u16string(1, char16_t(0xDC00)))), "\xEF\xBF\xBD");  // lone low
  EXPECT_EQ(utf16le_to_utf8(utf16(std::u16string(1, char16_t(0xD83D)))), "\xEF\xBF\xBD");  // high at the end
  Bytes odd = utf16(u"ab");
  odd.push_back('c');
  EXPECT_EQ(utf16le_to_utf8(odd), "ab");
}

TEST(Names, SanitizeUtf8) {
  const auto bytes = [](const char* s) { return std::span(reinterpret_cast<const std::uint8_t*>(s), std::strlen(s)); };
  EXPECT_EQ(sanitize_utf8(bytes("plain")), "plain");
  EXPECT_EQ(sanitize_utf8(bytes("caf\xC3\xA9")), "caf\xC3\xA9");
  EXPECT_EQ(sanitize_utf8(bytes("a\xFF" "b")), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(sanitize_utf8(bytes("\xC0\x80")), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong NUL
  EXPECT_EQ(sanitize_utf8(bytes("\xED\xA0\x80")), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // encoded surrogate
  EXPECT_EQ(sanitize_utf8(bytes("\xE4\xB8")), "\xEF\xBF\xBD\xEF\xBF\xBD");  // truncated
}

TEST(Names, SafeFileName) {
  EXPECT_EQ(safe_file_name("pro_info"), "pro_info");
  EXPECT_EQ(safe_file_name("A-z.0+9"), "A-z.0+9");
  EXPECT_EQ(safe_file_name(""), "");
  EXPECT_EQ(safe_file_name("."), "_");
  EXPECT_EQ(safe_file_name(".."), "_.");
  EXPECT_EQ(safe_file_name("/system"), "_system");
  EXPECT_EQ(safe_file_name("a b\tc"), "a_b_c");
  EXPECT_EQ(safe_file_name("\xC3\xBC" "ber"), "_ber");         // one '_' per code point
  EXPECT_EQ(safe_file_name("\xF0\x9F\x98\x80"), "_");
  EXPECT_EQ(safe_file_name("\xFF\xFE"), "__");                 // invalid bytes: one each
}

TEST(Names, DuplicatesAreDisambiguated) {
  std::vector<Extent> extents = {{"", "a", 0, 512, 1}, {"", "a", 512, 512, 2},  {"", "a_2", 1024, 512, 3},
                                 {"", "", 1536, 512, 4}, {"", "p4", 2048, 512, 5}, {"", "a/", 2560, 512, 6}};
  assign_file_names(extents);
  std::vector<std::string> names;
  for (const auto& e : extents) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "a_2", "a_2_2", "p4", "p4_2", "a_"}));
}

Bytes ext4_superblock(const std::string& volume, const std::string& last_mounted) {
  Bytes sb(1024, 0);
  put16(&sb[0x38], 0xEF53);
  std::copy(volume.begin(), volume.end(), sb.begin() + 0x78);
  std::copy(last_mounted.begin(), last_mounted.end(), sb.begin() + 0x88);
  return sb;
}

TEST(Ext4Name, VolumeNameThenLastMounted) {
  EXPECT_EQ(ext4_name(ext4_superblock("userdata", "/data")), "userdata");
  EXPECT_EQ(ext4_name(ext4_superblock("", "/system")), "system");
  EXPECT_EQ(ext4_name(ext4_superblock("", "/mnt/sdcard")), "mntsdcard");
  EXPECT_EQ(ext4_name(ext4_superblock(std::string(16, 'v'), "")), std::string(16, 'v'));  // no NUL: 16 max
  EXPECT_EQ(ext4_name(ext4_superblock("", "")), "");
  Bytes not_ext = ext4_superblock("x", "");
  not_ext[0x38] = 0;
  EXPECT_EQ(ext4_name(not_ext), "");
  const Bytes short_sb = ext4_superblock("x", "");
  EXPECT_EQ(ext4_name(std::span(short_sb).first(100)), "");
}

TEST(Ext4Name, UnnamedMbrPartitionsGetExt4Names) {
  const std::uint64_t region = 64ull << 20;
  SparseDisk disk(region);
  disk.write_sector(0, mbr_sector({{0x83, 2048, 2048}, {0x83, 4096, 2048}, {0x83, 6144, 2}}));
  disk.write(2048 * 512 + 0x400, ext4_superblock("", "/system"));
  disk.write(4096 * 512 + 0x400, ext4_superblock("", ""));  // ext4 without any name
  const Table with = read_table(disk.reader(), region);
  ASSERT_EQ(with.extents.size(), 3u);
  EXPECT_EQ(with.extents[0].name, "system");
  EXPECT_EQ(with.extents[0].label, "system");
  EXPECT_EQ(with.extents[1].name, "p2");
  EXPECT_EQ(with.extents[2].name, "p3");  // too small to hold a superblock: not read
  const Table without = read_table(disk.reader(), region, ReadOptions{.ext4_names = false});
  EXPECT_EQ(without.extents[0].name, "p1");
}

}  // namespace
}  // namespace mtkfs::partition::test
