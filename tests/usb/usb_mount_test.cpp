// The unmodified mtkfs program through libusb and usbdevfs (the emulated bus of `mtkfs-sim usb`):
// default discovery, the wait for a device that is not there yet, the speed-switch re-enumeration,
// choosing one of two devices, a libusb client reproducing "USB Overflow", and a cable pulled mid-copy
// (with --reconnect 0: EIO; by default: the copy goes on once the device is plugged in again).
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

#include "sim/image/image.h"
#include "tests/mount/file_tools.h"
#include "tests/support/process_tools.h"
#include "tests/usb/usb_path_fixture.h"

namespace mtkfs::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string copy_of(const std::string& from, const std::filesystem::path& to) {
  const ProgramResult cp = run_program("/bin/cp", {from, to.string()}, kUsbTimeout);
  return cp.exit_code == 0 ? "" : "cp failed: " + cp.err;
}

TEST_F(UsbPath, MtkfsFindsThePreloaderThroughLibusbAndBacksUpExactly) {
  auto m = mount({});
  ASSERT_TRUE(m->mounted_at_start()) << m->log();
  const auto copy = dir() / "user_area.copy";
  ASSERT_EQ(copy_of(mnt("user_area.img"), copy), "");
  EXPECT_EQ(compare_file(copy, image("user.img"), 0, std::filesystem::file_size(image("user.img"))), "");
  EXPECT_EQ(compare_file(mnt("boot1.img"), image("boot1.img"), 0, std::filesystem::file_size(image("boot1.img"))), "");
  EXPECT_EQ(compare_file(mnt("boot2.img"), image("boot2.img"), 0, std::filesystem::file_size(image("boot2.img"))), "");

  const auto system = dir() / "system";
  std::filesystem::create_directories(system);
  const ProgramResult loop =
      run_program("/usr/bin/mount", {"-o", "loop,ro", mnt("partitions/android.img"), system.string()}, kUsbTimeout);
  ASSERT_EQ(loop.exit_code, 0) << loop.err;
  const std::string hello = read_text_file((system / "etc/hello.txt").string());
  EXPECT_EQ(::umount2(system.c_str(), 0), 0) << std::strerror(errno);
  EXPECT_EQ(hello, sim::image::kHelloTxtContent);

  ASSERT_TRUE(m->unmount());
  EXPECT_EQ(m->exit_code(), 0) << m->log();
  // Found by default discovery (no --usb, --port or --socket), on the emulated bus.
  EXPECT_NE(m->log().find("usb 1-1 (001:002, 0e8d:2000 Preloader)"), std::string::npos) << m->log();
}

// What a user types: `mtkfs /mnt/a50`, once a DA file was saved with --save-da (HOME is the test's).
TEST_F(UsbPath, ASavedDaAndTheMountpointAreAllMtkfsNeeds) {
  const std::string home = "HOME=" + (dir() / "home").string();
  const ProgramResult saved =
      run_program("/usr/bin/env", {home, "XDG_DATA_HOME=", mtkfs_program(), "--save-da", da()}, kUsbTimeout);
  ASSERT_EQ(saved.exit_code, 0) << saved.err;
  std::vector<std::string> launcher = usb_launcher();
  launcher.insert(launcher.end(), {"/usr/bin/env", home, "XDG_DATA_HOME=", "MTKFS_DA="});
  std::filesystem::create_directories(mountpoint());
  // -f only keeps the test the parent of the mount (the bus lives as long as its command).
  MountProcess m({}, mountpoint(), dir() / "plain.log", kUsbTimeout, launcher);
  ASSERT_TRUE(m.mounted_at_start()) << m.log();
  EXPECT_EQ(compare_ranges(mnt("boot1.img"), 0, image("boot1.img"), 0, 64 * 1024), "");
  EXPECT_NE(m.log().find("Using the Download Agent " + (dir() / "home/.local/share/mtkfs").string()),
            std::string::npos)
      << m.log();
  ASSERT_TRUE(m.unmount());
  EXPECT_EQ(m.exit_code(), 0) << m.log();
}

