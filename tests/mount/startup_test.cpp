// How mtkfs starts and fails: one clear line and exit 1 without a mount or a leftover process, and
// the mount(8) forms (`mount -t fuse.mtkfs SOURCE DIR`, fstab's `mtkfs#SOURCE`).
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "sim/sim.h"
#include "tests/mount/file_tools.h"
#include "tests/support/process_tools.h"
#include "tests/support/program_paths.h"
#include "tests/support/requirements.h"
#include "tests/support/sim_mount_rig.h"

namespace mtkfs::testing {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// Exit 1, exactly one "mtkfs: ..." line that contains `expected`, nothing mounted, nothing running.
void expect_clean_failure(const SimMountRig& rig, const ProgramResult& r, const std::string& expected) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "");
  std::vector<std::string> errors;
  for (const auto& line : lines(r.err))
    if (line.rfind("mtkfs:", 0) == 0) errors.push_back(line);
  ASSERT_EQ(errors.size(), 1u) << r.err;
  EXPECT_NE(errors[0].find(expected), std::string::npos) << errors[0];
  EXPECT_FALSE(rig.mounted());
  EXPECT_TRUE(children_running(mtkfs_program()).empty()) << "an mtkfs process is left over";
}

ProgramResult run_mtkfs(const std::vector<std::string>& args) {
  return run_program(mtkfs_program(), args, kProgramTimeout);
}

TEST(MountStartup, MissingDaFileIsOneMessage) {
  SimMountRig rig;
  const std::string missing = (rig.dir() / "no-such-da.bin").string();
  expect_clean_failure(rig, run_mtkfs({"--socket", rig.socket(), "--da", missing, rig.mnt()}), "no-such-da.bin");
  // No --da: the search (HOME in the test's directory) finds nothing and says so, before any wait.
  const ProgramResult searched = run_program(
      "/usr/bin/env", {"HOME=" + rig.dir().string(), "XDG_DATA_HOME=", "MTKFS_DA=", "MTKCLIENT_DIR=",
                       mtkfs_program(), "--socket", rig.socket(), rig.mnt()},
      kProgramTimeout);
  expect_clean_failure(rig, searched, "no Download Agent found and no --da given");
  EXPECT_NE(searched.err.find("mtkfs --save-da"), std::string::npos) << searched.err;
}

TEST(MountStartup, UnusableDaFileIsOneLine) {
  SimMountRig rig;
  const auto junk = rig.dir() / "junk.bin";
  std::ofstream(junk) << "this is not a download agent";
  const ProgramResult r = run_mtkfs({"--socket", rig.socket(), "--da", junk.string(), rig.mnt()});
  expect_clean_failure(rig, r, "junk.bin");
}

TEST(MountStartup, NoSimulatorIsOneLineInBothModes) {
  SimMountRig rig;
  rig.init({"--layout", "none"});
  const std::string absent = (rig.dir() / "absent.sock").string();
  expect_clean_failure(rig, run_mtkfs({"--socket", absent, "--da", rig.da(), "--wait", "1", rig.mnt()}),
                       "absent.sock");
  expect_clean_failure(rig, run_mtkfs({"-f", "--socket", absent, "--da", rig.da(), "--wait", "1", rig.mnt()}),
                       "absent.sock");
}

TEST(MountStartup, BadMountpointAndOptionsAreOneLine) {
  SimMountRig rig;
  rig.init({"--layout", "none"});
  const std::string nowhere = (rig.dir() / "nowhere").string();
  expect_clean_failure(rig, run_mtkfs({"--socket", rig.socket(), "--da", rig.da(), nowhere}), "nowhere");
  expect_clean_failure(rig, run_mtkfs({"--socket", rig.socket(), "--da", rig.da(), "--rw-boot", rig.mnt()}),
                       "--rw-boot needs --rw");
  expect_clean_failure(rig, run_mtkfs({"--socket", rig.socket(), "--da", rig.da(), "-o", "cache_size=lots", rig.mnt()}),
                       "cache size");
}

