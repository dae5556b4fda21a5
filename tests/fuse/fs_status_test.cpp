// status.txt on an in-process mount over the fake device: a read-only file whose size is its text, made
// anew by each open; it answers while a device call hangs; it counts failed writes and a lost link. The
// same file against the real programs and the simulator: tests/mount/status_file_test.cpp.
#include <sys/stat.h>

#include <chrono>
#include <future>
#include <sstream>

#include "tests/fuse/mounted_fs.h"
#include "tests/support/requirements.h"

namespace mtkfs::testing {
namespace {

constexpr std::uint64_t kMiB = 1 << 20;
constexpr auto kUser = HwPartition::user;
using Clock = std::chrono::steady_clock;

std::string text_of(const std::vector<std::uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); }

// The value of the line "label: value" (values start in column 16).
std::string value(const std::string& text, const std::string& label) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l.rfind(label + ":", 0) == 0) return l.substr(15);
  return "<no line " + label + " in:\n" + text + ">";
}

// The number a line's value starts with, e.g. 1048576 in "read: 1048576 bytes ...".
double number(const std::string& text, const std::string& label) { return std::stod(value(text, label)); }

class FsStatusTest : public ::testing::Test {
 protected:
  void SetUp() override { require_fuse("mounts in-process"); }
  void TearDown() override {
    for (const auto& v : device.violations()) ADD_FAILURE() << "device rule broken: " << v;
  }
  FakeBlockDevice device;
};

TEST_F(FsStatusTest, ReadOnlyTextWhoseSizeIsThatOfTheText) {
  MountedFs m(device, {});
  const std::string path = m.path("status.txt");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0444u);
  const std::string text = text_of(read_all(path));
  EXPECT_EQ(static_cast<std::size_t>(st.st_size), text.size()) << "nothing changed in between:\n" << text;
  EXPECT_EQ(value(text, "link"), "connected");
  EXPECT_EQ(value(text, "unwritten"), "0 bytes (all data is on the device)");
  EXPECT_NE(value(text, "cache").find(" of 32.0 MiB in use, 0 bytes dirty"), std::string::npos) << text;

  // Read in small pieces, the text of one open stays that open's, and lseek(SEEK_END) (a getattr that
  // names the open file) gives its length.
  Fd f(path, O_RDONLY);
  ASSERT_GE(f.fd, 0);
  const off_t end = ::lseek(f.fd, 0, SEEK_END);
  ASSERT_EQ(::lseek(f.fd, 0, SEEK_SET), 0);
  std::string pieces;
  char buf[7];
  for (ssize_t n; (n = ::read(f.fd, buf, sizeof buf)) > 0;) pieces.append(buf, static_cast<std::size_t>(n));
  EXPECT_EQ(static_cast<std::size_t>(end), pieces.size());
  EXPECT_EQ(value(pieces, "unwritten"), "0 bytes (all data is on the device)");

  EXPECT_EQ(Fd(path, O_WRONLY).err, EROFS);
  EXPECT_EQ(Fd(path, O_RDWR).err, EROFS);
  f.release();  // a lazy unmount waits for open files
  EXPECT_EQ(m.unmount(), 0);
}

TEST_F(FsStatusTest, EachOpenShowsTheFiguresOfThatMoment) {
  MountedFs m(device, {});
  const std::string before = text_of(read_all(m.path("status.txt")));
  const double read_before = number(before, "read");
  Fd f(m.path("user_area.img"), O_RDONLY);
  ASSERT_GE(f.fd, 0);
  std::vector<std::uint8_t> buf(4 * kMiB);
  ASSERT_EQ(::pread(f.fd, buf.data(), buf.size(), 16 * kMiB), static_cast<ssize_t>(buf.size()));
  const std::string after = text_of(read_all(m.path("status.txt")));
  EXPECT_GE(number(after, "read"), read_before + 4 * kMiB) << after;
  EXPECT_GT(number(after, "speed"), 0.0) << "the last 5 s had a transfer:\n" << after;
}

