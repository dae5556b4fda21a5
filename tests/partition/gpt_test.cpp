#include <gtest/gtest.h>

#include "disk_builder.h"
#include "partition/gpt.h"
#include "partition/partition_table.h"
#include "table_checks.h"

namespace mtkfs::partition::test {
namespace {

constexpr std::uint64_t kDiskSize = 64ull << 20;  // 131072 sectors
constexpr std::uint64_t kLastLba = kDiskSize / 512 - 1;
constexpr ReadOptions kNoExt4{.ext4_names = false};

const GptPart kUnused{0, 0, u"", kLinuxDataGuid, false};

// Entries 1, 3, 4 used; entry 2 is an all-zero slot.
std::vector<GptPart> three_parts() {
  return {{2048, 4095, u"boot"}, kUnused, {8192, 16383, u"system"}, {16384, 16384, u"tiny"}};
}

TEST(Gpt, PrimaryIsUsedWhenValid) {
  SparseDisk disk(kDiskSize);
  auto parts = three_parts();
  auto backup = parts;
  backup[0].name = u"other";  // proves which copy was read
  write_gpt(disk, parts, backup);

  const Table t = read_table(disk.reader(), kDiskSize, kNoExt4);
  EXPECT_EQ(t.scheme, Scheme::gpt);
  EXPECT_TRUE(t.warnings.empty()) << joined(t.warnings);
  ASSERT_EQ(t.extents.size(), 3u);
  EXPECT_EQ(t.extents[0], (Extent{"boot", "boot", 2048 * 512, 2048 * 512, 1}));
  EXPECT_EQ(t.extents[1], (Extent{"system", "system", 8192 * 512, 8192 * 512, 3}));
  EXPECT_EQ(t.extents[2], (Extent{"tiny", "tiny", 16384 * 512, 512, 4}));  // last LBA inclusive
  expect_sane(t, kDiskSize);
}

TEST(Gpt, CorruptPrimaryHeaderCrcFallsBackToBackup) {
  SparseDisk disk(kDiskSize);
  auto primary = three_parts();
  auto backup = three_parts();
  backup[0].name = u"from_backup";
  write_gpt(disk, primary, backup);
  disk.byte(512 + 0x40) ^= 0x01;  // inside the disk GUID: header CRC no longer matches

  const Table t = read_table(disk.reader(), kDiskSize, kNoExt4);
  EXPECT_EQ(t.scheme, Scheme::gpt);
  ASSERT_EQ(t.extents.size(), 3u);
  EXPECT_EQ(t.extents[0].label, "from_backup");
  EXPECT_TRUE(any_contains(t.warnings, "backup GPT")) << joined(t.warnings);
  EXPECT_TRUE(any_contains(t.warnings, "header CRC")) << joined(t.warnings);
  expect_sane(t, kDiskSize);
}

TEST(Gpt, CorruptPrimaryEntryArrayFallsBackToBackup) {
  SparseDisk disk(kDiskSize);
  auto backup = three_parts();
  backup[2].name = u"backup_system";
  write_gpt(disk, three_parts(), backup);
  disk.byte(2 * 512 + 56) ^= 0x20;  // first entry's name, primary array

  const Table t = read_table(disk.reader(), kDiskSize, kNoExt4);
  EXPECT_EQ(t.scheme, Scheme::gpt);
  ASSERT_EQ(t.extents.size(), 3u);
  EXPECT_EQ(t.extents[1].label, "backup_system");
  EXPECT_TRUE(any_contains(t.warnings, "entry array CRC")) << joined(t.warnings);
  EXPECT_TRUE(any_contains(t.warnings, "backup GPT")) << joined(t.warnings);
}

TEST(Gpt, BothCopiesBadGiveNoTable) {
  SparseDisk disk(kDiskSize);
  write_gpt(disk, three_parts(), three_parts());
  disk.byte(512 + 0x40) ^= 0x01;                      // primary header
  disk.byte((kLastLba - 32) * 512 + 56) ^= 0x01;       // backup entry array

  const Table t = read_table(disk.reader(), kDiskSize, kNoExt4);
  EXPECT_EQ(t.scheme, Scheme::none);
  EXPECT_TRUE(t.extents.empty());
  EXPECT_TRUE(any_contains(t.warnings, "no usable partition table")) << joined(t.warnings);
}

TEST(Gpt, ProtectiveMbrIsNeverReadAsDosTable) {
  SparseDisk disk(kDiskSize);
  disk.write_sector(0, mbr_sector({{0xEE, 1, static_cast<std::uint32_t>(kLastLba)}}));
  const Table t = read_table(disk.reader(), kDiskSize, kNoExt4);
  EXPECT_EQ(t.scheme, Scheme::none);
  EXPECT_TRUE(t.extents.empty());
}

TEST(Gpt, BackupFoundWhenSectorZeroIsBlank) {
  SparseDisk disk(kDiskSize);
  write_gpt(disk, three_parts(), three_parts());
  disk.write_sector(0, Sector{});
  disk.write_sector(1, Sector{});
  const Table t = read_table(disk.reader(), kDiskSize, kNoExt4);
  EXPECT_EQ(t.scheme, Scheme::gpt);
  EXPECT_EQ(t.extents.size(), 3u);
  EXPECT_TRUE(any_contains(t.warnings, "backup GPT")) << joined(t.warnings);
}

TEST(Gpt, DosMbrWithoutProtectiveEntryWinsLikeInLinux) {
  SparseDisk disk(kDiskSize);
  write_gpt(disk, three_parts(), three_parts());
  disk.write_sector(0, mbr_sector({{0x83, 2048, 100}}));
  const Table t = read_table(disk.reader(), kDiskSize, kNoExt4);
  EXPECT_EQ(t.scheme, Scheme::mbr);
  ASSERT_EQ(t.extents.size(), 1u);
  EXPECT_EQ(t.extents[0].name, "p1");
  EXPECT_TRUE(any_contains(t.warnings, "using the MBR")) << joined(t.warnings);
}

TEST(Gpt, EmptyMbrDoesNotHideTheGpt) {
  SparseDisk disk(kDiskSize);
  write_gpt(disk, three_parts(), three_parts());
  disk.write_sector(0, mbr_sector({}));
  const Table t = read_table(disk.reader(), kDiskSize, kNoExt4);
  EXPECT_EQ(t.scheme, Scheme::gpt);
  EXPECT_EQ(t.extents.size(), 3u);
  EXPECT_TRUE(t.warnings.empty()) << joined(t.warnings);
}

TEST(Gpt, NonAsciiSurrogateAndDuplicateNames) {
  SparseDisk disk(kDiskSize);
  std::vector<GptPart> parts = {
      {100, 199, u"donn\u00e9es"},
      {200, 299, u"system"},
      {300, 399, u"system"},
      {400, 499, u""},
      {500, 599, u"\U0001F600x"},                  // surrogate pair
      {600, 699, std::u16string(u"a") + char16_t(0xD800) + u"b"},  // unpaired high surrogate
      {700, 799, u"../etc"},
      {800, 899, u".hidden"},
      {900, 999, u"a b/c"},
      {1000, 1099, u"p4"},                         // collides with the fallback name of entry 4
      {1100, 1199, u"abcdefghijklmnopqrstuvwxyz0123456789"},  // 36 units, no terminator
  };
  write_gpt(disk, parts, parts);
  const Table t = read_table(disk.reader(), kDiskSize, kNoExt4);
  ASSERT_EQ(t.scheme, Scheme::gpt);
  ASSERT_EQ(t.extents.size(), parts.size());
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"donn_es", "donn\xC3\xA9" "es"},
      {"system", "system"},
      {"system_2", "system"},
      {"p4", ""},
      {"_x", "\xF0\x9F\x98\x80x"},
      {"a_b", "a\xEF\xBF\xBD" "b"},
      {"_._etc", "../etc"},
      {"_hidden", ".hidden"},
      {"a_b_c", "a b/c"},
      {"p4_2", "p4"},
      {"abcdefghijklmnopqrstuvwxyz0123456789", "abcdefghijklmnopqrstuvwxyz0123456789"},
  };
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(t.extents[i].name, expected[i].first) << i;
    EXPECT_EQ(t.extents[i].label, expected[i].second) << i;
    EXPECT_EQ(t.extents[i].number, static_cast<int>(i) + 1);
  }
  expect_sane(t, kDiskSize);
}

