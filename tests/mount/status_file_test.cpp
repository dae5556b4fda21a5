// status.txt with the real programs: the mtkfs daemon mounted on the mtkfs-sim program, read while dd
// runs, as `watch cat /mnt/a50/status.txt` would. A long backup shows a live link, growing byte counts
// and a current speed, and the file answers at once while a slow device read is in flight; a restore
// with conv=fsync ends with nothing unwritten; a write the device refuses and a vanished device are said
// plainly. The wording itself: tests/fuse/status_text_test.cpp.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "tests/mount/file_tools.h"
#include "tests/support/process_tools.h"
#include "tests/support/requirements.h"
#include "tests/support/sim_mount_rig.h"

namespace mtkfs::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
constexpr std::uint64_t kMiB = 1 << 20;

std::string value(const std::string& text, const std::string& label) { return status_value(text, label); }

// The number a line's value starts with ("read: 1048576 bytes ..." -> 1048576); -1 if there is none.
double number(const std::string& text, const std::string& label) {
  try {
    return std::stod(value(text, label));
  } catch (const std::exception&) {
    return -1;
  }
}

// "cache: 3.0 MiB of 256.0 MiB in use, 0 bytes dirty (...)" -> 0
double dirty_bytes(const std::string& text) {
  const std::string cache = value(text, "cache");
  const auto at = cache.find("in use, ");
  return at == std::string::npos ? -1 : std::stod(cache.substr(at + 8));
}

struct Sample {
  double at_seconds;     // since the dd started
  double took_seconds;   // how long reading status.txt took
  std::string text;
};

// Reads status.txt every `period` while `job` runs (and once after it ended).
template <class Result>
std::vector<Sample> sample_while(std::future<Result>& job, const std::string& status, milliseconds period) {
  std::vector<Sample> samples;
  const auto start = Clock::now();
  for (bool running = true; running;) {
    running = job.wait_for(period) == std::future_status::timeout;
    const auto before = Clock::now();
    std::string text = read_text_file(status);
    const auto after = Clock::now();
    samples.push_back({std::chrono::duration<double>(before - start).count(),
                       std::chrono::duration<double>(after - before).count(), std::move(text)});
  }
  return samples;
}

std::string save(const SimMountRig& rig, const std::string& name, const std::vector<std::uint8_t>& data) {
  const auto path = rig.dir() / name;
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  return path.string();
}

ProgramResult dd(const std::vector<std::string>& args) {
  std::vector<std::string> all = args;
  all.push_back("status=none");
  return run_program("/usr/bin/dd", all, kProgramTimeout);
}

// A backup with dd from a device whose every reply (one per 1 MiB) is 50 ms late: about 15 MB/s, and a
// read-ahead call of 32 MiB keeps the device busy for over 1.5 s. The file answers at once each time (a
// read that waited for the device call in flight would take up to that long), shows the link up, the
// bytes read growing and a current speed.
TEST(MountStatusFile, ShowsALongDdReadAsItRunsAndAnswersAtOnce) {
  if (!require_fuse()) return;
  SimMountRig rig;
  rig.init({"--layout", "gpt"});
  rig.start_sim({"--fault-delay", "50"});
  const ProgramResult start = rig.mount({});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  const std::string status = rig.mnt("status.txt");
  EXPECT_EQ(value(read_text_file(status), "link"), "connected");

  auto backup = std::async(std::launch::async, [&] {
    return dd({"if=" + rig.mnt("user_area.img"), "of=/dev/null", "bs=4M", "count=12"});
  });
  const std::vector<Sample> samples = sample_while(backup, status, milliseconds(400));
  const ProgramResult copied = backup.get();
  ASSERT_EQ(copied.exit_code, 0) << copied.err << "\nmtkfs log:\n" << rig.log();
  EXPECT_GE(samples.size(), 6u) << "the read was meant to take several seconds";

  double max_took = 0, max_speed = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const Sample& s = samples[i];
    EXPECT_EQ(value(s.text, "link"), "connected") << s.text;
    EXPECT_EQ(value(s.text, "unwritten"), "0 bytes (all data is on the device)") << s.text;
    if (i > 0) {
      EXPECT_GE(number(s.text, "read"), number(samples[i - 1].text, "read")) << s.text;
    }
    max_took = std::max(max_took, s.took_seconds);
    max_speed = std::max(max_speed, number(s.text, "speed"));
  }
  // Waiting for the device call in flight would take seconds.
  EXPECT_LT(max_took, 0.5) << "status.txt waited for the device";
  EXPECT_GT(number(samples.back().text, "read"), number(samples.front().text, "read") + 16 * kMiB);
  EXPECT_GE(number(samples.back().text, "read"), 40.0 * kMiB);
  EXPECT_GT(max_speed, 1.0) << "a current speed while dd ran (about 10 MB/s):\n" << samples[samples.size() / 2].text;
  EXPECT_NE(value(samples.back().text, "speed").find("MB/s on average since the mount"), std::string::npos);
  std::printf("%zu samples, slowest status read %.3f s, highest speed %.1f MB/s; last one:\n%s", samples.size(),
              max_took, max_speed, samples.back().text.c_str());
  EXPECT_EQ(rig.unmount(), 0) << rig.log();
}

