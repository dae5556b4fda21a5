// Reconnect with the real programs: mtkfs (default --reconnect) on the mtkfs-sim program, whose link
// drops at seeded random points and comes back as a fresh Preloader on the same images. A dd read or a
// dd write with conv=fsync runs across the drops and must end as if nothing happened: every byte right,
// status.txt counting each reconnect. A device that comes back with another CID is refused: EIO, and no
// byte is written to it. Without a return and with --reconnect 0 the I/O fails as before:
// tests/reliability/link_loss_test.cpp.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <thread>

#include "tests/mount/file_tools.h"
#include "tests/support/mount_process.h"
#include "tests/support/process_tools.h"
#include "tests/support/requirements.h"
#include "tests/support/sim_mount_rig.h"

namespace mtkfs::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint64_t kMiB = 1 << 20;
constexpr std::chrono::seconds kDdTimeout{240};

// `count` ascending points in [low, high), at least `gap` apart, from `seed` (printed, so a failure can
// be run again with the same points).
std::vector<std::uint64_t> drop_points(std::uint32_t seed, int count, std::uint64_t low, std::uint64_t high,
                                       std::uint64_t gap) {
  std::mt19937 rng(seed);
  const std::uint64_t slot = (high - low) / static_cast<std::uint64_t>(count);
  std::vector<std::uint64_t> points;
  for (int i = 0; i < count; ++i) {
    std::uniform_int_distribution<std::uint64_t> in_slot(0, slot - gap);
    points.push_back(low + static_cast<std::uint64_t>(i) * slot + in_slot(rng));
  }
  return points;
}

std::string list(const std::vector<std::uint64_t>& points) {
  std::string text;
  for (std::uint64_t p : points) text += (text.empty() ? "" : ",") + std::to_string(p);
  return text;
}

std::uint32_t test_seed() {
  const char* text = std::getenv("MTKFS_RECONNECT_SEED");
  return text && *text ? static_cast<std::uint32_t>(std::strtoul(text, nullptr, 0))
                       : static_cast<std::uint32_t>(std::random_device{}());
}

ProgramResult dd(const std::vector<std::string>& args) { return run_program("/bin/dd", args, kDdTimeout); }

std::string status_of(const SimMountRig& rig) { return read_text_file(rig.mnt("status.txt")); }

TEST(MountReconnect, ADdReadOfOneGibSurvivesThreeDropsWithEveryByteRight) {
  if (!require_fuse()) return;
  const std::uint32_t seed = test_seed();
  const auto points = drop_points(seed, 3, 64 * kMiB, 1000 * kMiB, 16 * kMiB);
  std::printf("seed %u: the link drops after %s device bytes\n", seed, list(points).c_str());
  SimMountRig rig;
  rig.init({"--layout", "gpt", "--pattern", "--user-size", "1G"});
  rig.start_sim({"--fault-drop-after", list(points), "--fault-return-after", "300"});
  const ProgramResult start = rig.mount({});
  ASSERT_EQ(start.exit_code, 0) << start.err;

  const auto copy = rig.dir() / "user_area.copy";
  const ProgramResult read = dd({"if=" + rig.mnt("user_area.img"), "of=" + copy.string(), "bs=1M"});
  ASSERT_EQ(read.exit_code, 0) << read.err << rig.log();
  EXPECT_EQ(compare_file(copy, rig.image("user.img"), 0, 1024 * kMiB), "");
  const std::string status = status_of(rig);
  EXPECT_EQ(status_value(status, "reconnects").rfind("3 (", 0), 0u) << status;
  EXPECT_EQ(status_value(status, "link"), "connected");
  std::printf("%s", status.c_str());
  EXPECT_EQ(rig.unmount(), 0) << rig.log();
}

