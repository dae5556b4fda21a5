// Link loss: the device vanishes (the simulator is SIGKILLed, so the socket closes under mtkfs) while I/O
// is pending or while written data is still only in the cache. With --reconnect 0 (mtkfs fails at once
// instead of waiting for the device), pending and later I/O fail promptly with EIO; unwritten data is
// reported (log, EIO at fsync and close, non-zero exit status), never dropped silently; once the link is
// lost the mount stays failed until it is remounted, even when the device comes back. With a reconnect
// wait, a device that stays away fails the held I/O once the wait is over, and later I/O at once.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "tests/reliability/reliability_io.h"

namespace mtkfs::reliability {
namespace {

constexpr milliseconds kBound{20000};
// The old behaviour: no waiting for the device to come back.
const std::vector<std::string> kNoReconnect{"--reconnect", "0"};

class LinkLoss : public PatternDiskSuite {};

// A read still works before the fault and is EIO after it, every byte returned is right.
ReadResult read_fresh(SimMountRig& sm, std::uint64_t offset) {
  auto r = run_bounded<ReadResult>([&] { return read_and_verify(sm.mnt("user_area.img"), 0, {{offset, 64 * 1024}}); },
                                   kBound, [&] { sm.process().kill_hard(); });
  if (!r) throw std::runtime_error("a read hangs after the link was lost");
  return *r;
}

TEST_F(LinkLoss, PendingReadFailsPromptlyAndLaterIoFailsAtOnce) {
  // Slow replies keep a 32 MiB read going for over a second.
  SimMountRig sm(disk_->dir(), disk_->da());
  serve_and_mount(sm, {"--fault-delay", "40"}, kNoReconnect);
  ASSERT_TRUE(sm.process().mounted_at_start()) << sm.log();
  auto pending = std::async(std::launch::async, [&] {
    return read_and_verify(sm.mnt("user_area.img"), 0, sequential_requests(8 * kMiB, 32 * kMiB, kMiB));
  });
  std::this_thread::sleep_for(milliseconds(400));
  ASSERT_EQ(pending.wait_for(milliseconds(0)), std::future_status::timeout) << "the read ended before the device went";
  const auto lost_at = Clock::now();
  sm.kill_sim();
  if (pending.wait_for(kBound) != std::future_status::ready) {
    sm.process().kill_hard();  // unblocks the reader so the test can end
    FAIL() << "the pending read did not end after the device vanished";
  }
  const ReadResult r = pending.get();
  const double pending_seconds = seconds_since(lost_at);
  EXPECT_FALSE(r.wrong) << *r.wrong;
  EXPECT_EQ(r.error, EIO);
  EXPECT_LT(r.bytes_ok, 32 * kMiB);

  const auto later_start = Clock::now();
  const ReadResult later = read_fresh(sm, 100 * kMiB);
  const double later_seconds = seconds_since(later_start);
  EXPECT_EQ(later.error, EIO);
  EXPECT_FALSE(later.wrong);
  std::printf("device vanished: pending read failed after %.3f s, a later read after %.3f s\n", pending_seconds,
              later_seconds);

  EXPECT_TRUE(sm.process().alive());
  struct stat st {};
  EXPECT_EQ(::stat(sm.mnt("partitions").c_str(), &st), 0) << "the tree is still served";
  EXPECT_NE(sm.log().find("device link lost"), std::string::npos) << sm.log();
  EXPECT_TRUE(sm.process().unmount());
  // A read-only mount had nothing to write: the unmount must not claim a failed write-back.
  EXPECT_EQ(sm.log().find("writing cached data"), std::string::npos) << sm.log();
  EXPECT_EQ(sm.log().find("never reached the device"), std::string::npos) << sm.log();
}

TEST_F(LinkLoss, UnwrittenDataIsReportedAtFsyncCloseAndExit) {
  SimMountRig sm(disk_->dir(), disk_->da());
  serve_and_mount(sm, {}, {"--rw", "--reconnect", "0"});
  ASSERT_TRUE(sm.process().mounted_at_start()) << sm.log();
  std::mt19937_64 rng(11);
  const Bytes data = random_bytes(rng, kMiB);
  const std::uint64_t offset = 160 * kMiB;
  FuseFilesScope files;
  const int fd = ::open(sm.mnt("user_area.img").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset)), static_cast<ssize_t>(data.size()));
  sm.kill_sim();  // the written megabyte is only in mtkfs' cache

  auto synced = run_bounded<int>([&] { return ::fsync(fd) == 0 ? 0 : errno; }, kBound, [&] { sm.process().kill_hard(); });
  ASSERT_TRUE(synced.has_value()) << "fsync hangs";
  EXPECT_EQ(*synced, EIO);
  const ssize_t written = ::pwrite(fd, data.data(), 4096, static_cast<off_t>(offset));
  const int write_errno = errno;
  EXPECT_EQ(written, -1) << "writes fail after the loss";
  EXPECT_EQ(write_errno, EIO);
  const int closed = ::close(fd);
  const int close_errno = errno;
  EXPECT_EQ(closed, -1) << "close must report the lost data too";
  EXPECT_EQ(close_errno, EIO);

  EXPECT_TRUE(sm.process().alive());
  EXPECT_TRUE(sm.process().unmount());
  EXPECT_NE(sm.process().exit_code(), 0) << "an unmount that lost data must fail";
  const std::string log = sm.log();
  EXPECT_NE(log.find("1048576 bytes written through the cache never reached the device"), std::string::npos) << log;
  EXPECT_NE(log.find("never reached the device"), log.rfind("never reached the device")) << "the exit report too";
  EXPECT_EQ(disk_->read_user(offset, 4096), pattern_bytes(kUser, offset, 4096)) << "nothing was written";
}

