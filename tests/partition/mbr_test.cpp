#include <gtest/gtest.h>

#include "disk_builder.h"
#include "nwa50_layout.h"
#include "partition/mbr.h"
#include "partition/partition_table.h"
#include "table_checks.h"

namespace mtkfs::partition::test {
namespace {

constexpr ReadOptions kNoExt4{.ext4_names = false};

TEST(MbrEbr, NwA50ChainWithPtgenLastCount) {
  SparseDisk disk(kNwA50RegionSize);
  write_nwa50_mbr(disk, LastCount::ptgen);
  const Table t = read_table(disk.reader(), kNwA50RegionSize, kNoExt4);
  ASSERT_EQ(t.scheme, Scheme::mbr);
  const auto& expected = nwa50_partitions();
  ASSERT_EQ(t.extents.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Extent& e = t.extents[i];
    SCOPED_TRACE(expected[i].name);
    EXPECT_EQ(e.number, expected[i].number);
    EXPECT_EQ(e.name, "p" + std::to_string(expected[i].number));
    EXPECT_EQ(e.label, "");
    EXPECT_EQ(e.offset, std::uint64_t{expected[i].start_sector} * 512);
    if (expected[i].number != 29) {
      EXPECT_EQ(e.size, std::uint64_t{expected[i].sectors} * 512);
    }
  }
  // ptgen's "to the end" count is clamped to the region (no PMT here to bound it): contents runs to 0x3AB400000.
  EXPECT_EQ(t.extents.back().offset, 0x92F80000u);
  EXPECT_EQ(t.extents.back().size, kNwA50RegionSize - 0x92F80000u);
  ASSERT_EQ(t.warnings.size(), 1u) << joined(t.warnings);
  EXPECT_TRUE(any_contains(t.warnings, "p29")) << joined(t.warnings);
  EXPECT_TRUE(any_contains(t.warnings, "clamped")) << joined(t.warnings);
  expect_sane(t, kNwA50RegionSize);
}

TEST(MbrEbr, RegionSizeNotASectorMultiple) {
  const std::uint64_t region = kNwA50RegionSize - 100;  // last partial sector is unusable
  SparseDisk disk(region);
  write_nwa50_mbr(disk, LastCount::ptgen);
  const Table t = read_table(disk.reader(), region);
  ASSERT_EQ(t.extents.size(), 28u);
  EXPECT_EQ(t.extents.back().offset + t.extents.back().size, kNwA50RegionSize - 512);
  expect_sane(t, region);
}

TEST(MbrEbr, NwA50ChainReadsOnlyTheTableSectors) {
  SparseDisk disk(kNwA50RegionSize);
  write_nwa50_mbr(disk, LastCount::ptgen);
  (void)read_table(disk.reader(), kNwA50RegionSize, kNoExt4);
  EXPECT_EQ(disk.reads(), 1 /* LBA 0+1 */ + 9 /* EBRs */ + 1 /* PMT window */);
}

TEST(MbrEbr, FourthEntryOfAnEbrIsALogicalToo) {
  // Linux takes every non-empty, non-extended slot of an EBR, even slot 4, when it lies inside the container.
  SparseDisk disk(64ull << 20);
  disk.write_sector(0, mbr_sector({{0x83, 2048, 2048}, {0x05, 8192, 65536}}));
  disk.write_sector(8192, mbr_sector({{0x83, 100, 10}, {0x83, 200, 10}, {0x83, 300, 10}, {0x83, 400, 10}}));
  const Table t = read_table(disk.reader(), 64ull << 20, kNoExt4);
  ASSERT_EQ(t.extents.size(), 5u);
  EXPECT_EQ(t.extents[0].number, 1);
  for (int i = 1; i <= 4; ++i) {
    EXPECT_EQ(t.extents[i].number, 4 + i);
    EXPECT_EQ(t.extents[i].offset, (8192u + 100u * i) * 512);
  }
}

TEST(MbrEbr, GarbageInSlotsThreeAndFourIsSkippedWithoutUsingANumber) {
  SparseDisk disk(64ull << 20);
  disk.write_sector(0, mbr_sector({{0x05, 8192, 1000}}));
  // Slot 3 runs past the 1000-sector container: the kernel ignores it (and keeps numbering).
  disk.write_sector(8192, mbr_sector({{0x83, 100, 10}, {}, {0x83, 900, 200}, {0x05, 500, 400}}));
  disk.write_sector(8192 + 500, mbr_sector({{0x83, 10, 10}}));
  const Table t = read_table(disk.reader(), 64ull << 20, kNoExt4);
  ASSERT_EQ(t.extents.size(), 2u);
  EXPECT_EQ(t.extents[0].number, 5);
  EXPECT_EQ(t.extents[1].number, 6);
  EXPECT_EQ(t.extents[1].offset, (8192u + 510u) * 512);
  EXPECT_TRUE(any_contains(t.warnings, "slot 3")) << joined(t.warnings);
}

TEST(MbrEbr, EbrLoopStops) {
  SparseDisk disk(64ull << 20);
  disk.write_sector(0, mbr_sector({{0x05, 1000, 0xFFFFFFFF}}));
  disk.write_sector(1000, mbr_sector({{0x83, 10, 10}, {0x05, 100, 0xFFFFFFFF}}));
  disk.write_sector(1100, mbr_sector({{0x83, 10, 10}, {0x05, 0, 0xFFFFFFFF}}));  // back to EBR1
  const Table t = read_table(disk.reader(), 64ull << 20, kNoExt4);
  ASSERT_EQ(t.scheme, Scheme::mbr);
  ASSERT_EQ(t.extents.size(), 2u);
  EXPECT_EQ(t.extents[0].offset, 1010u * 512);
  EXPECT_EQ(t.extents[1].offset, 1110u * 512);
  EXPECT_TRUE(any_contains(t.warnings, "loops back")) << joined(t.warnings);
  EXPECT_LE(disk.reads(), 5);
}

TEST(MbrEbr, EbrLinkToTheMbrIsALoop) {
  SparseDisk disk(64ull << 20);
  disk.write_sector(0, mbr_sector({{0x83, 2048, 100}, {0x05, 0, 5000}}));
  const Table t = read_table(disk.reader(), 64ull << 20, kNoExt4);
  ASSERT_EQ(t.extents.size(), 1u);
  EXPECT_EQ(t.extents[0].number, 1);
  EXPECT_TRUE(any_contains(t.warnings, "loops back")) << joined(t.warnings);
}

TEST(MbrEbr, EbrOutsideTheRegionEndsTheChain) {
  const std::uint64_t region = 64ull << 20;
  SparseDisk disk(region);
  disk.write_sector(0, mbr_sector({{0x05, 1000, 0xFFFFFFFF}, {0x83, 3000, 100}}));
  disk.write_sector(1000, mbr_sector({{0x83, 10, 10}, {0x05, 0x7FFFFFFF, 0xFFFFFFFF}}));
  const Table t = read_table(disk.reader(), region, kNoExt4);
  ASSERT_EQ(t.extents.size(), 2u);
  EXPECT_EQ(t.extents[0].number, 2);
  EXPECT_EQ(t.extents[1].number, 5);
  EXPECT_TRUE(any_contains(t.warnings, "outside the region")) << joined(t.warnings);
  expect_sane(t, region);
}

TEST(MbrEbr, ChainIsCutAfter64Ebrs) {
  const std::uint64_t region = 64ull << 20;
  SparseDisk disk(region);
  disk.write_sector(0, mbr_sector({{0x05, 2048, 100000}}));
  for (std::uint32_t k = 0; k < 80; ++k)
    disk.write_sector(2048 + 16 * k, mbr_sector({{0x83, 1, 1}, {0x05, 16 * (k + 1), 16}}));
  const Table t = read_table(disk.reader(), region, kNoExt4);
  EXPECT_EQ(t.extents.size(), 64u);
  EXPECT_EQ(t.extents.back().number, 68);
  EXPECT_TRUE(any_contains(t.warnings, "more than 64 EBRs")) << joined(t.warnings);
}

TEST(MbrEbr, EbrWithoutSignatureEndsTheChain) {
  SparseDisk disk(64ull << 20);
  disk.write_sector(0, mbr_sector({{0x05, 1000, 0xFFFFFFFF}}));
  disk.write_sector(1000, mbr_sector({{0x83, 10, 10}, {0x05, 100, 0xFFFFFFFF}}));
  Sector broken = mbr_sector({{0x83, 10, 10}});
  broken[0x1FF] = 0;
  disk.write_sector(1100, broken);
  const Table t = read_table(disk.reader(), 64ull << 20, kNoExt4);
  ASSERT_EQ(t.extents.size(), 1u);
  EXPECT_TRUE(any_contains(t.warnings, "55 AA")) << joined(t.warnings);
}

TEST(MbrEbr, PartitionBeyondTheRegionIsDroppedButKeepsItsNumber) {
  const std::uint64_t region = 64ull << 20;  // 131072 sectors
  SparseDisk disk(region);
  disk.write_sector(0, mbr_sector({{0x83, 200000, 10}, {0x83, 131000, 1000}, {0x83, 2048, 0xFFFFFFFF}}));
  const Table t = read_table(disk.reader(), region, kNoExt4);
  ASSERT_EQ(t.extents.size(), 2u);
  EXPECT_EQ(t.extents[0], (Extent{"p2", "", 131000ull * 512, 72ull * 512, 2}));
  EXPECT_EQ(t.extents[1], (Extent{"p3", "", 2048ull * 512, (131072ull - 2048) * 512, 3}));
  EXPECT_EQ(t.warnings.size(), 3u) << joined(t.warnings);
  expect_sane(t, region);
}

TEST(MbrEbr, ExtendedTypes0Fand85AreContainers) {
  for (std::uint8_t type : {std::uint8_t{0x0F}, std::uint8_t{0x85}}) {
    SparseDisk disk(64ull << 20);
    disk.write_sector(0, mbr_sector({{0x83, 2048, 100}, {}, {type, 4096, 4096}}));
    disk.write_sector(4096, mbr_sector({{0x0C, 1, 100}, {type, 200, 200}}));
    disk.write_sector(4296, mbr_sector({{0x83, 1, 100}}));
    const Table t = read_table(disk.reader(), 64ull << 20, kNoExt4);
    ASSERT_EQ(t.extents.size(), 3u);
    EXPECT_EQ(t.extents[1], (Extent{"p5", "", 4097ull * 512, 100ull * 512, 5}));
    EXPECT_EQ(t.extents[2], (Extent{"p6", "", 4297ull * 512, 100ull * 512, 6}));
  }
}

TEST(Mbr, FatBootSectorIsNotAnMbr) {
  SparseDisk disk(64ull << 20);
  Sector boot = mbr_sector({{0x83, 2048, 100, 0x29}});  // a status byte a FAT BPB could produce
  disk.write_sector(0, boot);
  const Table t = read_table(disk.reader(), 64ull << 20, kNoExt4);
  EXPECT_EQ(t.scheme, Scheme::none);
  EXPECT_FALSE(t.warnings.empty());
}

TEST(Mbr, BlankDiskHasNoTable) {
  SparseDisk disk(64ull << 20);
  const Table t = read_table(disk.reader(), 64ull << 20, kNoExt4);
  EXPECT_EQ(t.scheme, Scheme::none);
  EXPECT_TRUE(t.extents.empty());
}

TEST(Mbr, TinyRegionsAreHandled) {
  for (std::uint64_t size : {0ull, 1ull, 511ull, 512ull, 1023ull, 1024ull, 1536ull}) {
    SparseDisk disk(size);
    if (size >= 512) disk.write_sector(0, mbr_sector({{0x83, 1, 0xFFFFFFFF}, {0x05, 1, 10}}));
    const Table t = read_table(disk.reader(), size, kNoExt4);
    expect_sane(t, size);
  }
}

TEST(MbrSector, ParsesSlots) {
  const Sector s = mbr_sector({{0x05, 0x400, 0xFFFFFFFF}, {0x83, 0x2800, 0x1800, 0x80}});
  const auto parsed = parse_mbr_sector(s);
  ASSERT_TRUE(parsed);
  EXPECT_EQ((*parsed.value)[0].type, 0x05);
  EXPECT_EQ((*parsed.value)[0].sector_count, 0xFFFFFFFFu);
  EXPECT_EQ((*parsed.value)[1].status, 0x80);
  EXPECT_EQ((*parsed.value)[1].start_lba, 0x2800u);
  EXPECT_TRUE((*parsed.value)[2].empty());
  EXPECT_FALSE(parse_mbr_sector(std::span(s).first(511)));
}

}  // namespace
}  // namespace mtkfs::partition::test