// Drops in the middle of what the host sends (62 chunks cut short), then compared with the images.
TEST(MountReconnect, ADdWriteWithFsyncSurvivesThreeDropsAndTheImageHoldsEveryByte) {
  if (!require_fuse()) return;
  const std::uint32_t seed = test_seed();
  const auto points = drop_points(seed, 3, 16 * kMiB, 190 * kMiB, 8 * kMiB);
  std::printf("seed %u: the link drops after %s host bytes\n", seed, list(points).c_str());
  SimMountRig rig;
  rig.init({"--layout", "gpt", "--pattern", "--user-size", "512M"});
  const auto before = rig.dir() / "user.before";
  std::filesystem::copy_file(rig.image("user.img"), before);
  const auto data = rig.dir() / "data.bin";
  std::ofstream(data, std::ios::binary).close();
  write_range(data, 0, random_bytes(seed, 192 * kMiB));
  rig.start_sim({"--fault-drop-after-received", list(points), "--fault-return-after", "300"});
  const ProgramResult start = rig.mount({"--rw"});
  ASSERT_EQ(start.exit_code, 0) << start.err;

  const ProgramResult write = dd({"if=" + data.string(), "of=" + rig.mnt("user_area.img"), "bs=1M", "seek=256",
                                  "conv=fsync,notrunc"});
  ASSERT_EQ(write.exit_code, 0) << write.err << rig.log();
  const std::string status = status_of(rig);
  EXPECT_EQ(status_value(status, "reconnects").rfind("3 (", 0), 0u) << status;
  EXPECT_EQ(status_value(status, "unwritten"), "0 bytes (all data is on the device)") << status;
  EXPECT_EQ(rig.unmount(), 0) << rig.log();

  EXPECT_EQ(compare_ranges(data, 0, rig.image("user.img"), 256 * kMiB, 192 * kMiB), "");
  EXPECT_EQ(compare_ranges(before, 0, rig.image("user.img"), 0, 256 * kMiB), "");
  EXPECT_EQ(compare_ranges(before, 448 * kMiB, rig.image("user.img"), 448 * kMiB, 64 * kMiB), "");
}

