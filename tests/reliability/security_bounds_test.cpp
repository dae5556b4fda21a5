// No request, however crafted, reads or writes outside its file's extent: huge and negative offsets,
// lengths crossing the end, truncate/ftruncate/O_TRUNC, fallocate, O_APPEND. Checked on the simulator's
// files afterwards: the bytes just after every partition's extent, the other hardware partitions and the
// file sizes are unchanged.
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/syscall.h>

#include <gtest/gtest.h>

#include <climits>

#include "tests/reliability/reliability_io.h"

namespace mtkfs::reliability {
namespace {

using sim::image::PartitionSpec;

struct Errno {
  long result;
  int error;
};
Errno raw_pread(int fd, void* buf, std::size_t n, off_t off) {
  const long r = ::syscall(SYS_pread64, fd, buf, n, off);
  return {r, r < 0 ? errno : 0};
}
Errno raw_pwrite(int fd, const void* buf, std::size_t n, off_t off) {
  const long r = ::syscall(SYS_pwrite64, fd, buf, n, off);
  return {r, r < 0 ? errno : 0};
}

class Bounds : public ::testing::Test {
 protected:
  void SetUp() override {
    mtkfs::testing::require_fuse();
  }
  PatternDisk disk_;
};

// Every crafted write at and past the end of one partition file; returns a description of what went
// wrong, empty if every call was refused or cut at the end.
std::string hammer_end(const std::string& file, std::uint64_t size) {
  FuseFilesScope files;
  std::string problems;
  auto expect = [&](bool ok, const std::string& what) {
    if (!ok) problems += file + ": " + what + "; ";
  };
  const Bytes ones(8192, 0xEE);
  const int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return file + ": cannot open for writing";
  const auto end = static_cast<off_t>(size);
  // Crossing the end: cut to the bytes that fit (the last 512 of the partition change, nothing after).
  expect(::pwrite(fd, ones.data(), 4096, end - 512) == 512, "a write crossing the end was not cut to 512 bytes");
  expect(::pwrite(fd, ones.data(), 1, end) == -1, "a write at the end succeeded");
  expect(::pwrite(fd, ones.data(), 4096, end + 4096) == -1, "a write past the end succeeded");
  for (const off_t huge : {off_t{1} << 40, off_t{1} << 62, off_t{LLONG_MAX - 4096}, off_t{LLONG_MAX}})
    expect(::pwrite(fd, ones.data(), 4096, huge) == -1, "a write at a huge offset succeeded");
  for (const off_t negative : {off_t{-1}, off_t{-4096}, off_t{LLONG_MIN}}) {
    const Errno r = raw_pwrite(fd, ones.data(), 4096, negative);
    expect(r.result == -1 && r.error == EINVAL, "a write at a negative offset was not EINVAL");
  }
  expect(::lseek(fd, end, SEEK_SET) == end && ::write(fd, ones.data(), 4096) == -1, "write() after seeking to the end");
  // Reads: cut at the end, nothing after it, negative offsets refused.
  std::uint8_t buffer[8192];
  expect(::pread(fd, buffer, sizeof buffer, end - 100) == 100, "a read crossing the end was not cut to 100 bytes");
  expect(::pread(fd, buffer, sizeof buffer, end) == 0, "a read at the end returned data");
  expect(::pread(fd, buffer, sizeof buffer, LLONG_MAX - 1) <= 0, "a read at a huge offset returned data");
  expect(::pread(fd, buffer, sizeof buffer, off_t{1} << 50) == 0, "a read far past the end returned data");
  const Errno r = raw_pread(fd, buffer, sizeof buffer, -4096);
  expect(r.result == -1 && r.error == EINVAL, "a read at a negative offset was not EINVAL");
  // Sizes are fixed.
  expect(::ftruncate(fd, 0) == -1 && errno == EPERM, "ftruncate to 0 was not EPERM");
  expect(::ftruncate(fd, end + 4096) == -1, "ftruncate beyond the end succeeded");
  expect(::ftruncate(fd, end) == 0, "ftruncate to the current size failed");
  expect(::truncate(file.c_str(), end - 512) == -1 && errno == EPERM, "truncate was not EPERM");
  expect(::fallocate(fd, 0, end, 4096) == -1, "fallocate past the end succeeded");
  expect(::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096) == -1 && errno == EOPNOTSUPP,
         "punching a hole was not EOPNOTSUPP");
  expect(::fsync(fd) == 0, "fsync failed");
  expect(::close(fd) == 0, "close failed");
  // O_APPEND writes at the end of the file: there is no room.
  const int append = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  expect(append >= 0 && ::write(append, ones.data(), 4096) == -1, "an O_APPEND write succeeded");
  if (append >= 0) ::close(append);
  expect(::open(file.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC) == -1 && errno == EPERM, "O_TRUNC was not EPERM");
  struct stat st {};
  expect(::stat(file.c_str(), &st) == 0 && static_cast<std::uint64_t>(st.st_size) == size, "the size changed");
  return problems;
}

TEST_F(Bounds, CraftedRequestsStayInsideEveryPartition) {
  const auto table = sim::image::partition_table(disk_.user_size(), sim::image::Layout::gpt);
  const Bytes boot1 = PatternDisk::read_file(disk_.boot1_img(), 0, 4 * kMiB);
  std::vector<Bytes> after_each;
  for (const PartitionSpec& p : table)
    after_each.push_back(disk_.read_user(p.offset + p.size, 4096));
  {
    SimMountRig sm(disk_.dir(), disk_.da());
    serve_and_mount(sm, {}, {"--rw"});
    ASSERT_TRUE(sm.process().mounted_at_start()) << sm.log();
    for (const PartitionSpec& p : table) {
      const std::string problems = hammer_end(sm.mnt("partitions/" + p.name + ".img"), p.size);
      EXPECT_TRUE(problems.empty()) << problems;
    }
    EXPECT_TRUE(hammer_end(sm.mnt("user_area.img"), disk_.user_size()).empty());
    // A read-only file refuses writes outright, whatever the offset.
    FuseFilesScope files;
    EXPECT_EQ(::open(sm.mnt("boot1.img").c_str(), O_RDWR | O_CLOEXEC), -1);
    EXPECT_TRUE(sm.process().unmount());
    EXPECT_EQ(sm.process().exit_code(), 0) << sm.log();
  }
  for (std::size_t i = 0; i < table.size(); ++i) {
    const PartitionSpec& p = table[i];
    EXPECT_EQ(disk_.read_user(p.offset + p.size, 4096), after_each[i]) << "bytes after " << p.name << " changed";
    EXPECT_EQ(disk_.read_user(p.offset + p.size - 512, 512), Bytes(512, 0xEE)) << p.name << ": its last sector";
  }
  EXPECT_EQ(fs::file_size(disk_.user_img()), disk_.user_size());
  EXPECT_EQ(PatternDisk::read_file(disk_.boot1_img(), 0, 4 * kMiB), boot1);
  EXPECT_EQ(fs::file_size(disk_.dir() / "rpmb.img"), 16 * kMiB);
}

}  // namespace
}  // namespace mtkfs::reliability