TEST(MountStartup, UnknownFuseOptionIsReportedBeforeDetaching) {
  SimMountRig rig;
  rig.init({"--layout", "none"});
  rig.start_sim();
  const ProgramResult r = rig.mount({"-o", "no_such_fuse_option"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no_such_fuse_option"), std::string::npos) << r.err;
  EXPECT_FALSE(rig.mounted());
}

// mount(8) runs mount.fuse3, which runs `mtkfs SOURCE MOUNTPOINT -o OPTIONS` through /bin/sh with
// mount(8)'s fixed PATH; this test process gets a private mount namespace in which the build's
// mtkfs is bound over /usr/local/sbin, so the host is not changed.
TEST(MountCommand, MountTypeFuseMtkfsIsReadOnlyDespiteMountsDefaultRw) {
  if (!require_fuse("mount(8) in a private mount namespace")) return;
  ASSERT_EQ(::unshare(CLONE_NEWNS), 0) << std::strerror(errno);
  ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0) << std::strerror(errno);
  SimMountRig rig;
  rig.init({"--layout", "gpt"});
  rig.start_sim();
  const auto bin = rig.dir() / "bin";
  std::filesystem::create_directories(bin);
  std::filesystem::create_symlink(std::filesystem::canonical(mtkfs_program()), bin / "mtkfs");
  ASSERT_EQ(::mount(bin.c_str(), "/usr/local/sbin", nullptr, MS_BIND, nullptr), 0) << std::strerror(errno);

  const ProgramResult r = rig.start_detached(
      "/usr/bin/mount", {"-t", "fuse.mtkfs", "socket:" + rig.socket(), rig.mnt(), "-o",
                         "da=" + rig.da() + ",cache_size=32M,allow_other,noatime"});
  ::umount2("/usr/local/sbin", MNT_DETACH);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(rig.mounted());
  const int fd = ::open(rig.mnt("user_area.img").c_str(), O_WRONLY);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, EROFS);
  if (fd >= 0) ::close(fd);
  EXPECT_EQ(compare_file(rig.mnt("boot1.img"), rig.image("boot1.img"), 0, sim::kDefaultBoot1Size), "");
  const auto nvram = sim_partition("nvram");
  EXPECT_EQ(compare_file(rig.mnt("partitions/nvram.img"), rig.image("user.img"), nvram.offset, nvram.size), "");
  EXPECT_EQ(rig.unmount(Unmount::umount), 0);
}

TEST(MountCommand, FstabStyleSourceWithWritable) {
  if (!require_fuse("mount(8)")) return;
  SimMountRig rig;
  rig.init({"--layout", "gpt"});
  const std::string trace = (rig.dir() / "trace.txt").string();
  rig.start_sim({"--trace", trace});
  // fstab: /path/to/mtkfs#socket:/run/a50.sock /mnt/a50 fuse da=...,writable,end=poweroff 0 0
  const ProgramResult r = rig.start_detached(
      "/usr/bin/mount", {"-t", "fuse", std::filesystem::canonical(mtkfs_program()).string() + "#socket:" + rig.socket(),
                         rig.mnt(), "-o", "da=" + rig.da() + ",writable,end=poweroff"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(rig.mounted());
  const auto data = random_bytes(11, 4096);
  write_range(rig.mnt("partitions/seccfg.img"), 512, data);
  const int fd = ::open(rig.mnt("boot1.img").c_str(), O_WRONLY);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, EROFS);
  if (fd >= 0) ::close(fd);
  EXPECT_EQ(rig.unmount(Unmount::umount), 0);
  EXPECT_EQ(read_range(rig.image("user.img"), sim_partition("seccfg").offset + 512, data.size()), data);
  const std::string commands = read_text_file(trace);
  EXPECT_NE(commands.find("DA command 1: d9"), std::string::npos);  // power off
  EXPECT_EQ(commands.find("DA command 1: db"), std::string::npos);
}

}  // namespace
}  // namespace mtkfs::testing