TEST(Gpt, EntriesOutsideTheRegionAreDropped) {
  SparseDisk disk(kDiskSize);
  std::vector<GptPart> parts = {
      {2048, kLastLba, u"to_the_end"},        // last sector of the region: still inside
      {2048, kLastLba + 1, u"one_too_far"},
      {kLastLba + 10, kLastLba + 20, u"beyond"},
      {5000, 4000, u"backwards"},
      {~0ull - 5, ~0ull, u"overflow"},
  };
  write_gpt(disk, parts, parts);
  const Table t = read_table(disk.reader(), kDiskSize, kNoExt4);
  ASSERT_EQ(t.scheme, Scheme::gpt);
  ASSERT_EQ(t.extents.size(), 1u);
  EXPECT_EQ(t.extents[0].label, "to_the_end");
  EXPECT_EQ(t.extents[0].offset + t.extents[0].size, kDiskSize);
  EXPECT_EQ(t.warnings.size(), 4u) << joined(t.warnings);
  EXPECT_TRUE(any_contains(t.warnings, "one_too_far"));
  EXPECT_TRUE(any_contains(t.warnings, "backwards"));
  expect_sane(t, kDiskSize);
}

TEST(Gpt, SmallerRegionThanTheDiskDropsTailEntries) {
  // The GPT was written for 64 MiB but the region is only 16 MiB: the primary is still valid,
  // partitions past 16 MiB must vanish.
  SparseDisk disk(kDiskSize);
  const std::uint64_t region = 16ull << 20;  // 32768 sectors
  std::vector<GptPart> parts = {{2048, 30000, u"fits"}, {30000, 40000, u"crosses"}};
  write_gpt(disk, parts, parts);
  const Table t = read_table(disk.reader(), region, kNoExt4);
  ASSERT_EQ(t.extents.size(), 1u);
  EXPECT_EQ(t.extents[0].label, "fits");
  expect_sane(t, region);
}

