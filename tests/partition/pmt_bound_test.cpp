// Where MBR/EBR extents and the PMT are combined (docs/protocol/partitions.md §4.3): the PMT's own
// size for a partition bounds its file, and no file covers the PMT or its mirror.
#include <gtest/gtest.h>

#include "disk_builder.h"
#include "nwa50_layout.h"
#include "partition/hex.h"
#include "partition/partition_table.h"
#include "partition/pmt.h"
#include "table_checks.h"

namespace mtkfs::partition::test {
namespace {

using detail::hex;

constexpr ReadOptions kNoExt4{.ext4_names = false};
constexpr std::uint64_t kMiB = 1 << 20;
constexpr std::uint64_t kRegion = 256 * kMiB;
constexpr ByteRange kPmtArea{kRegion - kMiB, 0x2000};  // a v1.x table and its mirror

MbrPartition partition(int number, std::uint64_t offset, std::uint64_t size, bool clamped = false,
                       std::string label = "") {
  return MbrPartition{Extent{"", std::move(label), offset, size, number}, clamped};
}

// ---- bound_by_pmt on its own ----

TEST(PmtBound, ThePmtSizeBoundsAToTheEndEntry) {
  // ptgen's last count, clamped to the region by the MBR reader, and the PMT's own size.
  std::vector<MbrPartition> parts = {partition(5, 16 * kMiB, 32 * kMiB),
                                     partition(6, 48 * kMiB, kRegion - 48 * kMiB, true, "contents")};
  const std::vector<PmtRecord> records = {{"data", 16 * kMiB, 32 * kMiB},
                                          {"contents", 48 * kMiB, kRegion - kMiB - 48 * kMiB}};
  std::vector<std::string> warnings;
  bound_by_pmt(parts, records, kPmtArea, warnings);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].extent.size, 32 * kMiB);
  EXPECT_EQ(parts[1].extent.offset, 48 * kMiB);
  EXPECT_EQ(parts[1].extent.size, kRegion - kMiB - 48 * kMiB);
  ASSERT_EQ(warnings.size(), 1u) << joined(warnings);
}

TEST(PmtBound, TheClampMessageCarriesBothSizesAndEndsAndTheRule) {
  std::vector<MbrPartition> parts = {partition(29, 48 * kMiB, kRegion - 48 * kMiB, true, "contents")};
  const std::uint64_t pmt_size = kRegion - kMiB - 48 * kMiB;
  std::vector<std::string> warnings;
  bound_by_pmt(parts, {{"mbr", 0, 0x80000}, {"contents", 48 * kMiB, pmt_size}}, kPmtArea, warnings);
  ASSERT_EQ(warnings.size(), 1u) << joined(warnings);
  const std::string& w = warnings[0];
  EXPECT_NE(w.find("p29 (contents)"), std::string::npos) << w;
  EXPECT_NE(w.find(hex(kRegion - 48 * kMiB)), std::string::npos) << "old size: " << w;
  EXPECT_NE(w.find(hex(kRegion)), std::string::npos) << "old end: " << w;
  EXPECT_NE(w.find(hex(pmt_size)), std::string::npos) << "new size: " << w;
  EXPECT_NE(w.find(hex(kRegion - kMiB)), std::string::npos) << "new end: " << w;
  EXPECT_NE(w.find("bounded by the PMT record"), std::string::npos) << "the rule: " << w;
}

TEST(PmtBound, AnEntryOverThePmtIsCutWhateverTheRecordsSay) {
  // No record for it, then a record that itself runs over the table: the table wins both times.
  for (const std::uint64_t record_size : {std::uint64_t{0}, kRegion - 48 * kMiB}) {
    SCOPED_TRACE(record_size);
    std::vector<MbrPartition> parts = {partition(6, 48 * kMiB, kRegion - 48 * kMiB, true)};
    std::vector<PmtRecord> records = {{"mbr", 0, 0x80000}};
    if (record_size != 0) records.push_back({"contents", 48 * kMiB, record_size});
    std::vector<std::string> warnings;
    bound_by_pmt(parts, records, kPmtArea, warnings);
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].extent.size, kPmtArea.offset - 48 * kMiB);
    ASSERT_EQ(warnings.size(), 1u) << joined(warnings);
    const std::string& w = warnings[0];
    EXPECT_NE(w.find("PMT and its mirror"), std::string::npos) << w;
    EXPECT_NE(w.find(hex(kRegion - 48 * kMiB)), std::string::npos) << "old size: " << w;
    EXPECT_NE(w.find(hex(kRegion)), std::string::npos) << "old end: " << w;
    EXPECT_NE(w.find(hex(kPmtArea.offset - 48 * kMiB)), std::string::npos) << "new size: " << w;
    EXPECT_NE(w.find(hex(kPmtArea.offset)), std::string::npos) << "new end: " << w;
  }
}

