// The last partition of a MediaTek MBR/EBR disk through a real mount (issue 13): with ptgen's "to the
// end" count in the last EBR entry, partitions/contents.img still ends where the PMT says, before the
// PMT and its mirror (docs/protocol/partitions.md §4.3), so a full-size dd cannot reach them.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "sim/image/image.h"
#include "sim/sim.h"
#include "tests/mount/file_tools.h"
#include "tests/support/requirements.h"
#include "tests/support/sim_mount_rig.h"

namespace mtkfs::testing {
namespace {

namespace image = sim::image;

constexpr std::uint64_t kUserSize = sim::kDefaultUserSize;
constexpr std::uint64_t kPmtAt = kUserSize - image::kPmtDistanceFromEnd;
constexpr std::size_t kPmtBytes = 2 * image::kPmtRegionSize;  // the table and its mirror

std::uint64_t le64(const std::vector<std::uint8_t>& bytes, std::size_t at) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = value << 8 | bytes[at + static_cast<std::size_t>(i)];
  return value;
}

struct Record {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

// The record `name` of the v1.1 table the simulator wrote (sim/image/README.md), read from user.img
// here rather than by mtkfs's parser.
std::optional<Record> pmt_record(const std::filesystem::path& user_img, const std::string& name) {
  const auto table = read_range(user_img, kPmtAt, image::kPmtRegionSize);
  for (std::size_t at = 8; at + image::kPmtRecordSize <= table.size() - 4; at += image::kPmtRecordSize) {
    const std::string record_name(reinterpret_cast<const char*>(&table[at]),
                                  ::strnlen(reinterpret_cast<const char*>(&table[at]), 64));
    if (record_name.empty()) break;
    if (record_name == name) return Record{le64(table, at + 72), le64(table, at + 64)};
  }
  return std::nullopt;
}

TEST(MountLastPartition, PtgenToTheEndCountStopsBeforeThePmt) {
  if (!require_fuse()) return;
  SimMountRig rig;
  rig.init({"--layout", "mbr", "--mtk-last-size", "--pattern"});
  const auto pmt_before = read_range(rig.image("user.img"), kPmtAt, kPmtBytes);
  const auto record = pmt_record(rig.image("user.img"), "contents");
  ASSERT_TRUE(record);
  // The simulator's own list agrees with its PMT (and so does the device's /proc/emmc on an NW-A50).
  const auto spec = sim_partition("contents", image::Layout::mbr);
  ASSERT_EQ(record->offset, spec.offset);
  ASSERT_EQ(record->size, spec.size);
  ASSERT_EQ(record->offset + record->size, kPmtAt);

  rig.start_sim();
  const ProgramResult start = rig.mount({"--rw", "--end", "stay"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  const std::string contents = rig.mnt("partitions/contents.img");

  struct stat st {};
  ASSERT_EQ(::stat(contents.c_str(), &st), 0) << std::strerror(errno);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  EXPECT_EQ(size, record->size) << "the PMT's size for contents";
  EXPECT_LE(record->offset + size, kPmtAt) << "contents.img reaches into the PMT";

  // The last byte reads, and is the device's.
  EXPECT_EQ(read_range(contents, size - 1, 1), read_range(rig.image("user.img"), record->offset + size - 1, 1));
  EXPECT_EQ(
      compare_ranges(contents, size - 64 * 1024, rig.image("user.img"), record->offset + size - 64 * 1024, 64 * 1024),
      "");

  // Writing past the end: a write across it is cut at the end, one after it refused; the size stays.
  const auto data = random_bytes(13, 8192);
  const int fd = ::open(contents.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  EXPECT_EQ(::pwrite(fd, data.data(), data.size(), static_cast<off_t>(size - 4096)), 4096) << std::strerror(errno);
  EXPECT_EQ(::pwrite(fd, data.data(), data.size(), static_cast<off_t>(size)), -1);
  EXPECT_EQ(errno, ENOSPC);
  EXPECT_EQ(::fsync(fd), 0) << std::strerror(errno);
  ASSERT_EQ(::fstat(fd, &st), 0);
  EXPECT_EQ(static_cast<std::uint64_t>(st.st_size), size) << "the size never changes";
  ::close(fd);

  EXPECT_EQ(rig.unmount(Unmount::fusermount), 0) << rig.log();
  const std::string log = rig.log();
  // The bound is logged with both numbers: the clamped "to the end" size and the PMT's.
  EXPECT_NE(log.find("bounded by the PMT record"), std::string::npos) << log;
  EXPECT_NE(log.find("ending at 0x10000000"), std::string::npos) << log;
  EXPECT_NE(log.find("ending at 0xff00000"), std::string::npos) << log;

  // The data reached the device right up to the end, and not one byte of the PMT or its mirror changed.
  EXPECT_EQ(read_range(rig.image("user.img"), record->offset + size - 4096, 4096),
            std::vector<std::uint8_t>(data.begin(), data.begin() + 4096));
  EXPECT_EQ(read_range(rig.image("user.img"), kPmtAt, kPmtBytes), pmt_before);
}

}  // namespace
}  // namespace mtkfs::testing