// ---- header sanity, pure parser ----

Sector header_with(GptHeaderFields f) {
  f.last_usable = kLastLba - 33;
  f.backup_lba = kLastLba;
  return gpt_header(f);
}

TEST(GptHeader, AcceptsTheStandardLayout) {
  const auto h = parse_gpt_header(header_with({}), 1, kDiskSize);
  ASSERT_TRUE(h) << h.error;
  EXPECT_EQ(h.value->entries_lba, 2u);
  EXPECT_EQ(h.value->entry_count, 128u);
  EXPECT_EQ(h.value->entry_size, 128u);
}

TEST(GptHeader, RejectsInsaneFields) {
  struct Case {
    const char* what;
    GptHeaderFields fields;
    std::uint64_t read_at = 1;
  };
  std::vector<Case> cases;
  auto add = [&](const char* what, auto mutate, std::uint64_t read_at = 1) {
    GptHeaderFields f;
    mutate(f);
    cases.push_back({what, f, read_at});
  };
  add("header too small", [](GptHeaderFields& f) { f.header_size = 91; });
  add("header too large", [](GptHeaderFields& f) { f.header_size = 513; });
  add("entry size 100", [](GptHeaderFields& f) { f.entry_size = 100; });
  add("entry size 0", [](GptHeaderFields& f) { f.entry_size = 0; });
  add("entry size 2048", [](GptHeaderFields& f) { f.entry_size = 2048; });
  add("no entries", [](GptHeaderFields& f) { f.entry_count = 0; });
  add("too many entries", [](GptHeaderFields& f) { f.entry_count = 1025; });
  add("array beyond region", [](GptHeaderFields& f) { f.entries_lba = kLastLba; });
  add("array LBA huge", [](GptHeaderFields& f) { f.entries_lba = ~0ull / 2; });
  add("wrong current LBA", [](GptHeaderFields&) {}, 7);
  for (const Case& c : cases) {
    Sector s = gpt_header(c.fields);
    const auto h = parse_gpt_header(s, c.read_at, kDiskSize);
    EXPECT_FALSE(h) << c.what;
    EXPECT_FALSE(h.error.empty()) << c.what;
  }
  // A header of 92..512 bytes, CRC over exactly header_size bytes.
  GptHeaderFields big;
  big.header_size = 512;
  big.last_usable = 100;
  EXPECT_TRUE(parse_gpt_header(gpt_header(big), 1, kDiskSize));
}

TEST(GptEntries, LargerEntrySizeIsHonoured) {
  GptHeaderFields f;
  f.entry_size = 256;
  f.entry_count = 4;
  const Bytes array = gpt_entry_array({{10, 19, u"a"}, kUnused, {30, 39, u"c"}}, 4, 256);
  f.entries_crc = zlib_crc(array.data(), array.size());
  const auto h = parse_gpt_header(header_with(f), 1, kDiskSize);
  ASSERT_TRUE(h) << h.error;
  std::vector<std::string> warnings;
  const auto entries = parse_gpt_entries(array, *h.value, kDiskSize, warnings);
  ASSERT_TRUE(entries) << entries.error;
  ASSERT_EQ(entries.value->size(), 2u);
  EXPECT_EQ((*entries.value)[1].number, 3);
  EXPECT_EQ((*entries.value)[1].offset, 30u * 512);
}

TEST(GptEntries, ShortArrayIsRejected) {
  GptHeaderFields f;
  const Bytes array = gpt_entry_array({{10, 19, u"a"}});
  f.entries_crc = zlib_crc(array.data(), array.size());
  const auto h = parse_gpt_header(header_with(f), 1, kDiskSize);
  ASSERT_TRUE(h);
  std::vector<std::string> warnings;
  EXPECT_FALSE(parse_gpt_entries(std::span(array).first(100), *h.value, kDiskSize, warnings));
}

}  // namespace
}  // namespace mtkfs::partition::test
