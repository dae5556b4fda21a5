#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "sim/image/image.h"
#include "tests/sim_image/test_util.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::sim::image {
namespace {

using test::run;

void expect_sgdisk_clean(const std::filesystem::path& image) {
  auto r = run("sgdisk -v '" + image.string() + "' 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("No problems found"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("Problem"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("Warning"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("Caution"), std::string::npos) << r.output;  // e.g. misaligned partition ends
}

std::vector<test::Expected> expected_gpt_256m() {
  auto rows = test::expected_compact_rows();
  rows.push_back({"contents", 0xD680000, (255ull << 20) - 0xD680000});  // ends on the last MiB boundary
  return rows;
}

void expect_table(const test::Dump& dump, const std::vector<test::Expected>& rows) {
  ASSERT_EQ(dump.partitions.size(), rows.size());
  std::set<std::string> uuids;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& got = dump.partitions[i];
    EXPECT_EQ(got.number, static_cast<int>(i + 1));
    EXPECT_EQ(got.name, rows[i].name);
    EXPECT_EQ(got.start * 512, rows[i].offset) << rows[i].name;
    EXPECT_EQ(got.size * 512, rows[i].size) << rows[i].name;
    EXPECT_EQ(got.type, "0FC63DAF-8483-4772-8E79-3D69D8477DE4") << rows[i].name;
    uuids.insert(got.uuid);
  }
  EXPECT_EQ(uuids.size(), rows.size()) << "partition GUIDs must be unique";
}

TEST(Gpt, DefaultImagePassesSgdiskVerify) {
  testing::TempDir dir;
  init_disk({.dir = dir.path()});
  expect_sgdisk_clean(dir / "user.img");
}

TEST(Gpt, SfdiskListsTheNwA50NamesStartsAndSizes) {
  testing::TempDir dir;
  init_disk({.dir = dir.path(), .layout = Layout::gpt});
  const auto dump = test::sfdisk_dump(dir / "user.img");
  EXPECT_EQ(dump.header.at("label"), "gpt");
  EXPECT_EQ(dump.header.at("first-lba"), "34");
  EXPECT_EQ(dump.header.at("last-lba"), std::to_string((256ull << 20) / 512 - 34));
  EXPECT_EQ(dump.header.at("label-id"), "4D544B46-5349-4D00-8000-000000000000");
  expect_table(dump, expected_gpt_256m());

  // The partition list must match the library's own description of it.
  const auto table = partition_table(256ull << 20, Layout::gpt);
  const auto rows = expected_gpt_256m();
  ASSERT_EQ(table.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(table[i].name, rows[i].name);
    EXPECT_EQ(table[i].offset, rows[i].offset);
    EXPECT_EQ(table[i].size, rows[i].size);
  }
}

TEST(Gpt, BackupHeaderMirrorsThePrimary) {
  testing::TempDir dir;
  init_disk({.dir = dir.path()});
  const auto user = dir / "user.img";
  const std::uint64_t last_lba = (256ull << 20) / 512 - 1;
  const auto primary = test::read_bytes(user, 512, 92);
  const auto backup = test::read_bytes(user, last_lba * 512, 92);
  EXPECT_EQ(test::read_cstring(backup, 0, 8), "EFI PART");
  EXPECT_EQ(test::read_le(primary, 0x18, 8), 1u);
  EXPECT_EQ(test::read_le(primary, 0x20, 8), last_lba);
  EXPECT_EQ(test::read_le(backup, 0x18, 8), last_lba);
  EXPECT_EQ(test::read_le(backup, 0x20, 8), 1u);
  EXPECT_EQ(test::read_le(primary, 0x48, 8), 2u);
  EXPECT_EQ(test::read_le(backup, 0x48, 8), last_lba - 32);
  EXPECT_EQ(test::read_le(primary, 0x58, 4), test::read_le(backup, 0x58, 4));  // same entry array CRC
  EXPECT_EQ(test::read_bytes(user, 2 * 512, 128 * 128), test::read_bytes(user, (last_lba - 32) * 512, 128 * 128));
  const auto mbr = test::read_bytes(user, 0, 512);
  EXPECT_EQ(mbr[0x1BE + 4], 0xEE);
  EXPECT_EQ(test::read_le(mbr, 0x1BE + 8, 4), 1u);
  EXPECT_EQ(mbr[0x1FE], 0x55);
  EXPECT_EQ(mbr[0x1FF], 0xAA);
  // UTF-16LE name of entry 0.
  const auto entry0 = test::read_bytes(user, 2 * 512, 128);
  EXPECT_EQ(entry0[0x38], 'p');
  EXPECT_EQ(entry0[0x39], 0);
  EXPECT_EQ(entry0[0x3A], 'r');
}

TEST(Gpt, PatternImageIsStillValid) {
  testing::TempDir dir;
  init_disk({.dir = dir.path(), .layout = Layout::gpt, .pattern = true});
  expect_sgdisk_clean(dir / "user.img");
  expect_table(test::sfdisk_dump(dir / "user.img"), expected_gpt_256m());
  const auto cache = test::read_bytes(dir / "user.img", 0x9200000, 8);
  EXPECT_EQ(test::read_le(cache, 0, 8), pattern_word(8, 0x9200000));
}

}  // namespace
}  // namespace mtkfs::sim::image