TEST(PmtBound, AnEntryReachingOnlyIntoTheMirrorOrStartingInsideIsHandled) {
  std::vector<MbrPartition> parts = {
      partition(5, 16 * kMiB, kPmtArea.offset - 16 * kMiB),    // ends where the table starts: kept
      partition(6, kPmtArea.offset + 0x200, 0x200),            // inside the primary: dropped
      partition(7, kPmtArea.offset + 0x1000, 0x1000),          // exactly the mirror: dropped
      partition(8, kPmtArea.end(), kRegion - kPmtArea.end()),  // after the mirror: kept
  };
  std::vector<std::string> warnings;
  bound_by_pmt(parts, {}, kPmtArea, warnings);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].extent, (Extent{"", "", 16 * kMiB, kPmtArea.offset - 16 * kMiB, 5}));
  EXPECT_EQ(parts[1].extent, (Extent{"", "", kPmtArea.end(), kRegion - kPmtArea.end(), 8}));
  ASSERT_EQ(warnings.size(), 2u) << joined(warnings);
  EXPECT_TRUE(any_contains(warnings, "p6 at " + hex(kPmtArea.offset + 0x200))) << joined(warnings);
  EXPECT_TRUE(any_contains(warnings, "p7 at " + hex(kPmtArea.offset + 0x1000))) << joined(warnings);
  EXPECT_TRUE(any_contains(warnings, "dropped")) << joined(warnings);
}

TEST(PmtBound, ALargerOrZeroRecordNeverGrowsOrEmptiesAnEntry) {
  std::vector<MbrPartition> parts = {partition(2, 4 * kMiB, kMiB), partition(3, 8 * kMiB, kMiB)};
  std::vector<std::string> warnings;
  bound_by_pmt(parts, {{"a", 4 * kMiB, 2 * kMiB}, {"b", 8 * kMiB, 0}}, kPmtArea, warnings);
  EXPECT_EQ(parts[0].extent.size, kMiB);
  EXPECT_EQ(parts[1].extent.size, kMiB);
  EXPECT_TRUE(warnings.empty()) << joined(warnings);
}

TEST(PmtBound, NoTableMeansNoRegionRule) {
  std::vector<MbrPartition> parts = {partition(5, 16 * kMiB, kRegion - 16 * kMiB, true)};
  std::vector<std::string> warnings;
  bound_by_pmt(parts, {}, ByteRange{}, warnings);
  EXPECT_EQ(parts[0].extent.size, kRegion - 16 * kMiB);
  EXPECT_TRUE(warnings.empty()) << joined(warnings);
}

TEST(PmtBound, TheCutKeepsWholeSectorsWhenTheTableIsNotSectorAligned) {
  const std::uint64_t region = kRegion - 100;
  const ByteRange area{region - kMiB, 0x2000};
  std::vector<MbrPartition> parts = {partition(5, 16 * kMiB, (region - 16 * kMiB) / 512 * 512, true)};
  std::vector<std::string> warnings;
  bound_by_pmt(parts, {}, area, warnings);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].extent.size % 512, 0u);
  EXPECT_LE(parts[0].extent.offset + parts[0].extent.size, area.offset);
  EXPECT_GT(parts[0].extent.offset + parts[0].extent.size + 512, area.offset);
}

TEST(PmtBound, TheAreaFollowsTheTableLayout) {
  Pmt v1;
  v1.copy_size = kPmtV1RegionSize;
  EXPECT_EQ(pmt_area(v1, kRegion), (ByteRange{kRegion - kMiB, 0x2000}));
  Pmt legacy;
  legacy.copy_size = kPmtLegacyRegionSize;
  EXPECT_EQ(pmt_area(legacy, kRegion), (ByteRange{kRegion - kMiB, 0x1000}));
  EXPECT_EQ(pmt_window_area(kRegion), (ByteRange{kRegion - kMiB, 0x2000}));
  EXPECT_EQ(pmt_area(v1, kMiB / 2), ByteRange{}) << "no room for a table";

  std::vector<std::string> warnings;
  const Bytes table = pmt_table({{"a", 0, 0x200}, {"b", 0x200, 0x200}}, 0x4C, "");
  Bytes window(kPmtWindowSize, 0);
  std::copy(table.begin(), table.end(), window.begin());
  const auto parsed = parse_pmt(window, kRegion, warnings);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed.value->copy_size, kPmtLegacyRegionSize);
}

// ---- through read_table ----