// A restore with dd conv=fsync through a USB 2.0-like link: while it runs nothing fails and dirty data
// waits for the device; when dd returns, everything is on the device and the file says so.
TEST(MountStatusFile, RestoreWithFsyncEndsWithNothingUnwritten) {
  if (!require_fuse()) return;
  SimMountRig rig;
  rig.init({"--layout", "gpt"});
  rig.start_sim({"--link-model", "usb2-hs"});
  const ProgramResult start = rig.mount({"--rw"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  const std::string status = rig.mnt("status.txt");
  const auto data = random_bytes(21, 96 * kMiB);
  const std::string source = save(rig, "restore.bin", data);
  constexpr std::uint64_t kAt = 64 * kMiB;

  auto restore = std::async(std::launch::async, [&] {
    return dd({"if=" + source, "of=" + rig.mnt("user_area.img"), "bs=4M", "oflag=seek_bytes",
               "seek=" + std::to_string(kAt), "conv=notrunc,fsync"});
  });
  const std::vector<Sample> samples = sample_while(restore, status, milliseconds(150));
  const ProgramResult written = restore.get();
  ASSERT_EQ(written.exit_code, 0) << written.err;

  double most_dirty = 0;
  for (const Sample& s : samples) {
    EXPECT_EQ(value(s.text, "failed writes"), "0 (0 bytes)") << s.text;
    EXPECT_EQ(value(s.text, "link"), "connected") << s.text;
    most_dirty = std::max(most_dirty, dirty_bytes(s.text));
  }
  EXPECT_GT(most_dirty, 0) << "96 MiB at about 40 MB/s: some of it waited in the cache";

  // What the user runs after dd, before unplugging.
  const ProgramResult cat = run_program("/bin/cat", {status}, kProgramTimeout);
  ASSERT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(value(cat.out, "unwritten"), "0 bytes (all data is on the device)") << cat.out;
  EXPECT_EQ(dirty_bytes(cat.out), 0) << cat.out;
  EXPECT_EQ(value(cat.out, "failed writes"), "0 (0 bytes)") << cat.out;
  EXPECT_GE(number(cat.out, "written"), 96.0 * kMiB) << cat.out;
  EXPECT_NE(value(cat.out, "written").find("DA write command"), std::string::npos) << cat.out;
  std::printf("after the restore:\n%s", cat.out.c_str());
  // And it is true: the simulator's image holds the data before the unmount.
  EXPECT_EQ(compare_file(source, rig.image("user.img"), kAt, data.size()), "");
  EXPECT_EQ(rig.unmount(), 0) << rig.log();
}

// Every WRITE command NACKed: dd's fsync fails, and status.txt counts the failed writes and says the data
// is not on the device.
TEST(MountStatusFile, FailedWritesAreCountedAndTheUnwrittenLineSaysSo) {
  if (!require_fuse()) return;
  SimMountRig rig;
  rig.init({"--layout", "gpt"});
  rig.start_sim({"--fault-nack", "62", "--fault-nack-count", "1000000"});
  const ProgramResult start = rig.mount({"--rw"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  const std::string source = save(rig, "x.bin", random_bytes(22, 64 * 1024));
  const ProgramResult written =
      dd({"if=" + source, "of=" + rig.mnt("partitions/misc.img"), "bs=64K", "conv=notrunc,fsync"});
  EXPECT_NE(written.exit_code, 0) << "fsync must report the failed write";

  const ProgramResult cat = run_program("/bin/cat", {rig.mnt("status.txt")}, kProgramTimeout);
  ASSERT_EQ(cat.exit_code, 0) << cat.err;
  const double failures = number(cat.out, "failed writes");
  EXPECT_GE(failures, 1) << cat.out;
  // Each attempt (fsync, then close) carried the same 64 KiB.
  EXPECT_NE(value(cat.out, "failed writes").find(std::to_string(static_cast<std::uint64_t>(failures) * 65536) +
                                                 " bytes not written"),
            std::string::npos)
      << cat.out;
  EXPECT_EQ(value(cat.out, "unwritten").rfind("65536 bytes (64.0 KiB) NOT on the device", 0), 0u) << cat.out;
  EXPECT_NE(value(cat.out, "unwritten").find("Do not unplug"), std::string::npos) << cat.out;
  EXPECT_EQ(value(cat.out, "link"), "connected") << "a NACK does not end the session";
  std::printf("after the refused write:\n%s", cat.out.c_str());
  EXPECT_EQ(rig.unmount(), 1) << rig.log();
}

// The simulator is killed with written data still in the cache: the next device command finds the link
// gone, and status.txt says lost, with the bytes that never reached the device.
TEST(MountStatusFile, SaysLostOnceTheDeviceVanished) {
  if (!require_fuse()) return;
  SimMountRig rig;
  rig.init({"--layout", "gpt"});
  rig.start_sim();
  const ProgramResult start = rig.mount({"--rw", "--reconnect", "0"});  // no waiting for the device to return
  ASSERT_EQ(start.exit_code, 0) << start.err;
  const std::string status = rig.mnt("status.txt");
  const auto data = random_bytes(23, kMiB);
  const int fd = ::open(rig.mnt("user_area.img").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, data.data(), data.size(), 100 * kMiB), static_cast<ssize_t>(data.size()));
  EXPECT_EQ(value(read_text_file(status), "unwritten").rfind("1048576 bytes (1.0 MiB) not on the device yet", 0),
            0u);

  rig.kill_sim();
  EXPECT_EQ(::fsync(fd), -1) << "the write-back meets the vanished device";
  ::close(fd);
  const ProgramResult cat = run_program("/bin/cat", {status}, kProgramTimeout);
  ASSERT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(value(cat.out, "link").rfind("lost (", 0), 0u) << cat.out;
  EXPECT_EQ(value(cat.out, "unwritten"),
            "1048576 bytes (1.0 MiB) NEVER reached the device: the link was lost before they were written")
      << cat.out;
  std::printf("after the device vanished:\n%s", cat.out.c_str());
  EXPECT_EQ(rig.unmount(), 1) << rig.log();
}

}  // namespace
}  // namespace mtkfs::testing