// The write-back is cut 6 MiB into 16 MiB and the device that comes back reports another CID: the
// fsync fails, later I/O fails, and what had not reached the first device never reaches the second.
TEST(MountReconnect, ADifferentDeviceIsRefusedAndNothingIsWrittenToIt) {
  if (!require_fuse()) return;
  SimMountRig rig;
  rig.init({"--layout", "gpt", "--pattern"});
  const auto before = rig.dir() / "user.before";
  std::filesystem::copy_file(rig.image("user.img"), before);
  rig.start_sim({"--fault-drop-after-received", "6M", "--fault-return-after", "300",
                 "--fault-return-as-other-device"});
  const ProgramResult start = rig.mount({"--rw"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  const auto data = random_bytes(61, 16 * kMiB);
  const int fd = ::open(rig.mnt("user_area.img").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, data.data(), data.size(), 100 * kMiB), static_cast<ssize_t>(data.size()));
  EXPECT_EQ(::fsync(fd), -1);
  EXPECT_EQ(errno, EIO);
  std::vector<std::uint8_t> buffer(kMiB);
  EXPECT_EQ(::pread(fd, buffer.data(), buffer.size(), 200 * kMiB), -1) << "the session is gone";
  ::close(fd);
  const std::string status = status_of(rig);
  EXPECT_EQ(status_value(status, "link").rfind("lost (another device came back", 0), 0u) << status;
  EXPECT_EQ(rig.unmount(), 1) << rig.log();
  const std::string log = rig.log();
  EXPECT_NE(log.find("eMMC CID "), std::string::npos) << log;
  EXPECT_NE(log.find(", expected "), std::string::npos) << log;
  // Cut 6 MiB into what the host sent (the DA upload and the mount's commands came first): from 6 MiB on,
  // the range holds the bytes it had before.
  EXPECT_EQ(compare_ranges(before, 106 * kMiB, rig.image("user.img"), 106 * kMiB, 10 * kMiB), "");
}

// While the device is away the reader waits, and status.txt says what to do and how long is left; the
// log says it once, and the outage is measured.
TEST(MountReconnect, WhileTheDeviceIsAwayStatusSaysWhatToDoAndTheReadWaits) {
  if (!require_fuse()) return;
  SimMountRig rig;
  rig.init({"--layout", "gpt", "--pattern"});
  rig.start_sim({"--fault-drop-after", "40M", "--fault-return-after", "4000"});
  const ProgramResult start = rig.mount({"--reconnect", "60"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  auto copy = std::async(std::launch::async, [&] {
    return dd({"if=" + rig.mnt("user_area.img"), "of=/dev/null", "bs=1M"});
  });
  std::string seen;
  for (const auto until = Clock::now() + std::chrono::seconds(20); Clock::now() < until;) {
    seen = status_value(status_of(rig), "link");
    if (seen.rfind("reconnecting:", 0) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(seen.rfind("reconnecting: the device was lost (", 0), 0u) << seen;
  EXPECT_NE(seen.find("hold Volume Down + Play and plug it in again within "), std::string::npos) << seen;
  const auto within = seen.find("within ");
  const int left = std::stoi(seen.substr(within + 7));
  EXPECT_GT(left, 50);
  EXPECT_LE(left, 60);
  const ProgramResult read = copy.get();
  EXPECT_EQ(read.exit_code, 0) << read.err;
  const std::string status = status_of(rig);
  EXPECT_EQ(status_value(status, "link"), "connected");
  const std::string reconnects = status_value(status, "reconnects");
  ASSERT_EQ(reconnects.rfind("1 (the last: ", 0), 0u) << reconnects;
  EXPECT_GE(std::stod(reconnects.substr(13)), 4.0) << "the device was away 4 s: " << reconnects;
  EXPECT_EQ(rig.unmount(), 0) << rig.log();
  EXPECT_NE(rig.log().find("plug it in again within 60 s to continue"), std::string::npos) << rig.log();
  std::printf("reconnect: %s\n", reconnects.c_str());
}

// mtkfs is SIGKILLed in the middle of a read and the device (--keep-state-on-close) keeps its DA running,
// stuck in that read: it would not answer a Preloader handshake. The next mtkfs finds the session record
// the first one left, ends the stuck command, continues the running DA without a replug, and reads right.
TEST(MountReconnect, AfterASigkillMidReadTheNextMtkfsContinuesTheRunningDa) {
  if (!require_fuse()) return;
  SimMountRig rig;
  rig.init({"--layout", "gpt", "--pattern"});
  rig.start_sim({"--keep-state-on-close", "--link-model", "usb2-hs"});  // slow: the kill lands mid-read
  rig.mount({}, Mode::foreground);
  ASSERT_TRUE(rig.process().mounted_at_start()) << rig.log();
  auto copy = std::async(std::launch::async, [&] {
    return dd({"if=" + rig.mnt("user_area.img"), "of=/dev/null", "bs=1M"});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  rig.process().kill_hard();
  EXPECT_NE(copy.get().exit_code, 0) << "the reader's mtkfs was killed";

  MountProcess again({"--da", rig.da(), "--socket", rig.socket()}, rig.mnt(), rig.dir() / "again.log");
  ASSERT_TRUE(again.mounted_at_start()) << again.log();
  const auto copied = rig.dir() / "user_area.copy";
  const ProgramResult read = dd({"if=" + again.path("user_area.img"), "of=" + copied.string(), "bs=1M"});
  ASSERT_EQ(read.exit_code, 0) << read.err << again.log();
  EXPECT_EQ(compare_file(copied, rig.image("user.img"), 0, std::filesystem::file_size(rig.image("user.img"))), "");
  EXPECT_TRUE(again.unmount());
  EXPECT_EQ(again.exit_code(), 0) << again.log();
  EXPECT_NE(again.log().find("Continuing the Download Agent that is still running"), std::string::npos)
      << again.log();
}

}  // namespace
}  // namespace mtkfs::testing
