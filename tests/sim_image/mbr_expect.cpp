#include "tests/sim_image/mbr_expect.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/sim_image/linux_msdos.h"

namespace mtkfs::sim::image::test {

std::vector<Expected> expected_mbr_rows(std::uint64_t user_size) {
  const bool real = user_size >= 0x92F80000ull + 0x200000;
  auto rows = real ? expected_real_rows() : expected_compact_rows();
  const std::uint64_t contents = real ? 0x92F80000ull : 0xD680000ull;
  rows.push_back({"contents", contents, user_size - 0x100000 - contents});
  return rows;
}

namespace {

void expect_full_list(const std::vector<ListedPartition>& parts, const std::vector<Expected>& rows,
                      std::uint64_t disk_sectors) {
  ASSERT_EQ(parts.size(), 1 + rows.size());  // extended p1 + 28 data partitions
  EXPECT_EQ(parts[0].number, 1);
  EXPECT_EQ(parts[0].start_sector, 0x400u);  // EBR1
  EXPECT_EQ(parts[0].sectors, 2u);           // Linux shows extended partitions as 2 sectors
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& got = parts[i + 1];
    EXPECT_EQ(got.number, static_cast<int>(i + 2)) << rows[i].name;
    EXPECT_EQ(got.start_sector * 512, rows[i].offset) << rows[i].name;
    EXPECT_EQ(got.sectors, std::min(rows[i].size / 512, disk_sectors - rows[i].offset / 512)) << rows[i].name;
  }
}

// libblkid (util-linux 2.38) computes "start of extended + its size" in 32 bits; with MediaTek's
// 0xFFFFFFFF extended count that wraps, so it drops the third data entry of every EBR. What it
// does list must still be exact, in order, and include every first and second entry.
void expect_libblkid_subset(const std::vector<ListedPartition>& parts, const std::vector<Expected>& rows,
                            std::uint64_t last_raw_sectors) {
  ASSERT_GE(parts.size(), 4u);
  EXPECT_EQ(parts[0].start_sector, 0x400u);
  EXPECT_EQ(parts[0].sectors, 0xFFFFFFFFu);  // libblkid reports the raw extended count
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(parts[i].start_sector * 512, rows[i - 1].offset) << rows[i - 1].name;
    EXPECT_EQ(parts[i].sectors * 512, rows[i - 1].size) << rows[i - 1].name;
  }
  std::size_t next = 3;  // index into rows of the next logical partition
  for (std::size_t i = 4; i < parts.size(); ++i) {
    while (next < rows.size() && rows[next].offset != parts[i].start_sector * 512) {
      EXPECT_EQ((next - 3) % 3, 2u) << "libblkid skipped " << rows[next].name << ", which is not a third EBR entry";
      ++next;
    }
    ASSERT_LT(next, rows.size()) << "libblkid lists an unexpected partition at sector " << parts[i].start_sector;
    const bool last = next + 1 == rows.size();
    EXPECT_EQ(parts[i].sectors, last && last_raw_sectors ? last_raw_sectors : rows[next].size / 512)
        << rows[next].name;
    ++next;
  }
  EXPECT_EQ(next, rows.size()) << "libblkid misses the last partition";
}

}  // namespace

void expect_linux_view(const std::filesystem::path& user_img, const std::vector<Expected>& rows,
                       std::uint64_t last_raw_sectors) {
  const std::uint64_t disk_sectors = std::filesystem::file_size(user_img) / 512;
  auto clamped_rows = rows;
  if (last_raw_sectors) clamped_rows.back().size = last_raw_sectors * 512;  // clamped in expect_full_list
  LoopDevice loop(user_img, /*partscan=*/true);
  if (kernel_has_msdos_parser()) {
    ::testing::Test::RecordProperty("partition_parser", "kernel");
    SCOPED_TRACE("kernel msdos parser (losetup --partscan, sysfs)");
    expect_full_list(sysfs_partitions(loop.name()), clamped_rows, disk_sectors);
    return;
  }
  ::testing::Test::RecordProperty("partition_parser", "reference decoder + libblkid (no kernel msdos parser)");
  {
    SCOPED_TRACE("reference decoder with the kernel's rules, reading " + loop.device());
    expect_full_list(reference_msdos_partitions(loop.device()), clamped_rows, disk_sectors);
  }
  {
    SCOPED_TRACE("libblkid (partx) on " + loop.device());
    expect_libblkid_subset(libblkid_partitions(loop.device()), rows, last_raw_sectors);
  }
}

void expect_pmt(const std::filesystem::path& user_img, std::uint64_t user_size, const std::vector<Expected>& rows) {
  std::vector<Expected> records{{"mbr", 0, 0x80000}, {"ebr1", 0x80000, 0x80000}};
  static const char* ebr_names[] = {"ebr2", "ebr3", "ebr4", "ebr5", "ebr6", "ebr7", "ebr8", "ebr9"};
  for (std::uint64_t k = 0; k < 8; ++k) records.push_back({ebr_names[k], 0x100000 + k * 0x80000, 0x80000});
  records.insert(records.end(), rows.begin(), rows.end());
  ASSERT_EQ(records.size(), 38u);

  const std::uint64_t at = user_size - 0x100000;
  const auto pmt = read_bytes(user_img, at, 0x1000);
  const auto mirror = read_bytes(user_img, at + 0x1000, 0x1000);
  const std::vector<std::uint8_t> ptv1{0x31, 0x76, 0x54, 0x50}, mpt1{0x31, 0x54, 0x50, 0x4D};
  EXPECT_EQ(std::vector<std::uint8_t>(pmt.begin(), pmt.begin() + 4), ptv1);
  EXPECT_EQ(std::vector<std::uint8_t>(pmt.begin() + 0xFFC, pmt.end()), ptv1);
  EXPECT_EQ(std::vector<std::uint8_t>(mirror.begin(), mirror.begin() + 4), mpt1);
  EXPECT_EQ(std::vector<std::uint8_t>(mirror.begin() + 0xFFC, mirror.end()), mpt1);
  for (const auto* table : {&pmt, &mirror}) {
    EXPECT_EQ(std::string(table->begin() + 4, table->begin() + 8), std::string("1.1\0", 4));
    for (std::size_t i = 0; i < records.size(); ++i) {
      const std::size_t base = 8 + i * 0x58;
      EXPECT_EQ(read_cstring(*table, base, 64), records[i].name) << "record " << i;
      for (std::size_t c = std::string(records[i].name).size(); c < 64; ++c) ASSERT_EQ((*table)[base + c], 0) << records[i].name;
      EXPECT_EQ(read_le(*table, base + 0x40, 8), records[i].size) << records[i].name;
      EXPECT_EQ(read_le(*table, base + 0x48, 8), records[i].offset) << records[i].name;
      EXPECT_EQ(read_le(*table, base + 0x50, 8), 0u) << records[i].name;  // mask_flags
    }
    const std::size_t end = 8 + records.size() * 0x58;  // an all-zero name ends the list
    for (std::size_t b = end; b < 0xFFC; ++b) ASSERT_EQ((*table)[b], 0) << "byte " << b;
  }
}

}  // namespace mtkfs::sim::image::test