// The cache's mutex is never held during a device call: reading status.txt must not wait for one.
TEST_F(FsStatusTest, AnswersAtOnceWhileADeviceCallHangs) {
  MountedFs m(device, {});
  device.hold_next_call();
  auto reader = std::async(std::launch::async, [&] {
    Fd f(m.path("user_area.img"), O_RDONLY);
    std::vector<std::uint8_t> buf(kMiB);
    return f.fd >= 0 && ::pread(f.fd, buf.data(), buf.size(), 8 * kMiB) == static_cast<ssize_t>(buf.size());
  });
  ASSERT_TRUE(device.wait_until_held()) << "the read never reached the device";
  for (int i = 0; i < 3; ++i) {
    const auto start = Clock::now();
    auto status = std::async(std::launch::async, [&] { return text_of(read_all(m.path("status.txt"))); });
    const bool answered = status.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
    if (!answered) device.release();  // let the mount end before failing
    ASSERT_TRUE(answered) << "status.txt waited for the device";
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    EXPECT_LT(seconds, 1.0);
    EXPECT_EQ(value(status.get(), "link"), "connected");
  }
  EXPECT_TRUE(device.holding()) << "the device call was in flight all along";
  device.release();
  EXPECT_TRUE(reader.get());
}

TEST_F(FsStatusTest, FailedWritesAndALostLink) {
  fusefs::FsOptions rw;
  rw.writable = true;
  MountedFs m(device, rw);
  const std::string status = m.path("status.txt");
  device.fail_writes_in({kUser, 0, 64 * kMiB});
  Fd f(m.path("user_area.img"), O_RDWR);
  ASSERT_GE(f.fd, 0);
  const std::vector<std::uint8_t> data(64 * 1024, 0x5a);
  ASSERT_EQ(::pwrite(f.fd, data.data(), data.size(), 1 * kMiB), static_cast<ssize_t>(data.size()));
  const std::string dirty = text_of(read_all(status));
  EXPECT_EQ(value(dirty, "unwritten"),
            "65536 bytes (64.0 KiB) not on the device yet: in the cache; fsync, close or the unmount writes them");
  EXPECT_EQ(::fsync(f.fd), -1);
  EXPECT_EQ(errno, EIO);
  const std::string failed = text_of(read_all(status));
  EXPECT_EQ(value(failed, "failed writes"), "1 (65536 bytes not written; see the log)");
  EXPECT_EQ(value(failed, "unwritten").rfind("65536 bytes (64.0 KiB) NOT on the device: still in the cache", 0), 0u)
      << failed;

  // The device takes it on the next try: the count stays, the data is there.
  device.clear_failures();
  EXPECT_EQ(::fsync(f.fd), 0);
  const std::string retried = text_of(read_all(status));
  EXPECT_EQ(value(retried, "failed writes"), "1 (65536 bytes not written; see the log)");
  EXPECT_EQ(value(retried, "unwritten"), "0 bytes (all data is on the device)");
  EXPECT_EQ(device.contents(kUser, 1 * kMiB, data.size()), data);

  // Written data only in the cache when the link goes: lost, and said so.
  ASSERT_EQ(::pwrite(f.fd, data.data(), data.size(), 2 * kMiB), static_cast<ssize_t>(data.size()));
  device.lose_link();
  EXPECT_EQ(::fsync(f.fd), -1);
  const std::string lost = text_of(read_all(status));
  EXPECT_EQ(value(lost, "link"), "lost (fake link lost); unmount, then mount again");
  EXPECT_EQ(value(lost, "unwritten"),
            "65536 bytes (64.0 KiB) NEVER reached the device: the link was lost before they were written");
  f.release();
  EXPECT_EQ(m.unmount(), 1) << "written data never reached the device";
}

}  // namespace
}  // namespace mtkfs::testing
