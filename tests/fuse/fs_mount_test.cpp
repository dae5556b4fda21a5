// A read-only mount: the tree, exact sizes, reads at the end, refusals.
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "tests/fuse/mounted_fs.h"
#include "tests/support/requirements.h"

namespace mtkfs::testing {
namespace {

constexpr std::uint64_t kMiB = 1 << 20;
constexpr auto kUser = HwPartition::user;
using Kind = FakeBlockDevice::Call::Kind;

std::vector<partition::Extent> two_partitions() {
  return {{"system", "system", 8 * kMiB, 3 * kMiB, 5}, {"data", "", 16 * kMiB, 2 * kMiB + 2560, 6}};
}

std::set<std::string> list(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

class FsReadOnlyTest : public ::testing::Test {
 protected:
  void SetUp() override { require_fuse("mounts in-process"); }
  void TearDown() override {
    for (const auto& v : device.violations()) ADD_FAILURE() << "device rule broken: " << v;
  }
  FakeBlockDevice device;
};

TEST_F(FsReadOnlyTest, TreeSizesAndModes) {
  MountedFs m(device, {}, two_partitions());
  EXPECT_EQ(list(m.mountpoint()), (std::set<std::string>{"user_area.img", "boot1.img", "boot2.img", "device.txt",
                                                          "status.txt", "partitions"}));
  EXPECT_EQ(list(m.path("partitions")), (std::set<std::string>{"system.img", "data.img"}));
  struct stat st {};
  ASSERT_EQ(::stat(m.path("user_area.img").c_str(), &st), 0);
  EXPECT_EQ(static_cast<std::uint64_t>(st.st_size), device.size(kUser));
  EXPECT_EQ(st.st_mode & 07777, 0444u);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  ASSERT_EQ(::stat(m.path("boot1.img").c_str(), &st), 0);
  EXPECT_EQ(static_cast<std::uint64_t>(st.st_size), device.size(HwPartition::boot1));
  ASSERT_EQ(::stat(m.path("partitions/data.img").c_str(), &st), 0);
  EXPECT_EQ(static_cast<std::uint64_t>(st.st_size), 2 * kMiB + 2560);
  ASSERT_EQ(::stat(m.path("partitions").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  const auto text = read_all(m.path("device.txt"));
  EXPECT_EQ(std::string(text.begin(), text.end()), "fake eMMC for tests\n");
  EXPECT_EQ(m.unmount(), 0);
}

TEST_F(FsReadOnlyTest, RpmbOnlyWithTheOptionAndAlwaysReadOnly) {
  fusefs::FsOptions o;
  o.expose_rpmb = true;
  o.writable = true;
  MountedFs m(device, o);
  struct stat st {};
  ASSERT_EQ(::stat(m.path("rpmb.img").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0444u);
  Fd w(m.path("rpmb.img"), O_WRONLY);
  EXPECT_EQ(w.err, EROFS);
}

TEST_F(FsReadOnlyTest, ShortReadsAtTheEndAndNothingAfterIt) {
  MountedFs m(device, {}, two_partitions());
  Fd f(m.path("partitions/data.img"), O_RDONLY);
  ASSERT_GE(f.fd, 0);
  const std::uint64_t size = 2 * kMiB + 2560;
  std::vector<std::uint8_t> buf(8192);
  ASSERT_EQ(::pread(f.fd, buf.data(), buf.size(), static_cast<off_t>(size - 1000)), 1000);
  EXPECT_TRUE(std::equal(buf.begin(), buf.begin() + 1000,
                         FakeBlockDevice::pattern(kUser, 16 * kMiB + size - 1000, 1000).begin()));
  EXPECT_EQ(::pread(f.fd, buf.data(), buf.size(), static_cast<off_t>(size)), 0);
  EXPECT_EQ(::pread(f.fd, buf.data(), buf.size(), static_cast<off_t>(size + 123456)), 0);
  for (const auto& call : device.calls())
    EXPECT_LE(call.offset + call.length, device.size(kUser)) << "inside the user area";
}

TEST_F(FsReadOnlyTest, PartitionFileIsExactlyItsExtent) {
  MountedFs m(device, {}, two_partitions());
  const auto system = read_all(m.path("partitions/system.img"));
  EXPECT_EQ(system, FakeBlockDevice::pattern(kUser, 8 * kMiB, 3 * kMiB));
  const auto data = read_all(m.path("partitions/data.img"));
  EXPECT_EQ(data, FakeBlockDevice::pattern(kUser, 16 * kMiB, 2 * kMiB + 2560));
  const auto boot2 = read_all(m.path("boot2.img"));
  EXPECT_EQ(boot2, FakeBlockDevice::pattern(HwPartition::boot2, 0, device.size(HwPartition::boot2)));
}

TEST_F(FsReadOnlyTest, EveryWriteIsRefusedWithErofs) {
  MountedFs m(device, {}, two_partitions());
  for (const char* name : {"user_area.img", "boot1.img", "partitions/system.img", "device.txt"}) {
    Fd w(m.path(name), O_WRONLY);
    EXPECT_EQ(w.err, EROFS) << name;
    Fd rw(m.path(name), O_RDWR);
    EXPECT_EQ(rw.err, EROFS) << name;
  }
  EXPECT_EQ(::truncate(m.path("user_area.img").c_str(), 0), -1);
  EXPECT_EQ(errno, EROFS);
  Fd created(m.path("new.img"), O_WRONLY | O_CREAT);
  EXPECT_EQ(created.err, EROFS);
  EXPECT_EQ(device.count(Kind::write), 0u);
}

TEST_F(FsReadOnlyTest, LargeSequentialReadUsesFewDeviceReads) {
  cache::CacheOptions co;  // 1 MiB blocks
  co.cache_size = 128 * kMiB;
  co.readahead_max = 32 * kMiB;
  co.max_device_transfer = 16 * kMiB;
  MountedFs m(device, {}, {}, co);
  Fd f(m.path("user_area.img"), O_RDONLY);
  ASSERT_GE(f.fd, 0);
  std::vector<std::uint8_t> buf(kMiB), expected(kMiB);
  std::uint64_t total = 0;
  for (;;) {
    const ssize_t n = ::read(f.fd, buf.data(), buf.size());
    ASSERT_GE(n, 0);
    if (n == 0) break;
    FakeBlockDevice::pattern(kUser, total, std::span(expected).first(n));
    ASSERT_TRUE(std::equal(buf.begin(), buf.begin() + n, expected.begin())) << "at " << total;
    total += n;
  }
  EXPECT_EQ(total, device.size(kUser));
  // 64 MiB through the kernel's FUSE requests: a few large device reads, not one per request.
  RecordProperty("device_reads", static_cast<int>(device.count(Kind::read)));
  EXPECT_LE(device.count(Kind::read), 12u);
}

}  // namespace
}  // namespace mtkfs::testing