TEST(PmtBound, NwA50PtgenCountEndsWhereThePmtSays) {
  SparseDisk disk(kNwA50RegionSize);
  write_nwa50_mbr(disk, LastCount::ptgen);
  write_pmt(disk, pmt_table(nwa50_pmt_entries(), 0x58, "1.1"), pmt_table(nwa50_pmt_entries(), 0x58, "1.1", kMPT1));
  const Table t = read_table(disk.reader(), kNwA50RegionSize, kNoExt4);
  ASSERT_EQ(t.scheme, Scheme::mbr);
  ASSERT_EQ(t.extents.size(), 28u);
  const Extent& contents = t.extents.back();
  EXPECT_EQ(contents.name, "contents");
  EXPECT_EQ(contents.offset, 0x92F80000u);
  EXPECT_EQ(contents.size, nwa50_pmt_entries().back().size);
  EXPECT_EQ(contents.offset + contents.size, kNwA50RegionSize - kMiB);
  // The MBR reader's clamp to the region, then the PMT's bound; both with their numbers.
  ASSERT_EQ(t.warnings.size(), 2u) << joined(t.warnings);
  EXPECT_TRUE(any_contains(t.warnings, "clamped")) << joined(t.warnings);
  EXPECT_TRUE(any_contains(t.warnings, "0x318480000 bytes, ending at 0x3ab400000")) << joined(t.warnings);
  EXPECT_TRUE(any_contains(t.warnings, "0x318380000 bytes, ending at 0x3ab300000; bounded by the PMT record"))
      << joined(t.warnings);
  expect_sane(t, kNwA50RegionSize);
}

TEST(PmtBound, NwA50PmtRecordToTheEndIsStillCutBeforeTheTable) {
  SparseDisk disk(kNwA50RegionSize);
  write_nwa50_mbr(disk, LastCount::ptgen);
  auto entries = nwa50_pmt_entries();
  entries.back().size = kNwA50RegionSize - entries.back().offset;  // a PMT that lies too
  write_pmt(disk, pmt_table(entries, 0x58, "1.1"), pmt_table(entries, 0x58, "1.1", kMPT1));
  const Table t = read_table(disk.reader(), kNwA50RegionSize, kNoExt4);
  ASSERT_EQ(t.extents.size(), 28u);
  EXPECT_EQ(t.extents.back().name, "contents");
  EXPECT_EQ(t.extents.back().offset + t.extents.back().size, kNwA50RegionSize - kMiB);
  EXPECT_TRUE(any_contains(t.warnings, "would cover the PMT and its mirror")) << joined(t.warnings);
}

TEST(PmtBound, ADamagedTableIsStillNotCovered) {
  SparseDisk disk(kNwA50RegionSize);
  write_nwa50_mbr(disk, LastCount::ptgen);
  Bytes primary = pmt_table(nwa50_pmt_entries(), 0x58, "1.1");
  primary[8 + 60] = 0x42;             // padding of the first name: no stride fits
  write_pmt(disk, primary, primary);  // the "mirror" has the primary's signature: unusable too
  const Table t = read_table(disk.reader(), kNwA50RegionSize, kNoExt4);
  ASSERT_EQ(t.extents.size(), 28u);
  EXPECT_EQ(t.extents.back().name, "p29");
  EXPECT_EQ(t.extents.back().offset + t.extents.back().size, kNwA50RegionSize - kMiB);
  EXPECT_TRUE(any_contains(t.warnings, "PMT ignored")) << joined(t.warnings);
  EXPECT_TRUE(any_contains(t.warnings, "would cover the PMT and its mirror")) << joined(t.warnings);
}

TEST(PmtBound, AGptDiskIsUnaffected) {
  // A GPT partition over the place of a PMT, and a valid PMT there: the GPT is taken as it is.
  constexpr std::uint64_t kDisk = 64 * kMiB;
  constexpr std::uint64_t kLast = kDisk / 512 - 34;  // last usable LBA
  SparseDisk disk(kDisk);
  write_gpt(disk, {{2048, 4095, u"boot"}, {4096, kLast, u"data"}}, {{2048, 4095, u"boot"}, {4096, kLast, u"data"}});
  const std::vector<PmtEntry> entries = {{"boot", 2048 * 512, 2048 * 512}, {"data", 4096 * 512, kMiB}};
  write_pmt(disk, pmt_table(entries, 0x58, "1.1"), pmt_table(entries, 0x58, "1.1", kMPT1));
  const Table t = read_table(disk.reader(), kDisk, kNoExt4);
  ASSERT_EQ(t.scheme, Scheme::gpt);
  EXPECT_TRUE(t.warnings.empty()) << joined(t.warnings);
  ASSERT_EQ(t.extents.size(), 2u);
  EXPECT_EQ(t.extents[1], (Extent{"data", "data", 4096 * 512, (kLast - 4096 + 1) * 512, 2}));
}

TEST(PmtBound, ExactCountsAndAMatchingTableChangeNothing) {
  SparseDisk disk(kNwA50RegionSize);
  write_nwa50_mbr(disk, LastCount::exact_to_pmt);
  write_pmt(disk, pmt_table(nwa50_pmt_entries(), 0x58, "1.1"), pmt_table(nwa50_pmt_entries(), 0x58, "1.1", kMPT1));
  const Table t = read_table(disk.reader(), kNwA50RegionSize, kNoExt4);
  EXPECT_TRUE(t.warnings.empty()) << joined(t.warnings);
  const auto& expected = nwa50_pmt_entries();
  ASSERT_EQ(t.extents.size(), 28u);
  for (std::size_t i = 0; i < t.extents.size(); ++i) EXPECT_EQ(t.extents[i].size, expected[i + 10].size) << i;
}

}  // namespace
}  // namespace mtkfs::partition::test
