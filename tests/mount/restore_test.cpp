// Restores through a real mount: dd into the mount's files reaches the simulator's image files at
// the right place, what is read-only stays so, and data that cannot be written fails the unmount.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sim/image/image.h"
#include "sim/sim.h"
#include "tests/mount/file_tools.h"
#include "tests/support/process_tools.h"
#include "tests/support/requirements.h"
#include "tests/support/sim_mount_rig.h"

namespace mtkfs::testing {
namespace {

constexpr std::uint64_t kMiB = 1 << 20;
constexpr std::uint64_t kGiB = 1ull << 30;

std::string save(const SimMountRig& rig, const std::string& name, const std::vector<std::uint8_t>& data) {
  const auto path = rig.dir() / name;
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data.data()),
                                               static_cast<std::streamsize>(data.size()));
  return path.string();
}

// dd if=SOURCE of=TARGET conv=notrunc,fsync, writing at byte offset `seek`.
ProgramResult dd(const std::string& source, const std::string& target, std::uint64_t seek) {
  return run_program("/usr/bin/dd",
                     {"if=" + source, "of=" + target, "bs=256K", "oflag=seek_bytes", "seek=" + std::to_string(seek),
                      "conv=notrunc,fsync", "status=none"},
                     kProgramTimeout);
}

int open_error(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY);
  if (fd >= 0) {
    ::close(fd);
    return 0;
  }
  return errno;
}

TEST(MountRestore, DdIntoPartitionsReachesTheDeviceAndBootStaysReadOnly) {
  if (!require_fuse()) return;
  SimMountRig rig;
  rig.init({"--layout", "gpt"});
  const std::string trace = (rig.dir() / "trace.txt").string();
  rig.start_sim({"--trace", trace});
  const ProgramResult start = rig.mount({"--rw", "--end", "stay"});
  ASSERT_EQ(start.exit_code, 0) << start.err;

  // Unaligned at both ends: the sectors around it are read, merged and written back.
  const auto nvram = sim_partition("nvram");
  const auto nvram_data = random_bytes(1, kMiB + 1000);
  const std::uint64_t nvram_at = 0x12345;
  const ProgramResult first = dd(save(rig, "nvram.bin", nvram_data), rig.mnt("partitions/nvram.img"), nvram_at);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  // A whole partition, as a restore from a backup does.
  const auto misc = sim_partition("misc");
  const auto misc_data = random_bytes(2, misc.size);
  const ProgramResult second = dd(save(rig, "misc.bin", misc_data), rig.mnt("partitions/misc.img"), 0);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  // Through user_area.img; partitions/cache.img shows the same bytes at once.
  const auto cache = sim_partition("cache");
  const auto cache_data = random_bytes(3, 64 * 1024);
  const ProgramResult third = dd(save(rig, "cache.bin", cache_data), rig.mnt("user_area.img"), cache.offset + 4096);
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_EQ(read_range(rig.mnt("partitions/cache.img"), 4096, cache_data.size()), cache_data);
  EXPECT_EQ(read_range(rig.mnt("partitions/nvram.img"), nvram_at, nvram_data.size()), nvram_data);

  // --rw alone leaves the Preloader's partitions alone.
  EXPECT_EQ(open_error(rig.mnt("boot1.img")), EROFS);
  EXPECT_EQ(open_error(rig.mnt("boot2.img")), EROFS);
  const ProgramResult refused = dd((rig.dir() / "misc.bin").string(), rig.mnt("boot1.img"), 0);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("Read-only file system"), std::string::npos) << refused.err;

  EXPECT_EQ(rig.unmount(Unmount::umount), 0) << rig.log();
  // --end stay: neither reboot (DB) nor power off (D9) was sent.
  const std::string commands = read_text_file(trace);
  EXPECT_EQ(commands.find("DA command 1: db"), std::string::npos);
  EXPECT_EQ(commands.find("DA command 1: d9"), std::string::npos);
  EXPECT_EQ(read_range(rig.image("user.img"), nvram.offset + nvram_at, nvram_data.size()), nvram_data);
  EXPECT_EQ(read_range(rig.image("user.img"), misc.offset, misc_data.size()), misc_data);
  EXPECT_EQ(read_range(rig.image("user.img"), cache.offset + 4096, cache_data.size()), cache_data);
  // The bytes right before and after the unaligned write are untouched (zero on a fresh image).
  EXPECT_EQ(read_range(rig.image("user.img"), nvram.offset + nvram_at - 5, 5), std::vector<std::uint8_t>(5, 0));
  EXPECT_EQ(read_range(rig.image("user.img"), nvram.offset + nvram_at + nvram_data.size(), 5),
            std::vector<std::uint8_t>(5, 0));
  EXPECT_EQ(rig.log().find("never reached"), std::string::npos) << rig.log();
}

