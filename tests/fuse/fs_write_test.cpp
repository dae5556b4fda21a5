// A writable mount: writes reach the device on fsync/close, nothing leaves a file's extent.
#include <sys/stat.h>

#include <algorithm>

#include "tests/fuse/mounted_fs.h"
#include "tests/support/requirements.h"

namespace mtkfs::testing {
namespace {

constexpr std::uint64_t kMiB = 1 << 20;
constexpr auto kUser = HwPartition::user;
using Kind = FakeBlockDevice::Call::Kind;

std::vector<partition::Extent> partitions() {
  return {{"system", "system", 8 * kMiB, 3 * kMiB, 5}, {"data", "", 16 * kMiB, 2 * kMiB + 2560, 6}};
}

fusefs::FsOptions rw() {
  fusefs::FsOptions o;
  o.writable = true;
  return o;
}

std::vector<std::uint8_t> bytes(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed ^ (i * 13));
  return v;
}

class FsWriteTest : public ::testing::Test {
 protected:
  void SetUp() override { require_fuse("mounts in-process"); }
  void TearDown() override {
    for (const auto& v : device.violations()) ADD_FAILURE() << "device rule broken: " << v;
  }
  FakeBlockDevice device;
};

TEST_F(FsWriteTest, WriteAndFsyncReachTheDevice) {
  MountedFs m(device, rw(), partitions());
  struct stat st {};
  ASSERT_EQ(::stat(m.path("partitions/system.img").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  Fd f(m.path("partitions/system.img"), O_RDWR);
  ASSERT_GE(f.fd, 0) << std::strerror(f.err);
  const auto data = bytes(4096, 1);
  ASSERT_EQ(::pwrite(f.fd, data.data(), data.size(), 8192), 4096);
  EXPECT_EQ(device.contents(kUser, 8 * kMiB + 8192, 4096), FakeBlockDevice::pattern(kUser, 8 * kMiB + 8192, 4096))
      << "write-back: nothing written before fsync";
  ASSERT_EQ(::fsync(f.fd), 0);
  EXPECT_EQ(device.contents(kUser, 8 * kMiB + 8192, 4096), data);
  EXPECT_GE(device.count(Kind::write), 1u);
  std::vector<std::uint8_t> back(4096);
  ASSERT_EQ(::pread(f.fd, back.data(), back.size(), 8192), 4096);
  EXPECT_EQ(back, data);
}

TEST_F(FsWriteTest, CloseFlushesAndUnalignedWritesKeepNeighbouringBytes) {
  MountedFs m(device, rw(), partitions());
  const auto data = bytes(1000, 7);
  {
    Fd f(m.path("user_area.img"), O_WRONLY);
    ASSERT_GE(f.fd, 0);
    ASSERT_EQ(::pwrite(f.fd, data.data(), data.size(), 12345), 1000);
    EXPECT_EQ(f.release(), 0);
  }
  auto expected = FakeBlockDevice::pattern(kUser, 12288, 2048);
  std::copy(data.begin(), data.end(), expected.begin() + (12345 - 12288));
  EXPECT_EQ(device.contents(kUser, 12288, 2048), expected);
}

TEST_F(FsWriteTest, BootNeedsRwBoot) {
  {
    MountedFs m(device, rw());
    Fd w(m.path("boot1.img"), O_WRONLY);
    EXPECT_EQ(w.err, EROFS);
    Fd w2(m.path("boot2.img"), O_RDWR);
    EXPECT_EQ(w2.err, EROFS);
    struct stat st {};
    ASSERT_EQ(::stat(m.path("boot1.img").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0444u);
  }
  device.forget_caller();
  fusefs::FsOptions o = rw();
  o.write_boot = true;
  MountedFs m(device, o);
  Fd w(m.path("boot1.img"), O_WRONLY);
  ASSERT_GE(w.fd, 0);
  const auto data = bytes(512, 3);
  ASSERT_EQ(::pwrite(w.fd, data.data(), data.size(), 0), 512);
  ASSERT_EQ(::fsync(w.fd), 0);
  EXPECT_EQ(device.contents(HwPartition::boot1, 0, 512), data);
}

TEST_F(FsWriteTest, NothingLeavesTheFileExtent) {
  MountedFs m(device, rw(), partitions());
  const std::uint64_t size = 2 * kMiB + 2560;
  const std::uint64_t after = 16 * kMiB + size;
  const auto before = device.contents(kUser, after, 4096);
  Fd f(m.path("partitions/data.img"), O_RDWR);
  ASSERT_GE(f.fd, 0);
  const auto data = bytes(8192, 9);
  EXPECT_EQ(::pwrite(f.fd, data.data(), data.size(), static_cast<off_t>(size - 1024)), 1024) << "short write";
  EXPECT_EQ(::pwrite(f.fd, data.data(), data.size(), static_cast<off_t>(size)), -1);
  EXPECT_EQ(errno, ENOSPC);
  EXPECT_EQ(::pwrite(f.fd, data.data(), data.size(), static_cast<off_t>(size + kMiB)), -1);
  EXPECT_EQ(errno, ENOSPC);
  ASSERT_EQ(::fsync(f.fd), 0);
  EXPECT_EQ(device.contents(kUser, after - 1024, 1024), std::vector<std::uint8_t>(data.begin(), data.begin() + 1024));
  EXPECT_EQ(device.contents(kUser, after, 4096), before);
  struct stat st {};
  ASSERT_EQ(::fstat(f.fd, &st), 0);
  EXPECT_EQ(static_cast<std::uint64_t>(st.st_size), size) << "the size never changes";
}

TEST_F(FsWriteTest, TruncateAndFallocateAreRefused) {
  MountedFs m(device, rw(), partitions());
  const std::uint64_t size = 3 * kMiB;
  Fd f(m.path("partitions/system.img"), O_RDWR);
  ASSERT_GE(f.fd, 0);
  EXPECT_EQ(::ftruncate(f.fd, static_cast<off_t>(size)), 0) << "same size is fine";
  EXPECT_EQ(::ftruncate(f.fd, static_cast<off_t>(size - 512)), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(::ftruncate(f.fd, static_cast<off_t>(size + 512)), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(::fallocate(f.fd, 0, 0, 4096), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  EXPECT_EQ(::fallocate(f.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  Fd trunc(m.path("partitions/system.img"), O_WRONLY | O_TRUNC);
  EXPECT_EQ(trunc.err, EPERM);
  Fd created(m.path("partitions/new.img"), O_WRONLY | O_CREAT);
  EXPECT_EQ(created.err, EPERM);
  EXPECT_EQ(::unlink(m.path("partitions/system.img").c_str()), -1);
  EXPECT_EQ(device.count(Kind::write), 0u);
  struct stat st {};
  ASSERT_EQ(::stat(m.path("partitions/system.img").c_str(), &st), 0);
  EXPECT_EQ(static_cast<std::uint64_t>(st.st_size), size);
}

TEST_F(FsWriteTest, WriteThroughOneFileIsSeenThroughItsAlias) {
  MountedFs m(device, rw(), partitions());
  Fd user(m.path("user_area.img"), O_RDONLY);
  ASSERT_GE(user.fd, 0);
  std::vector<std::uint8_t> back(4096);
  ASSERT_EQ(::pread(user.fd, back.data(), back.size(), static_cast<off_t>(8 * kMiB + 4096)), 4096);  // cached
  Fd system(m.path("partitions/system.img"), O_WRONLY);
  ASSERT_GE(system.fd, 0);
  const auto data = bytes(4096, 5);
  ASSERT_EQ(::pwrite(system.fd, data.data(), data.size(), 4096), 4096);
  ASSERT_EQ(::pread(user.fd, back.data(), back.size(), static_cast<off_t>(8 * kMiB + 4096)), 4096);
  EXPECT_EQ(back, data) << "stale page cache of user_area.img";
}

TEST_F(FsWriteTest, FailedDeviceWriteIsEioAtFsync) {
  MountedFs m(device, rw(), partitions());
  device.fail_writes_in({kUser, 8 * kMiB, 8 * kMiB + 4096});
  Fd f(m.path("partitions/system.img"), O_WRONLY);
  ASSERT_GE(f.fd, 0);
  const auto data = bytes(4096, 2);
  ASSERT_EQ(::pwrite(f.fd, data.data(), data.size(), 0), 4096) << "accepted into the cache";
  EXPECT_EQ(::fsync(f.fd), -1);
  EXPECT_EQ(errno, EIO);
  EXPECT_GT(m.cache().stats().dirty_bytes, 0u) << "kept, not dropped";
  device.clear_failures();
  EXPECT_EQ(::fsync(f.fd), 0) << "retried";
  EXPECT_EQ(device.contents(kUser, 8 * kMiB, 4096), data);
}

TEST_F(FsWriteTest, UnmountFlushesAndReportsSuccess) {
  MountedFs m(device, rw(), partitions());
  const auto data = bytes(2048, 4);
  {
    Fd f(m.path("user_area.img"), O_WRONLY);
    ASSERT_GE(f.fd, 0);
    ASSERT_EQ(::pwrite(f.fd, data.data(), data.size(), 0), 2048);
  }
  EXPECT_EQ(m.unmount(), 0);
  EXPECT_EQ(device.contents(kUser, 0, 2048), data);
  EXPECT_EQ(m.cache().stats().dirty_bytes, 0u);
}

}  // namespace
}  // namespace mtkfs::testing
