// Who may use a mount: only the mounting user unless -o allow_other (checked from a child process that
// runs as `nobody`), and file modes that follow ro / rw / rw_boot, enforced for writes.
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "tests/reliability/reliability_io.h"

namespace mtkfs::reliability {
namespace {

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

class Security : public PatternDiskSuite {};

// Runs `check` in a forked child that has dropped to nobody:nogroup; returns what it returned (an errno,
// 0 for success), or -1 if the child could not drop its privileges or did not finish in time.
int as_nobody(const std::function<int()>& check) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(kNogroup) != 0 || ::setuid(kNobody) != 0) ::_exit(255);
    if (::setuid(0) == 0) ::_exit(254);  // the drop must be irreversible
    ::_exit(check() & 0xFF);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  for (;;) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) && WEXITSTATUS(status) < 254 ? WEXITSTATUS(status) : -1;
    if (Clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
}

int stat_errno(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? 0 : errno;
}

int open_errno(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

// Reads 4 KiB of user_area.img at 16 MiB and checks it against the pattern; errno or 0.
int read_pattern(const std::string& image) {
  const int fd = ::open(image.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  std::uint8_t buffer[4096];
  const ssize_t n = ::pread(fd, buffer, sizeof buffer, 16 * kMiB);
  const int e = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(sizeof buffer)) return n < 0 ? e : EIO;
  return pattern_mismatch(kUser, 16 * kMiB, buffer) ? EBADMSG : 0;
}

// A mountpoint others can reach: any refusal then comes from the mount itself, not from its parent dirs.
void open_up(const SimMountRig& sm) {
  ::chmod(sm.dir().c_str(), 0755);
  ::chmod(sm.process().mountpoint().c_str(), 0755);
}

TEST_F(Security, OtherUsersAreLockedOutWithoutAllowOther) {
  SimMountRig sm(disk_->dir(), disk_->da());
  serve_and_mount(sm, {}, {"--rw"});
  ASSERT_TRUE(sm.process().mounted_at_start()) << sm.log();
  open_up(sm);
  const std::string image = sm.mnt("user_area.img");
  EXPECT_EQ(read_pattern(image), 0) << "the mounting user reads it";
  EXPECT_EQ(as_nobody([&] { return stat_errno(sm.dir().string()); }), 0) << "the parent directory is reachable";
  EXPECT_EQ(as_nobody([&] { return stat_errno(sm.process().mountpoint().string()); }), EACCES);
  EXPECT_EQ(as_nobody([&] { return stat_errno(image); }), EACCES);
  EXPECT_EQ(as_nobody([&] { return open_errno(image, O_RDONLY); }), EACCES);
  EXPECT_EQ(as_nobody([&] { return open_errno(image, O_RDWR); }), EACCES);
  EXPECT_EQ(as_nobody([&] { return open_errno(sm.mnt("device.txt"), O_RDONLY); }), EACCES);
  EXPECT_TRUE(sm.process().unmount());
  EXPECT_EQ(sm.process().exit_code(), 0) << sm.log();
}

TEST_F(Security, AllowOtherGivesOthersWhatTheFileModesAllow) {
  SimMountRig sm(disk_->dir(), disk_->da());
  serve_and_mount(sm, {}, {"--rw", "-o", "allow_other"});
  ASSERT_TRUE(sm.process().mounted_at_start()) << sm.log();
  open_up(sm);
  const std::string image = sm.mnt("user_area.img");
  EXPECT_EQ(as_nobody([&] { return stat_errno(image); }), 0);
  EXPECT_EQ(as_nobody([&] { return read_pattern(image); }), 0) << "0644: others may read";
  EXPECT_EQ(as_nobody([&] { return open_errno(image, O_RDWR); }), EACCES) << "0644: only the owner writes";
  EXPECT_EQ(as_nobody([&] { return open_errno(sm.mnt("partitions/misc.img"), O_WRONLY); }), EACCES);
  EXPECT_TRUE(sm.process().unmount());
  EXPECT_EQ(sm.process().exit_code(), 0) << sm.log();
}

std::map<std::string, mode_t> modes(const SimMountRig& sm) {
  std::map<std::string, mode_t> out;
  for (const char* name : {"", "partitions", "user_area.img", "boot1.img", "boot2.img", "device.txt",
                           "partitions/misc.img", "partitions/contents.img"}) {
    struct stat st {};
    out[name] = ::stat(sm.mnt(name).c_str(), &st) == 0 ? st.st_mode : 0;
  }
  return out;
}

TEST_F(Security, FileModesFollowTheMountMode) {
  const mode_t dir = S_IFDIR | 0555, ro = S_IFREG | 0444, rw = S_IFREG | 0644;
  {
    SimMountRig sm(disk_->dir(), disk_->da());
    serve_and_mount(sm, {}, {});
    ASSERT_TRUE(sm.process().mounted_at_start()) << sm.log();
    for (const auto& [name, mode] : modes(sm)) {
      EXPECT_EQ(mode, name.empty() || name == "partitions" ? dir : ro) << "read-only mount: " << name;
    }
    EXPECT_EQ(open_errno(sm.mnt("user_area.img"), O_RDWR), EROFS);
    EXPECT_EQ(open_errno(sm.mnt("partitions/misc.img"), O_WRONLY), EROFS);
    EXPECT_TRUE(sm.process().unmount());
  }
  {
    SimMountRig sm(disk_->dir(), disk_->da());
    serve_and_mount(sm, {}, {"--rw"});
    ASSERT_TRUE(sm.process().mounted_at_start()) << sm.log();
    const auto m = modes(sm);
    EXPECT_EQ(m.at("user_area.img"), rw);
    EXPECT_EQ(m.at("partitions/misc.img"), rw);
    EXPECT_EQ(m.at("partitions/contents.img"), rw);
    EXPECT_EQ(m.at("boot1.img"), ro) << "boot partitions need --rw-boot";
    EXPECT_EQ(m.at("boot2.img"), ro);
    EXPECT_EQ(m.at("device.txt"), ro);
    EXPECT_EQ(m.at(""), dir);
    // Even root, whom the kernel lets past the mode bits, cannot write a read-only file.
    EXPECT_EQ(open_errno(sm.mnt("boot1.img"), O_RDWR), EROFS);
    EXPECT_EQ(open_errno(sm.mnt("device.txt"), O_WRONLY), EROFS);
    EXPECT_EQ(open_errno(sm.mnt("partitions/misc.img"), O_RDWR), 0);
    EXPECT_TRUE(sm.process().unmount());
  }
  {
    SimMountRig sm(disk_->dir(), disk_->da());
    serve_and_mount(sm, {}, {"--rw", "--rw-boot"});
    ASSERT_TRUE(sm.process().mounted_at_start()) << sm.log();
    const auto m = modes(sm);
    EXPECT_EQ(m.at("boot1.img"), rw);
    EXPECT_EQ(m.at("boot2.img"), rw);
    EXPECT_EQ(m.at("device.txt"), ro);
    EXPECT_TRUE(sm.process().unmount());
  }
}

}  // namespace
}  // namespace mtkfs::reliability