TEST_F(UsbPath, MtkfsStartedBeforeThePlugWaitsAndMountsOnArrival) {
  auto m = mount({"--plug-delay", "2000"});
  ASSERT_TRUE(m->mounted_at_start()) << m->log();
  const std::string log = m->log();
  const auto waiting = log.find("Waiting for a MediaTek device");
  const auto arrived = log.find("usbdevfs: 0e8d:2000 on port 1-1");
  ASSERT_NE(waiting, std::string::npos) << log;
  ASSERT_NE(arrived, std::string::npos) << log;
  EXPECT_LT(waiting, arrived) << log;
  EXPECT_EQ(compare_ranges(mnt("boot1.img"), 0, image("boot1.img"), 0, 64 * 1024), "");
  ASSERT_TRUE(m->unmount());
  EXPECT_EQ(m->exit_code(), 0) << m->log();
}

TEST_F(UsbPath, SpeedSwitchReenumeratesAtANewAddressAndTheSessionGoesOn) {
  auto m = mount({"--speed-switch"});
  ASSERT_TRUE(m->mounted_at_start()) << m->log();
  EXPECT_EQ(compare_ranges(mnt("user_area.img"), 0, image("user.img"), 0, 8 * kMiB), "");
  ASSERT_TRUE(m->unmount());
  EXPECT_EQ(m->exit_code(), 0) << m->log();
  const std::string log = m->log();
  EXPECT_NE(log.find("usbdevfs: 001:002 left the bus"), std::string::npos) << log;
  EXPECT_NE(log.find("usbdevfs: 0e8d:2001 on port 1-1 as 001:003"), std::string::npos) << log;
}

TEST_F(UsbPath, OneOfTwoDevicesIsChosenByBusAndAddress) {
  init("second", {"--user-size", "240M"});
  const std::vector<std::string> two{"--extra-device", device("second").string()};
  const ProgramResult ambiguous = run_on_bus(two, {mtkfs_program(), "--info", "--da", da(), "--wait", "30"});
  EXPECT_NE(ambiguous.exit_code, 0);
  EXPECT_NE(ambiguous.err.find("several MediaTek devices"), std::string::npos) << ambiguous.err;
  EXPECT_NE(ambiguous.err.find("001:003"), std::string::npos) << ambiguous.err;

  auto m = mount(two, {"--usb", "1:3"});
  ASSERT_TRUE(m->mounted_at_start()) << m->log();
  EXPECT_EQ(std::filesystem::file_size(mnt("user_area.img")), 240 * kMiB);
  EXPECT_EQ(compare_ranges(mnt("boot1.img"), 0, image("boot1.img", "second"), 0, 1 * kMiB), "");
  EXPECT_NE(compare_ranges(mnt("boot1.img"), 0, image("boot1.img"), 0, 1 * kMiB), "");
  ASSERT_TRUE(m->unmount());
  EXPECT_EQ(m->exit_code(), 0) << m->log();
}

// docs/protocol/usb.md §8: a host that asks for exactly 10 bytes while the device's next packet holds
// more gets LIBUSB_ERROR_OVERFLOW; mtkfs on the same device (READY strings piled up, the DA's prefixed
// 14-byte trailer) reads every packet into whole-packet buffers and connects.
TEST_F(UsbPath, AnExactTenByteReadOverflowsWhereMtkfsReadsTheSameDevice) {
  const std::string script = std::string(MTKFS_OVERFLOW_CLIENT) + " 10 1000 && " + mtkfs_program() +
                             " --info --da " + da() + " --wait 30";
  const ProgramResult r = run_on_bus({"--trailer", "prefixed"}, {"/bin/sh", "-c", script});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("read 10: LIBUSB_ERROR_OVERFLOW"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("Report end:     prefixed trailer"), std::string::npos) << r.out << r.err;
}

