#include <gtest/gtest.h>

#include "sim/image/image.h"
#include "tests/sim_image/mbr_expect.h"
#include "tests/support/requirements.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::sim::image {
namespace {

using test::read_bytes;
using test::read_le;

constexpr std::uint64_t kUser = 256ull << 20;

struct RawEntry {
  std::uint8_t status, type;
  std::uint32_t chs_start, chs_end, start, count;
};

RawEntry entry(const std::vector<std::uint8_t>& sector, int slot) {
  const std::size_t e = 0x1BE + 16 * slot;
  return {sector[e], sector[e + 4], static_cast<std::uint32_t>(read_le(sector, e + 1, 3)),
          static_cast<std::uint32_t>(read_le(sector, e + 5, 3)), static_cast<std::uint32_t>(read_le(sector, e + 8, 4)),
          static_cast<std::uint32_t>(read_le(sector, e + 12, 4))};
}

std::uint64_t ebr_lba(int n) { return n == 1 ? 0x400 : 0x800 + (n - 2) * 0x400; }

TEST(Mbr, LinuxParserSeesAllTwentyEightPartitions) {
  if (!mtkfs::testing::require_loop("reads the image through a loop device")) return;
  testing::TempDir dir;
  init_disk({.dir = dir.path(), .layout = Layout::mbr});
  test::expect_linux_view(dir / "user.img", test::expected_mbr_rows(kUser));
}

TEST(Mbr, SectorsFollowMediatekPtgenConventions) {
  testing::TempDir dir;
  init_disk({.dir = dir.path(), .layout = Layout::mbr});
  const auto user = dir / "user.img";
  const auto rows = test::expected_mbr_rows(kUser);

  const auto mbr = read_bytes(user, 0, 512);
  EXPECT_EQ(mbr[0x1FE], 0x55);
  EXPECT_EQ(mbr[0x1FF], 0xAA);
  for (std::size_t b = 0; b < 0x1BE; ++b) ASSERT_EQ(mbr[b], 0) << "boot code byte " << b;
  const auto ext = entry(mbr, 0);
  EXPECT_EQ(ext.type, 0x05);
  EXPECT_EQ(ext.start, 0x400u);
  EXPECT_EQ(ext.count, 0xFFFFFFFFu);
  for (int slot = 1; slot <= 3; ++slot) {
    const auto e = entry(mbr, slot);
    EXPECT_EQ(e.type, 0x83);
    EXPECT_EQ(e.status, 0);
    EXPECT_EQ(e.chs_start, 0u);
    EXPECT_EQ(e.chs_end, 0u);
    EXPECT_EQ(e.start * 512ull, rows[slot - 1].offset) << rows[slot - 1].name;  // absolute
    EXPECT_EQ(e.count * 512ull, rows[slot - 1].size) << rows[slot - 1].name;
  }

  std::size_t next_row = 3;
  for (int n = 1; n <= 9; ++n) {
    SCOPED_TRACE("EBR" + std::to_string(n));
    const auto ebr = read_bytes(user, ebr_lba(n) * 512, 512);
    EXPECT_EQ(ebr[0x1FE], 0x55);
    EXPECT_EQ(ebr[0x1FF], 0xAA);
    for (int slot = 0; slot < 3; ++slot) {
      const auto e = entry(ebr, slot);
      if (next_row >= rows.size()) {
        EXPECT_EQ(e.type, 0);
        EXPECT_EQ(e.count, 0u);
        continue;
      }
      const auto& row = rows[next_row++];
      EXPECT_EQ(e.type, 0x83) << row.name;
      EXPECT_EQ((ebr_lba(n) + e.start) * 512, row.offset) << row.name;  // relative to this EBR
      EXPECT_EQ(e.count * 512ull, row.size) << row.name;
    }
    const auto link = entry(ebr, 3);
    if (n < 9) {
      EXPECT_EQ(link.type, 0x05);
      EXPECT_EQ(link.start, ebr_lba(n + 1) - 0x400);  // relative to EBR1
      EXPECT_EQ(link.count, 0xFFFFFFFFu);
    } else {
      EXPECT_EQ(link.type, 0);
      EXPECT_EQ(link.start, 0u);
    }
  }
  EXPECT_EQ(next_row, rows.size());
  EXPECT_EQ(rows.back().offset + rows.back().size, kUser - 0x100000);  // contents ends at the PMT
}

TEST(Mbr, PmtAndMirrorDescribeEveryPartition) {
  testing::TempDir dir;
  init_disk({.dir = dir.path(), .layout = Layout::mbr});
  test::expect_pmt(dir / "user.img", kUser, test::expected_mbr_rows(kUser));
}

TEST(Mbr, MtkLastSizeWritesThePtgenCountThatHostsMustClamp) {
  if (!mtkfs::testing::require_loop("reads the image through a loop device")) return;
  testing::TempDir dir;
  init_disk({.dir = dir.path(), .layout = Layout::mbr, .mtk_last_size = true});
  const auto user = dir / "user.img";
  const auto rows = test::expected_mbr_rows(kUser);
  const std::uint64_t contents_lba = rows.back().offset / 512;

  const auto ebr9 = read_bytes(user, ebr_lba(9) * 512, 512);
  const auto last = entry(ebr9, 0);
  EXPECT_EQ(ebr_lba(9) + last.start, contents_lba);
  EXPECT_EQ(last.count, 0xFFFFFFFFu - (contents_lba - 0x400));
  // Everything else is unchanged, including the exact size in the PMT.
  const auto p28 = entry(read_bytes(user, ebr_lba(9) * 512 - 0x80000, 512), 2);
  EXPECT_EQ(p28.count * 512ull, rows[rows.size() - 2].size);
  test::expect_pmt(user, kUser, rows);
  // Linux clamps the partition to the end of the device.
  test::expect_linux_view(user, rows, last.count);
}

}  // namespace
}  // namespace mtkfs::sim::image
