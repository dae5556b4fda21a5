#include "da/da_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "da/errors.h"
#include "sim/image/byte_order.h"
#include "sim/image/synthetic_da.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::da {
namespace {

using mtkfs::sim::image::DaEntrySpec;
using mtkfs::sim::image::SyntheticDaOptions;

// The protocol tests' DA file: the layout of docs/protocol/da-file.md §5 with patterned region bodies
// and 0xEE signatures.
SyntheticDaOptions test_da() { return mtkfs::sim::image::protocol_test_da_options(); }
std::vector<std::uint8_t> build_da_file(const SyntheticDaOptions& spec = test_da()) {
  return mtkfs::sim::image::build_synthetic_da(spec);
}

std::string error_of(const std::vector<std::uint8_t>& file, std::uint16_t hw = 0x8590,
                     std::uint16_t hw_ver = 0xCB01, std::uint16_t sw_ver = 0x0102) {
  try {
    DaFile parsed = parse_da_file(file, "test.bin");
    select_da_entry(parsed, hw, hw_ver, sw_ver);
  } catch (const DaFileError& e) {
    return e.what();
  }
  return "no error";
}

TEST(DaFile, ParsesTheSpecSyntheticFile) {
  const auto bytes = build_da_file();
  ASSERT_EQ(bytes.size(), 0x4400u);
  const DaFile f = parse_da_file(bytes, "synthetic");
  EXPECT_EQ(f.identifier, "MTK_DOWNLOAD_AGENT");
  EXPECT_EQ(f.description, "MTKFS_SIM_DA_v1 legacy MT8590");
  EXPECT_EQ(f.info_version, 4u);
  EXPECT_EQ(f.info_magic, 0x22668899u);
  EXPECT_EQ(f.entry_size, 0xDCu);
  EXPECT_TRUE(f.warnings.empty());
  ASSERT_EQ(f.entries.size(), 1u);
  const DaEntry& e = f.entries[0];
  EXPECT_EQ(e.hw_code, 0x8590);
  EXPECT_EQ(e.hw_ver, 0xCA00);
  EXPECT_EQ(e.sw_ver, 0);
  ASSERT_EQ(e.regions.size(), 3u);
  EXPECT_EQ(e.regions[1].file_offset, 0x1200u);
  EXPECT_EQ(e.regions[1].length, 0x1100u);
  EXPECT_EQ(e.regions[1].load_address, 0x00200000u);
  EXPECT_EQ(e.regions[1].signature_offset, 0x1000u);
  EXPECT_EQ(e.regions[1].signature_length, 0x100u);
  EXPECT_EQ(e.regions[2].load_address, 0x80000000u);
}

TEST(DaFile, SelectsStage1AndStage2ForTheNwA50) {
  const auto bytes = build_da_file();
  const DaFile f = parse_da_file(bytes);
  const DaSelection s = select_da_entry(f, 0x8590, 0xCB01, 0x0102);
  EXPECT_EQ(s.stage1.load_address, 0x00200000u);
  EXPECT_EQ(s.stage2.load_address, 0x80000000u);
  ASSERT_EQ(s.stage1_image.size(), 0x1100u);
  ASSERT_EQ(s.stage2_image.size(), 0x2100u);
  EXPECT_TRUE(std::equal(s.stage1_image.begin(), s.stage1_image.end(), bytes.begin() + 0x1200));
  EXPECT_TRUE(std::equal(s.stage2_image.begin(), s.stage2_image.end(), bytes.begin() + 0x2300));
  EXPECT_EQ(s.stage1_image[0], 'M');
  EXPECT_EQ(s.stage1_image.back(), 0xEE);
  EXPECT_FALSE(s.rule_disagreement.has_value());
}

TEST(DaFile, DeviceVersionZeroMatchesAnyEntry) {
  const DaFile f = parse_da_file(build_da_file());
  EXPECT_NO_THROW(select_da_entry(f, 0x8590, 0, 0));
}

TEST(DaFile, FirstMatchingEntryInFileOrderWins) {
  SyntheticDaOptions spec = test_da();
  DaEntrySpec newer;  // needs a newer chip revision: skipped
  newer.hw_ver = 0xCC00;
  DaEntrySpec older;
  older.hw_ver = 0xCA00;
  older.regions[1].load_address = 0x00201000;
  spec.entries = {newer, older, DaEntrySpec{}};
  const DaFile f = parse_da_file(build_da_file(spec));
  const DaSelection s = select_da_entry(f, 0x8590, 0xCB01, 0x0102);
  EXPECT_EQ(s.entry.index, 1u);
  EXPECT_EQ(s.stage1.load_address, 0x00201000u);
}

TEST(DaFile, NoEntryForTheChipListsWhatWasFound) {
  SyntheticDaOptions spec = test_da();
  DaEntrySpec a, b;
  a.hw_code = 0x6735;
  b.hw_code = 0x6580;
  spec.entries = {a, b};
  EXPECT_EQ(error_of(build_da_file(spec)),
            "DA file test.bin has no entry for hw code 0x8590 (found: 0x6580, 0x6735)");
}

TEST(DaFile, EntryForANewerRevisionIsExplained) {
  const std::string msg = error_of(build_da_file(), 0x8590, 0xC900, 0x0102);
  EXPECT_NE(msg.find("accepts hw ver 0xC900"), std::string::npos) << msg;
  EXPECT_NE(msg.find("hw ver ≥ 0xCA00"), std::string::npos) << msg;
}

TEST(DaFile, TruncatedHeaderIsReportedWithItsSize) {
  auto bytes = build_da_file();
  bytes.resize(0x40);
  const std::string msg = error_of(bytes);
  EXPECT_NE(msg.find("truncated: 64 bytes"), std::string::npos) << msg;
}

TEST(DaFile, TruncatedEntryTableIsReported) {
  auto bytes = build_da_file();
  bytes.resize(0x6C + 0x50);
  const std::string msg = error_of(bytes);
  EXPECT_NE(msg.find("is truncated: it declares 1 entries"), std::string::npos) << msg;
}

TEST(DaFile, EmptyInputIsATruncatedFile) { EXPECT_NE(error_of({}).find("truncated: 0 bytes"), std::string::npos); }

TEST(DaFile, WrongIdentifierIsNotADaFile) {
  auto bytes = build_da_file();
  bytes[0] = 'X';
  const std::string msg = error_of(bytes);
  EXPECT_NE(msg.find("not a MediaTek Download Agent: identifier \"XTK_DOWNLOAD_AGENT\""),
            std::string::npos)
      << msg;
}

TEST(DaFile, WrongEntryMagicIsRejected) {
  SyntheticDaOptions spec = test_da();
  spec.entries[0].magic = 0xDADB;
  const std::string msg = error_of(build_da_file(spec));
  EXPECT_NE(msg.find("entry 0 has magic 0xDADB, expected 0xDADA"), std::string::npos) << msg;
}

TEST(DaFile, RegionPastTheEndWarnsAtParseAndFailsWhenSelected) {
  SyntheticDaOptions spec = test_da();
  spec.entries[0].regions[2].length = 0x3000;  // 0x2300 + 0x3000 > 0x4400
  const auto bytes = build_da_file(spec);
  const DaFile f = parse_da_file(bytes, "test.bin");
  ASSERT_EQ(f.warnings.size(), 1u);  // reported at parse time, fatal only when selected
  const std::string msg = error_of(bytes);
  EXPECT_NE(msg.find("region 2 (offset 0x2300, length 0x3000) ends at 0x5300, past the end of the "
                     "file (0x4400 bytes)"),
            std::string::npos)
      << msg;
}

TEST(DaFile, FileCutInsideARegionIsRejected) {
  auto bytes = build_da_file();
  bytes.resize(0x4000);
  EXPECT_NE(error_of(bytes).find("past the end of the file"), std::string::npos);
}

TEST(DaFile, SignatureLongerThanItsRegionIsRejected) {
  SyntheticDaOptions spec = test_da();
  spec.entries[0].regions[1].sig_length = 0x2000;
  EXPECT_NE(error_of(build_da_file(spec)).find("region 1 has a signature of 8192 bytes"),
            std::string::npos);
}

TEST(DaFile, MoreThanTenRegionsAreRejected) {
  auto bytes = build_da_file();
  mtkfs::sim::image::detail::put_le16(bytes, 0x6C + 0x12, 11);
  EXPECT_NE(error_of(bytes).find("claims 11 regions"), std::string::npos);
}

TEST(DaFile, FewerThanThreeRegionsAreRejectedForALegacyDa) {
  SyntheticDaOptions spec = test_da();
  spec.entries[0].regions.resize(2);
  EXPECT_NE(error_of(build_da_file(spec)).find("has 2 load regions; a legacy DA needs at least 3"),
            std::string::npos);
}

TEST(DaFile, OldD8EntriesAreDetected) {
  SyntheticDaOptions spec = test_da();
  spec.old_entries = true;
  DaEntrySpec other;
  other.hw_code = 0x6580;
  spec.entries = {other, DaEntrySpec{}};
  const auto bytes = build_da_file(spec);
  const DaFile f = parse_da_file(bytes);
  EXPECT_EQ(f.entry_size, 0xD8u);
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(f.entries[1].hw_code, 0x8590);
  EXPECT_EQ(f.entries[1].sw_ver, 0);
  const DaSelection s = select_da_entry(f, 0x8590, 0xCB01, 0x0102);
  EXPECT_EQ(s.entry.index, 1u);
  EXPECT_EQ(s.stage2.file_offset, 0x2300u);
  EXPECT_EQ(s.stage2_image.size(), 0x2100u);
}

TEST(DaFile, V6FilesAreRejected) {
  SyntheticDaOptions spec = test_da();
  spec.description = "MTK_DA_v6 XFlash";
  const std::string msg = error_of(build_da_file(spec));
  EXPECT_NE(msg.find("is a V6 (XML protocol) DA"), std::string::npos) << msg;
}

TEST(DaFile, OddVersionAndMagicAreWarningsOnly) {
  SyntheticDaOptions spec = test_da();
  spec.info_version = 3;
  spec.info_magic = 0x12345678;
  const DaFile f = parse_da_file(build_da_file(spec));
  ASSERT_EQ(f.warnings.size(), 2u);
  EXPECT_NE(f.warnings[0].find("info version 3"), std::string::npos);
  EXPECT_NE(f.warnings[1].find("0x12345678"), std::string::npos);
  EXPECT_NO_THROW(select_da_entry(f, 0x8590, 0xCB01, 0x0102));
}

TEST(DaFile, CToolRuleDisagreementIsReported) {
  SyntheticDaOptions spec = test_da();
  spec.entries[0].regions[0].sig_length = 0x100;  // the C tool would start at region 0
  spec.entries[0].regions[0].sig_offset = 0x100;
  DaFile f = parse_da_file(build_da_file(spec));
  auto s = select_da_entry(f, 0x8590, 0xCB01, 0x0102);
  ASSERT_TRUE(s.rule_disagreement.has_value());
  EXPECT_NE(s.rule_disagreement->find("regions 0 and 1 instead of 1 and 2"), std::string::npos);

  SyntheticDaOptions bad_sig = test_da();
  bad_sig.entries[0].regions[2].sig_offset = 0x1000;
  f = parse_da_file(build_da_file(bad_sig));
  s = select_da_entry(f, 0x8590, 0xCB01, 0x0102);
  ASSERT_TRUE(s.rule_disagreement.has_value());
  EXPECT_NE(s.rule_disagreement->find("region 2 signature offset 0x1000"), std::string::npos);
}

TEST(DaFile, LoadReportsMissingAndDirectoryPaths) {
  mtkfs::testing::TempDir dir;
  EXPECT_THAT([&] { load_da_file(dir / "MTK_AllInOne_DA.bin"); },
              ::testing::ThrowsMessage<DaFileError>(::testing::HasSubstr("MTK_AllInOne_DA.bin does not exist")));
  EXPECT_THROW(load_da_file(dir.path()), DaFileError);

  const auto bytes = build_da_file();
  std::ofstream(dir / "da.bin", std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  const DaFile f = load_da_file(dir / "da.bin");
  EXPECT_EQ(f.name, (dir / "da.bin").string());
  EXPECT_EQ(f.data, bytes);
}

// The parser is a pure function over bytes: damaged files must fail cleanly, never read outside
// the input. Deterministic mutations stand in for a fuzzer run (ASan build catches overreads).
TEST(DaFile, MutatedFilesNeverEscapeTheBounds) {
  const auto original = build_da_file();
  std::mt19937 rng(12345);
  for (int round = 0; round < 3000; ++round) {
    auto bytes = original;
    const int edits = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < edits; ++i) {
      // Bias edits to the header and entry where the structure lives.
      const std::size_t at = rng() % 2 ? rng() % 0x148 : rng() % bytes.size();
      bytes[at] = static_cast<std::uint8_t>(rng());
    }
    if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
    try {
      const DaFile f = parse_da_file(bytes);
      const DaSelection s = select_da_entry(f, 0x8590, 0xCB01, 0x0102);
      const auto* begin = f.data.data();
      const auto* end = begin + f.data.size();
      EXPECT_GE(s.stage1_image.data(), begin);
      EXPECT_LE(s.stage1_image.data() + s.stage1_image.size(), end);
      EXPECT_LE(s.stage2_image.data() + s.stage2_image.size(), end);
    } catch (const DaFileError&) {
    }
  }
}

}  // namespace
}  // namespace mtkfs::da