// What a NW-A50 owner would send: a trace recorded through libusb. It replays on the same path, and a
// host byte that differs from it fails the replay.
TEST_F(UsbPath, ATraceRecordedThroughLibusbReplaysOnTheEmulatedBus) {
  const std::string trace = (dir() / "usb.trace").string();
  const std::vector<std::string> info{mtkfs_program(), "--info", "--da", da(), "--wait", "30"};
  std::vector<std::string> traced = info;
  traced.insert(traced.end(), {"--trace", trace});
  const ProgramResult recorded = run_on_bus({}, traced);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;

  const ProgramResult replayed = run_on_bus({"--replay", trace}, info);
  EXPECT_EQ(replayed.exit_code, 0) << replayed.err;
  EXPECT_NE(replayed.err.find("replay passed"), std::string::npos) << replayed.err;
  EXPECT_EQ(replayed.out, recorded.out);  // the same device report, from the trace alone

  // One host byte changed: the last of the first command after the handshake.
  std::string text = read_text_file(trace);
  std::size_t at = 0;
  while ((at = text.find("\nH>D ", at + 1)) != std::string::npos) {
    if (text.compare(text.find('"', at), 10, "\"handshake") != 0) break;
  }
  ASSERT_NE(at, std::string::npos) << text.substr(0, 2000);
  const std::size_t last_hex = text.find('\n', at + 1) - 1;
  text[last_hex] = text[last_hex] == '0' ? '1' : '0';
  const auto bad = dir() / "bad.trace";
  std::ofstream(bad, std::ios::binary) << text;
  const ProgramResult refused = run_on_bus({"--replay", bad.string()}, info);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("replay failed"), std::string::npos) << refused.err;
}

TEST_F(UsbPath, CablePulledMidCopyIsEioWithinTenSecondsAndNoWrongByte) {
  auto m = mount({"--unplug-after", "12M"}, {"--reconnect", "0"});  // today's behaviour; reconnects: UsbReconnect
  ASSERT_TRUE(m->mounted_at_start()) << m->log();
  const int fd = ::open(mnt("user_area.img").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::vector<std::uint8_t> chunk(kMiB);
  std::uint64_t offset = 0;
  int error = 0;
  auto last_progress = Clock::now();
  double failed_after = 0;
  const std::uint64_t size = std::filesystem::file_size(image("user.img"));
  while (offset < size) {
    const ssize_t n = ::pread(fd, chunk.data(), chunk.size(), static_cast<off_t>(offset));
    if (n <= 0) {
      error = n < 0 ? errno : 0;
      failed_after = std::chrono::duration<double>(Clock::now() - last_progress).count();
      break;
    }
    const auto expected = read_range(image("user.img"), offset, static_cast<std::size_t>(n));
    ASSERT_TRUE(std::equal(expected.begin(), expected.end(), chunk.begin())) << "wrong byte near " << offset;
    offset += static_cast<std::uint64_t>(n);
    last_progress = Clock::now();
  }
  ::close(fd);
  EXPECT_EQ(error, EIO);
  EXPECT_LT(offset, size);
  EXPECT_LT(failed_after, 10.0);
  EXPECT_TRUE(m->alive());  // as on any link loss: the mount stays, failed, until it is unmounted
  EXPECT_NE(m->log().find("usb: unplugged"), std::string::npos) << m->log();
  EXPECT_NE(m->log().find("device link lost"), std::string::npos) << m->log();
  EXPECT_TRUE(m->unmount());
  std::printf("cable pulled after %llu bytes read; the read failed %.3f s after the last good one\n",
              static_cast<unsigned long long>(offset), failed_after);
}

// The cable comes out mid-copy and goes back in a second later: the device enumerates again as a
// fresh Preloader at a new address, mtkfs (default --reconnect) finds it there, checks it is the same
// eMMC, repeats the cut read, and cp finishes with every byte right.
TEST_F(UsbPath, ReplugMidCopyReenumeratesAtANewAddressAndTheCopyCompletes) {
  auto m = mount({"--fault-drop-after", "100M", "--fault-return-after", "1000"});
  ASSERT_TRUE(m->mounted_at_start()) << m->log();
  const auto copy = dir() / "user_area.copy";
  ASSERT_EQ(copy_of(mnt("user_area.img"), copy), "") << m->log();
  EXPECT_EQ(compare_file(copy, image("user.img"), 0, std::filesystem::file_size(image("user.img"))), "");
  const std::string status = read_text_file(mnt("status.txt"));
  EXPECT_EQ(status_value(status, "reconnects").rfind("1 (", 0), 0u) << status;
  ASSERT_TRUE(m->unmount());
  EXPECT_EQ(m->exit_code(), 0) << m->log();
  const std::string log = m->log();
  EXPECT_NE(log.find("usbdevfs: 001:002 left the bus"), std::string::npos) << log;
  EXPECT_NE(log.find("device lost ("), std::string::npos) << log;
  EXPECT_NE(log.find("device back on usb 1-1 (001:003, 0e8d:2000 Preloader)"), std::string::npos) << log;
}

}  // namespace
}  // namespace mtkfs::testing