TEST_F(LinkLoss, MountStaysFailedWhenTheDeviceComesBackAndARemountWorks) {
  SimMountRig sm(disk_->dir(), disk_->da());
  serve_and_mount(sm, {}, kNoReconnect);
  ASSERT_TRUE(sm.process().mounted_at_start()) << sm.log();
  EXPECT_EQ(read_fresh(sm, 30 * kMiB).error, 0);
  sm.kill_sim();
  EXPECT_EQ(read_fresh(sm, 40 * kMiB).error, EIO);
  sm.start_sim({});  // the device is back in Preloader mode on the same socket
  EXPECT_EQ(read_fresh(sm, 50 * kMiB).error, EIO) << "no reconnection with --reconnect 0: the session is gone";
  EXPECT_TRUE(sm.process().unmount());

  MountProcess again(mount_args(*disk_, sm.socket(), kNoReconnect), sm.process().mountpoint(), sm.dir() / "again.log");
  ASSERT_TRUE(again.mounted_at_start()) << again.log();
  const ReadResult r = read_and_verify(again.path("user_area.img"), 0, {{50 * kMiB, 64 * 1024}});
  EXPECT_EQ(r.error, 0);
  EXPECT_FALSE(r.wrong);
  EXPECT_TRUE(again.unmount());
  EXPECT_EQ(again.exit_code(), 0) << again.log();
  EXPECT_EQ(sanitizer_report(again.log()), "");
}

// The device drops in the middle of a read and stays away (socket connections are closed at once): mtkfs
// holds the read for the reconnect wait, trying again meanwhile, then fails it; nothing waits again after.
TEST_F(LinkLoss, WithReconnectADeviceThatStaysAwayFailsTheHeldReadAfterTheWait) {
  constexpr int kWaitSeconds = 3;
  SimMountRig sm(disk_->dir(), disk_->da());
  // The mount reads one 1 MiB block: a drop after 4 MiB from the device falls into the read below.
  serve_and_mount(sm, {"--fault-drop-after", std::to_string(4 * kMiB), "--fault-return-after", "600000"},
                  {"--reconnect", std::to_string(kWaitSeconds)});
  ASSERT_TRUE(sm.process().mounted_at_start()) << sm.log();
  const std::string status = sm.mnt("status.txt");
  auto pending = std::async(std::launch::async, [&] {
    return read_and_verify(sm.mnt("user_area.img"), 0, sequential_requests(8 * kMiB, 32 * kMiB, kMiB));
  });

  // The loss happened between the last status read that still said so and the first that says
  // "reconnecting": both ends are kept, so the bounds below hold whatever the polling delay.
  auto polled_before = Clock::now(), seen_at = polled_before;
  const auto poll_deadline = polled_before + kBound;
  std::string link = "connected";
  while (link.rfind("reconnecting", 0) != 0 && Clock::now() < poll_deadline &&
         pending.wait_for(milliseconds(0)) == std::future_status::timeout) {
    const auto poll_start = Clock::now();
    link = status_value(read_status(status), "link").value_or("");
    if (link == "connected") polled_before = poll_start;
    seen_at = Clock::now();
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(link.rfind("reconnecting", 0), 0u) << "status.txt never said reconnecting: " << link;
  if (pending.wait_for(kBound) != std::future_status::ready) {
    sm.process().kill_hard();
    FAIL() << "the held read did not end";
  }
  const ReadResult r = pending.get();
  const auto failed_at = Clock::now();
  EXPECT_FALSE(r.wrong) << *r.wrong;
  EXPECT_EQ(r.error, EIO);
  EXPECT_GT(r.bytes_ok, 0u) << "the read began before the drop";
  EXPECT_LT(r.bytes_ok, 32 * kMiB);
  const double at_most = std::chrono::duration<double>(failed_at - polled_before).count();
  const double at_least = std::chrono::duration<double>(failed_at - seen_at).count();
  // 0.1 s: status.txt turns to "reconnecting" a moment after mtkfs starts the clock of its wait.
  EXPECT_GE(at_most, kWaitSeconds - 0.1) << "the read failed before the reconnect wait was over";
  EXPECT_LE(at_least, kWaitSeconds + 10) << "the read was held far beyond the reconnect wait";

  const auto later_start = Clock::now();
  const ReadResult later = read_fresh(sm, 100 * kMiB);
  const double later_seconds = seconds_since(later_start);
  EXPECT_EQ(later.error, EIO);
  EXPECT_LT(later_seconds, 1.0) << "a later read waited for the device again";
  std::printf("device stayed away: the held read failed %.2f-%.2f s after the loss, a later read after %.3f s\n",
              at_least, at_most, later_seconds);
  const std::string after = read_status(status);
  EXPECT_EQ(status_value(after, "link").value_or("").rfind("lost", 0), 0u) << after;
  EXPECT_EQ(status_value(after, "reconnects"), "0") << after;
  EXPECT_NE(sm.log().find("did not come back within " + std::to_string(kWaitSeconds) + " s"), std::string::npos)
      << sm.log();
  EXPECT_TRUE(sm.process().unmount());
}

}  // namespace
}  // namespace mtkfs::reliability
