#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <thread>

#include "pty_device.h"
#include "tests/support/temp_dir.h"
#include "transport/tty_transport.h"

namespace mtkfs::transport {
namespace {

using testing::PtyDevice;
using Bytes = std::vector<std::uint8_t>;

constexpr Millis kTimeout{2000};

std::unique_ptr<TtyTransport> open_slave(const PtyDevice& pty) {
  return TtyTransport::open(pty.slave_path(), WaitLimit::after(Millis{2000}));
}

TEST(TtyTransport, RawModeBothWays) {
  PtyDevice pty;
  auto tty = open_slave(pty);

  // LF, CR, ^C, XON, XOFF, DEL, ^D, NUL, 0xFF: a cooked tty would translate, swallow or signal.
  const Bytes from_device{0x0A, 0x0D, 0x03, 0x11, 0x13, 0x7F, 0x04, 0x00, 0xFF, 0x0A};
  pty.send(from_device);
  Bytes got(from_device.size());
  tty->read_exact(got, kTimeout);
  EXPECT_EQ(got, from_device);

  // Different bytes back: an echo of the input would show up first on the master.
  const Bytes to_device{0x11, 0x03, 0x0D, 0x0A, 0x00, 0x13, 0x1A, 0x0A, 0x0D};
  tty->write_all(to_device, kTimeout);
  EXPECT_EQ(pty.receive(to_device.size(), Millis{2000}), to_device);
  EXPECT_TRUE(pty.receive(1, Millis{20}).empty()) << "nothing echoed";

  termios t{};
  ASSERT_EQ(::tcgetattr(pty.master(), &t), 0);
  EXPECT_EQ(t.c_lflag & (ECHO | ICANON | ISIG | IEXTEN), 0u);
  EXPECT_EQ(t.c_iflag & (ICRNL | INLCR | IGNCR | IXON | IXOFF | ISTRIP), 0u);
  EXPECT_EQ(t.c_oflag & OPOST, 0u);
  EXPECT_EQ(t.c_cflag & CRTSCTS, 0u);
  EXPECT_EQ(t.c_cflag & CSIZE, static_cast<tcflag_t>(CS8));
  EXPECT_EQ(t.c_cc[VMIN], 0);
  EXPECT_EQ(t.c_cc[VTIME], 0);
}

TEST(TtyTransport, ReadsAcrossWritesAndKeepsSurplus) {
  PtyDevice pty;
  auto tty = open_slave(pty);
  pty.send({'R', 'E', 'A', 'D', 'Y', 0x5F});
  Bytes first(2);
  tty->read_exact(first, kTimeout);
  EXPECT_EQ(first, (Bytes{'R', 'E'}));
  Bytes rest(4);
  tty->read_exact(rest, kTimeout);
  EXPECT_EQ(rest, (Bytes{'A', 'D', 'Y', 0x5F}));
}

TEST(TtyTransport, DeadlineThrowsAndKeepsPartialBytes) {
  PtyDevice pty;
  auto tty = open_slave(pty);
  Bytes out(3);
  EXPECT_THROW(tty->read_exact(out, Millis{30}), TimeoutError);
  pty.send({1, 2});
  EXPECT_THROW(tty->read_exact(out, Millis{30}), TimeoutError);
  pty.send({3});
  tty->read_exact(out, kTimeout);
  EXPECT_EQ(out, (Bytes{1, 2, 3}));
}

TEST(TtyTransport, LargeTransfersThroughTheSmallPtyBuffer) {
  PtyDevice pty;
  auto tty = open_slave(pty);
  Bytes data(300 * 1024);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7 + i / 251);
  Bytes echoed;
  std::thread device([&] {
    echoed = pty.receive(data.size(), Millis{5000});
    Bytes reply = echoed;
    for (auto& b : reply) b = static_cast<std::uint8_t>(~b);
    pty.send(reply);
  });
  tty->write_all(data, Millis{10000});
  Bytes back(data.size());
  tty->read_exact(back, Millis{10000});
  device.join();
  EXPECT_EQ(echoed, data);
  for (auto& b : back) b = static_cast<std::uint8_t>(~b);
  EXPECT_EQ(back, data);
}

TEST(TtyTransport, HangupIsDisconnected) {
  PtyDevice pty;
  auto tty = open_slave(pty);
  pty.send({0x42});
  pty.hang_up();
  Bytes one(1);
  // Bytes that arrived before the hangup are still delivered, then the hangup shows.
  try {
    tty->read_exact(one, kTimeout);
    EXPECT_EQ(one, Bytes{0x42});
  } catch (const DisconnectedError&) {
    // Linux may drop unread pty input on hangup; either way no wrong byte is returned.
  }
  EXPECT_THROW(tty->read_exact(one, kTimeout), DisconnectedError);
  EXPECT_THROW(tty->write_all(Bytes{0xA0}, kTimeout), DisconnectedError);
}

TEST(TtyTransport, HangupWhileWaitingEndsTheWait) {
  PtyDevice pty;
  auto tty = open_slave(pty);
  std::thread unplug([&] {
    std::this_thread::sleep_for(Millis{30});
    pty.hang_up();
  });
  Bytes out(4);
  EXPECT_THROW(tty->read_exact(out, Millis{10000}), DisconnectedError);
  unplug.join();
}

TEST(TtyTransport, DiscardInputDropsPendingBytes) {
  PtyDevice pty;
  auto tty = open_slave(pty);
  pty.send({'R', 'E', 'A', 'D', 'Y', 'R', 'E', 'A', 'D', 'Y'});
  Bytes one(1);
  tty->read_exact(one, kTimeout);
  tty->discard_input();
  pty.send({0x5F});
  tty->read_exact(one, kTimeout);
  EXPECT_EQ(one, Bytes{0x5F});
}

// Bytes the device sent before the port was opened (a ttyACM's READY at plug-in) are no
// protocol data: they must not reach the reader, and opening must not echo anything back.
TEST(TtyTransport, BytesQueuedBeforeOpenAreDroppedAndNotEchoed) {
  PtyDevice pty;
  pty.send({'R', 'E', 'A', 'D', 'Y'});
  // A pty's slave starts cooked and echoes on arrival, before any open: that echo is the pty's,
  // not the transport's (a ttyACM only receives once opened), so take it out of the way first.
  EXPECT_EQ(pty.receive(5, Millis{500}), (Bytes{'R', 'E', 'A', 'D', 'Y'}));
  auto tty = open_slave(pty);
  pty.send({0x5F});
  Bytes one(1);
  tty->read_exact(one, kTimeout);
  EXPECT_EQ(one, Bytes{0x5F}) << "the bytes from before the open were delivered";
  EXPECT_TRUE(pty.receive(1, Millis{50}).empty()) << "something was echoed to the device";
}

TEST(TtyTransport, MissingPortTimesOutAfterTheWaitLimit) {
  mtkfs::testing::TempDir dir;
  EXPECT_THROW(TtyTransport::open((dir / "ttyACM9").string(), WaitLimit::after(Millis{100})),
               TimeoutError);
}

TEST(TtyTransport, PortAppearingLaterIsOpened) {
  // A symlink to a pty appears while we wait, like /dev/ttyACM0 after plugging in.
  PtyDevice pty;
  mtkfs::testing::TempDir dir;
  const auto link = dir / "ttyACM0";
  std::thread plug([&] {
    std::this_thread::sleep_for(Millis{50});
    std::filesystem::create_symlink(pty.slave_path(), link);
  });
  auto tty = TtyTransport::open(link.string(), WaitLimit::after(Millis{10000}));
  plug.join();
  pty.send({0x5F});
  Bytes one(1);
  tty->read_exact(one, kTimeout);
  EXPECT_EQ(one, Bytes{0x5F});
  EXPECT_EQ(tty->describe(), link.string());
}

TEST(TtyTransport, RegularFileIsNotATerminal) {
  mtkfs::testing::TempDir dir;
  std::ofstream(dir / "plain") << "x";
  try {
    TtyTransport::open((dir / "plain").string(), WaitLimit::after(Millis{100}));
    FAIL() << "expected TransportError";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("not a terminal"), std::string::npos) << e.what();
  }
}

TEST(TtyTransport, AccessErrorsComeWithAdvice) {
  const std::string busy = tty_open_error("/dev/ttyACM0", EBUSY);
  EXPECT_NE(busy.find("ModemManager"), std::string::npos) << busy;
  EXPECT_NE(busy.find("/dev/ttyACM0"), std::string::npos) << busy;
  const std::string denied = tty_open_error("/dev/ttyACM0", EACCES);
  EXPECT_NE(denied.find("52-mtkfs.rules"), std::string::npos) << denied;
  EXPECT_NE(denied.find("uaccess"), std::string::npos) << "the same advice as the rule we ship: " << denied;
  EXPECT_NE(denied.find("udev"), std::string::npos) << denied;
  EXPECT_NE(denied.find("ModemManager"), std::string::npos) << denied;
}

}  // namespace
}  // namespace mtkfs::transport