// A partition file loop-mounted read-write: the ext4 inside is changed through the loop device (direct
// I/O on the mount's side), and the device's image holds a clean file system with the new file after both
// unmounts, checked with e2fsprogs on the simulator's own image file.
TEST(MountRestore, ReadWriteLoopMountOfAPartitionReachesTheDevice) {
  if (!require_fuse() || !require_loop("mount -o loop of a partition file")) return;
  SimMountRig rig;
  rig.init({"--layout", "gpt"});
  rig.start_sim();
  const ProgramResult start = rig.mount({"--rw"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  const auto system = rig.dir() / "system";
  std::filesystem::create_directories(system);
  const ProgramResult loop =
      run_program("/usr/bin/mount", {"-o", "loop", rig.mnt("partitions/android.img"), system.string()}, kProgramTimeout);
  ASSERT_EQ(loop.exit_code, 0) << loop.err;
  const auto data = random_bytes(4, 3 * kMiB + 123);
  const std::string source = save(rig, "new.bin", data);
  const ProgramResult cp = run_program("/bin/cp", {source, (system / "data/new.bin").string()}, kProgramTimeout);
  EXPECT_EQ(cp.exit_code, 0) << cp.err;
  const ProgramResult unloop = run_program("/usr/bin/umount", {system.string()}, kProgramTimeout);
  ASSERT_EQ(unloop.exit_code, 0) << unloop.err;
  EXPECT_EQ(rig.unmount(Unmount::fusermount), 0) << rig.log();

  // The partition's bytes from the device image, as a file of their own.
  const auto android = sim_partition(std::string(sim::image::kAndroidPartitionName));
  const auto bytes = read_range(rig.image("user.img"), android.offset, android.size);
  const std::string extracted = save(rig, "android-after.img", bytes);
  const ProgramResult fsck = run_program("/sbin/e2fsck", {"-fn", extracted}, kProgramTimeout);
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;
  const std::string dumped = (rig.dir() / "dumped.bin").string();
  const ProgramResult dump =
      run_program("/sbin/debugfs", {"-R", "dump /data/new.bin " + dumped, extracted}, kProgramTimeout);
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  ASSERT_TRUE(std::filesystem::exists(dumped)) << "debugfs found no /data/new.bin: " << dump.err;
  EXPECT_EQ(read_range(dumped, 0, data.size()), data);
  EXPECT_EQ(std::filesystem::file_size(dumped), data.size());
}

TEST(MountRestore, RwBootMakesBootPartitionsWritable) {
  if (!require_fuse()) return;
  SimMountRig rig;
  rig.init({"--layout", "gpt"});
  const std::string trace = (rig.dir() / "trace.txt").string();
  rig.start_sim({"--trace", trace});
  const ProgramResult start = rig.mount({"--rw", "--rw-boot"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  const auto boot1_data = random_bytes(4, 8192);
  const auto boot2_data = random_bytes(5, 4096);
  ASSERT_EQ(dd(save(rig, "b1.bin", boot1_data), rig.mnt("boot1.img"), 0x10000).exit_code, 0);
  ASSERT_EQ(dd(save(rig, "b2.bin", boot2_data), rig.mnt("boot2.img"), 0).exit_code, 0);
  EXPECT_EQ(rig.unmount(Unmount::fusermount), 0) << rig.log();
  // The default end of a session is a reboot (DB).
  EXPECT_NE(read_text_file(trace).find("DA command 1: db"), std::string::npos);
  EXPECT_EQ(read_range(rig.image("boot1.img"), 0x10000, boot1_data.size()), boot1_data);
  EXPECT_EQ(read_range(rig.image("boot2.img"), 0, boot2_data.size()), boot2_data);
  // The Preloader header in front of it was not touched.
  EXPECT_EQ(read_range(rig.image("boot1.img"), 0, 9), std::vector<std::uint8_t>({'E', 'M', 'M', 'C', '_', 'B', 'O', 'O', 'T'}));
}

TEST(MountRestore, FullSizeUserAreaAbove4GiBInTheForeground) {
  if (!require_fuse()) return;
  SimMountRig rig;
  rig.init({"--layout", "none", "--profile", "nw-a50-full"});
  // Known bytes the device has before the mount: the last sector and 64 KiB at 14 GiB.
  const auto last_sector = random_bytes(6, 512);
  const auto at_14g = random_bytes(7, 64 * 1024);
  write_range(rig.image("user.img"), sim::kNwA50UserSize - 512, last_sector);
  write_range(rig.image("user.img"), 14 * kGiB, at_14g);
  rig.start_sim();
  const ProgramResult start = rig.mount({"-o", "rw"}, Mode::foreground);
  ASSERT_TRUE(rig.mounted()) << start.err;
  EXPECT_EQ(std::filesystem::file_size(rig.mnt("user_area.img")), sim::kNwA50UserSize);

  const auto data = random_bytes(8, kMiB);
  const ProgramResult written = dd(save(rig, "5g.bin", data), rig.mnt("user_area.img"), 5 * kGiB);
  ASSERT_EQ(written.exit_code, 0) << written.err;
  EXPECT_EQ(read_range(rig.mnt("user_area.img"), 5 * kGiB, data.size()), data);
  EXPECT_EQ(read_range(rig.mnt("user_area.img"), sim::kNwA50UserSize - 512, 512), last_sector);
  EXPECT_EQ(read_range(rig.mnt("user_area.img"), 14 * kGiB, at_14g.size()), at_14g);

  EXPECT_EQ(rig.unmount(Unmount::sigterm), 0) << rig.log();
  EXPECT_FALSE(rig.mounted());
  EXPECT_EQ(read_range(rig.image("user.img"), 5 * kGiB, data.size()), data);
}

TEST(MountRestore, DataTheDeviceRefusesFailsTheUnmount) {
  if (!require_fuse()) return;
  SimMountRig rig;
  rig.init({"--layout", "gpt"});
  // Every WRITE command is NACKed.
  rig.start_sim({"--fault-nack", "62", "--fault-nack-count", "1000000"});
  const ProgramResult start = rig.mount({"--rw"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  const auto data = random_bytes(9, 64 * 1024);
  const ProgramResult written = dd(save(rig, "x.bin", data), rig.mnt("partitions/misc.img"), 0);
  EXPECT_NE(written.exit_code, 0) << "fsync must report the failed write";
  EXPECT_EQ(rig.unmount(Unmount::fusermount), 1) << rig.log();
  EXPECT_NE(rig.log().find("never reached the device"), std::string::npos) << rig.log();
  EXPECT_EQ(read_range(rig.image("user.img"), sim_partition("misc").offset, data.size()),
            std::vector<std::uint8_t>(data.size(), 0));
}

}  // namespace
}  // namespace mtkfs::testing
