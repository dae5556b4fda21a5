#include <gtest/gtest.h>

#include "disk_builder.h"
#include "nwa50_layout.h"
#include "partition/pmt.h"
#include "partition/partition_table.h"
#include "table_checks.h"

namespace mtkfs::partition::test {
namespace {

constexpr ReadOptions kNoExt4{.ext4_names = false};

void expect_nwa50_names(const Table& t) {
  const auto& expected = nwa50_partitions();
  ASSERT_EQ(t.extents.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(t.extents[i].name, expected[i].name);
    EXPECT_EQ(t.extents[i].label, expected[i].name);
    EXPECT_EQ(t.extents[i].number, expected[i].number);
    EXPECT_EQ(t.extents[i].offset, std::uint64_t{expected[i].start_sector} * 512);
  }
}

TEST(Pmt, NamesTheNwA50Partitions) {
  SparseDisk disk(kNwA50RegionSize);
  write_nwa50_mbr(disk, LastCount::exact_to_pmt);
  write_pmt(disk, pmt_table(nwa50_pmt_entries(), 0x58, "1.1"), pmt_table(nwa50_pmt_entries(), 0x58, "1.1", kMPT1));
  const Table t = read_table(disk.reader(), kNwA50RegionSize, kNoExt4);
  ASSERT_EQ(t.scheme, Scheme::mbr);
  EXPECT_TRUE(t.warnings.empty()) << joined(t.warnings);
  expect_nwa50_names(t);
  // mbr / ebrN records have no MBR entry: not exposed.
  for (const Extent& e : t.extents) EXPECT_EQ(e.name.rfind("ebr", 0), std::string::npos) << e.name;
  EXPECT_EQ(t.extents.back().size, kNwA50RegionSize - 0x100000 - 0x92F80000u);
  expect_sane(t, kNwA50RegionSize);
}

TEST(Pmt, ClampedLastPartitionIsMatchedOnStartOnly) {
  SparseDisk disk(kNwA50RegionSize);
  write_nwa50_mbr(disk, LastCount::ptgen);
  write_pmt(disk, pmt_table(nwa50_pmt_entries(), 0x58, "1.0"), Bytes(0x1000, 0));
  const Table t = read_table(disk.reader(), kNwA50RegionSize, kNoExt4);
  expect_nwa50_names(t);
  // Once the kernel-style clamp to the region end, which covered the PMT (issue 13); now the PMT
  // record's size bounds it (docs/protocol/partitions.md §4.3, pmt_bound_test.cpp).
  EXPECT_EQ(t.extents.back().size, kNwA50RegionSize - 0x100000 - 0x92F80000u);
}

TEST(Pmt, DamagedPrimaryUsesTheMirror) {
  SparseDisk disk(kNwA50RegionSize);
  write_nwa50_mbr(disk, LastCount::exact_to_pmt);
  Bytes primary = pmt_table(nwa50_pmt_entries(), 0x58, "1.1");
  primary[8 + 0x58 * 3 + 60] = 0x42;  // padding of a name: no stride fits any more
  write_pmt(disk, primary, pmt_table(nwa50_pmt_entries(), 0x58, "1.1", kMPT1));
  const Table t = read_table(disk.reader(), kNwA50RegionSize, kNoExt4);
  expect_nwa50_names(t);
  EXPECT_TRUE(any_contains(t.warnings, "mirror")) << joined(t.warnings);
}

TEST(Pmt, MissingPrimarySignatureUsesTheMirror) {
  SparseDisk disk(kNwA50RegionSize);
  write_nwa50_mbr(disk, LastCount::exact_to_pmt);
  write_pmt(disk, Bytes(0x1000, 0xFF), pmt_table(nwa50_pmt_entries(), 0x58, "1.1", kMPT1));
  const Table t = read_table(disk.reader(), kNwA50RegionSize, kNoExt4);
  expect_nwa50_names(t);
}

TEST(Pmt, Stride0x60IsDetected) {
  SparseDisk disk(kNwA50RegionSize);
  write_nwa50_mbr(disk, LastCount::exact_to_pmt);
  write_pmt(disk, pmt_table(nwa50_pmt_entries(), 0x60, "1.1"), Bytes(0x1000, 0));
  const Table t = read_table(disk.reader(), kNwA50RegionSize, kNoExt4);
  EXPECT_TRUE(t.warnings.empty()) << joined(t.warnings);
  expect_nwa50_names(t);
}

// A small (< 4 GiB) eMMC with the older 0x800 table and 32-bit (0x4C) records.
TEST(Pmt, OlderTableWithStride0x4C) {
  const std::uint64_t region = 256ull << 20;
  SparseDisk disk(region);
  disk.write_sector(0, mbr_sector({{0x05, 0x400, 0xFFFFFFFF}, {0x83, 0x800, 0x800}}));
  disk.write_sector(0x400, mbr_sector({{0x83, 0x1000 - 0x400, 0x1000}, {0x83, 0x2000 - 0x400, 0x1000}}));
  const std::vector<PmtEntry> entries = {{"mbr", 0, 0x80000},
                                         {"ebr1", 0x80000, 0x80000},
                                         {"nvram", 0x100000, 0x100000},
                                         {"system", 0x200000, 0x200000},
                                         {"userdata", 0x400000, 0x200000}};
  write_pmt(disk, pmt_table(entries, 0x4C, ""), pmt_table(entries, 0x4C, "", kMPT1));
  const Table t = read_table(disk.reader(), region, kNoExt4);
  EXPECT_TRUE(t.warnings.empty()) << joined(t.warnings);
  ASSERT_EQ(t.extents.size(), 3u);
  EXPECT_EQ(t.extents[0], (Extent{"nvram", "nvram", 0x100000, 0x100000, 2}));
  EXPECT_EQ(t.extents[1], (Extent{"system", "system", 0x200000, 0x200000, 5}));
  EXPECT_EQ(t.extents[2], (Extent{"userdata", "userdata", 0x400000, 0x200000, 6}));
}

TEST(Pmt, OlderTableMirrorAt0x800) {
  const std::uint64_t region = 256ull << 20;
  SparseDisk disk(region);
  disk.write_sector(0, mbr_sector({{0x83, 0x800, 0x800}}));
  const std::vector<PmtEntry> entries = {{"mbr", 0, 0x100000}, {"nvram", 0x100000, 0x100000}};
  Bytes primary = pmt_table(entries, 0x4C, "");
  primary[4] = 0x01;  // unprintable first name byte
  write_pmt(disk, primary, pmt_table(entries, 0x4C, "", kMPT1));
  const Table t = read_table(disk.reader(), region, kNoExt4);
  ASSERT_EQ(t.extents.size(), 1u);
  EXPECT_EQ(t.extents[0].name, "nvram");
  EXPECT_TRUE(any_contains(t.warnings, "mirror at +0x800")) << joined(t.warnings);
}

TEST(Pmt, SizeMismatchKeepsTheNumberName) {
  SparseDisk disk(kNwA50RegionSize);
  write_nwa50_mbr(disk, LastCount::exact_to_pmt);
  auto entries = nwa50_pmt_entries();
  entries[10].size += 0x80000;  // pro_info (first after mbr + 9 ebr records)
  ASSERT_EQ(entries[10].name, "pro_info");
  write_pmt(disk, pmt_table(entries, 0x58, "1.1"), Bytes(0x1000, 0));
  const Table t = read_table(disk.reader(), kNwA50RegionSize, kNoExt4);
  ASSERT_EQ(t.extents.size(), 28u);
  EXPECT_EQ(t.extents[0].name, "p2");
  EXPECT_EQ(t.extents[1].name, "nvram");
  EXPECT_TRUE(any_contains(t.warnings, "pro_info")) << joined(t.warnings);
}

TEST(Pmt, GarbageTableIsIgnored) {
  SparseDisk disk(kNwA50RegionSize);
  write_nwa50_mbr(disk, LastCount::exact_to_pmt);
  Bytes garbage(0x2000);
  std::uint32_t x = 12345;
  for (auto& b : garbage) b = static_cast<std::uint8_t>((x = x * 1103515245 + 12345) >> 16);
  put32(garbage.data(), kPTv1);
  put32(garbage.data() + 0x1000, kMPT1);
  write_pmt(disk, Bytes(garbage.begin(), garbage.begin() + 0x1000), Bytes(garbage.begin() + 0x1000, garbage.end()));
  const Table t = read_table(disk.reader(), kNwA50RegionSize, kNoExt4);
  ASSERT_EQ(t.extents.size(), 28u);
  EXPECT_EQ(t.extents[0].name, "p2");
  EXPECT_TRUE(any_contains(t.warnings, "PMT ignored")) << joined(t.warnings);
}

TEST(Pmt, NoTableNoWarning) {
  SparseDisk disk(kNwA50RegionSize);
  write_nwa50_mbr(disk, LastCount::exact_to_pmt);
  const Table t = read_table(disk.reader(), kNwA50RegionSize, kNoExt4);
  EXPECT_TRUE(t.warnings.empty()) << joined(t.warnings);
  EXPECT_EQ(t.extents[0].name, "p2");
}

TEST(PmtParse, TruncatedAndShortInputs) {
  std::vector<std::string> warnings;
  const Bytes full = pmt_table(nwa50_pmt_entries(), 0x58, "1.1");
  for (std::size_t len : {0u, 3u, 4u, 8u, 9u, 0x58u, 0x60u, 8u + 0x58u * 5u + 20u, 0xFFFu}) {
    const auto parsed = parse_pmt(std::span(full).first(len), kNwA50RegionSize, warnings);
    EXPECT_FALSE(parsed) << len;
  }
  const auto whole = parse_pmt(full, kNwA50RegionSize, warnings);
  ASSERT_TRUE(whole) << whole.error;
  EXPECT_EQ(whole.value->table.records.size(), nwa50_pmt_entries().size());
  EXPECT_EQ(whole.value->table.stride, 0x58u);
  EXPECT_EQ(whole.value->version, "1.1");
  EXPECT_FALSE(whole.value->from_mirror);
}

TEST(PmtParse, NameFilling64BytesIsRejected) {
  std::vector<PmtEntry> entries = {{std::string(64, 'a'), 0, 512}, {"b", 512, 512}};
  EXPECT_FALSE(parse_pmt_records(pmt_records(entries, 0x58), 1 << 20));
  entries[0].name = std::string(63, 'a');
  EXPECT_TRUE(parse_pmt_records(pmt_records(entries, 0x58), 1 << 20));
}

TEST(PmtParse, EachStrideIsRecognised) {
  const std::vector<PmtEntry> entries = {{"preloader", 0, 0x40000},
                                         {"mbr", 0x40000, 0x80000},
                                         {"ebr1", 0xC0000, 0x80000},
                                         {"protect_f", 0x140000, 0xA00000},
                                         {"a_very_long_partition_name", 0xB40000, 0x200}};
  for (std::size_t stride : {std::size_t{0x58}, std::size_t{0x60}, std::size_t{0x4C}}) {
    const auto parsed = parse_pmt_records(pmt_records(entries, stride), 1ull << 30);
    ASSERT_TRUE(parsed) << stride << ": " << parsed.error;
    EXPECT_EQ(parsed.value->stride, stride);
    ASSERT_EQ(parsed.value->records.size(), entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
      EXPECT_EQ(parsed.value->records[i], (PmtRecord{entries[i].name, entries[i].offset, entries[i].size})) << stride;
    }
  }
}

TEST(PmtParse, RecordChecks) {
  const std::uint64_t region = 1ull << 30;
  auto parses = [&](std::vector<PmtEntry> entries) {
    Bytes bytes = pmt_records(entries, 0x58);
    bytes.resize(bytes.size() + 0x200, 0);  // zero records after the list, as in a real table
    return static_cast<bool>(parse_pmt_records(bytes, region));
  };
  EXPECT_TRUE(parses({{"a", 0, 0x200}, {"b", 0x400, 0x200}}));
  EXPECT_FALSE(parses({{"a", 0x100, 0x200}, {"b", 0x400, 0x200}})) << "unaligned offset";
  EXPECT_FALSE(parses({{"a", 0x200, 0x100}, {"b", 0x400, 0x200}})) << "unaligned size";
  EXPECT_FALSE(parses({{"a", 0x4000, 0x200}, {"b", 0x2000, 0x200}})) << "decreasing offsets";
  EXPECT_FALSE(parses({{"a", 0, 0x200}, {"b", region, 0x200}})) << "offset outside the region";
  EXPECT_FALSE(parses({{"a\x7F", 0, 0x200}, {"b", 0x400, 0x200}})) << "unprintable name";
  EXPECT_FALSE(parses({{"a", 0, 0x200}})) << "a single record";
  EXPECT_FALSE(parses({})) << "no records";
}

TEST(PmtParse, StopsAtFortyRecords) {
  std::vector<PmtEntry> entries;
  for (int i = 0; i < 45; ++i) entries.push_back({"p" + std::to_string(i), std::uint64_t(i) * 512, 512});
  const auto parsed = parse_pmt_records(pmt_records(entries, 0x58), 1ull << 30);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed.value->records.size(), 40u);
}

}  // namespace
}  // namespace mtkfs::partition::test
