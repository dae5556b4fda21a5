#include "transport/tty_transport.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

namespace mtkfs::transport {

namespace {

constexpr std::size_t kTtyBuffer = 64 * 1024;

}  // namespace

std::string tty_open_error(const std::string& path, int error) {
  std::string text = "cannot open " + path + ": " + std::strerror(error) + ".";
  if (error == EBUSY) {
    text += " Another program holds the port - usually ModemManager, which probes every new "
            "ttyACM device. Stop it (systemctl stop ModemManager) or tell it to ignore MediaTek "
            "ports with a udev rule: ATTRS{idVendor}==\"0e8d\", ENV{ID_MM_DEVICE_IGNORE}=\"1\".";
  } else {
    text += " Run as root, or install mtkfs's udev rule (52-mtkfs.rules, which gives the logged-in "
            "user access to MediaTek download ports: TAG+=\"uaccess\") and plug the device in again. "
            "If ModemManager is running it may also be grabbing the port right after it appears.";
  }
  return text;
}

termios raw_tty_settings(const termios& current) {
  termios t = current;
  ::cfmakeraw(&t);
  // cfmakeraw leaves input flow control by XOFF alone; 0x11/0x13 are ordinary bytes here.
  t.c_iflag &= ~static_cast<tcflag_t>(IXON | IXOFF | IXANY);
  t.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | CSTOPB | CRTSCTS);
  t.c_cflag |= CS8 | CLOCAL | CREAD;
  t.c_cc[VMIN] = 0;
  t.c_cc[VTIME] = 0;
  ::cfsetispeed(&t, B115200);
  ::cfsetospeed(&t, B115200);
  return t;
}

std::unique_ptr<TtyTransport> TtyTransport::open(const std::string& path, WaitLimit limit,
                                                 const NoticeFn& notice) {
  bool hinted = false;
  int fd = -1;
  for (;;) {
    fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) break;
    const int e = errno;
    if (e == EINTR) continue;
    // The node only exists while the device is in download mode: wait for it like for USB.
    if (e != ENOENT && e != ENXIO && e != ENODEV) throw TransportError(tty_open_error(path, e));
    if (limit.expired()) {
      throw TimeoutError("gave up waiting for " + path + " to appear (--wait)");
    }
    if (notice && !hinted) notice("Waiting for " + path + " to appear...");
    hinted = true;
    std::this_thread::sleep_for(limit.step(Millis{250}));
  }
  termios original{};
  if (::tcgetattr(fd, &original) != 0) {
    const int e = errno;
    ::close(fd);
    throw TransportError(path + " is not a terminal (" + std::strerror(e) +
                         "); for the simulator's UNIX socket use the socket option instead");
  }
  const termios raw = raw_tty_settings(original);
  if (::tcsetattr(fd, TCSANOW, &raw) != 0) {
    const int e = errno;
    ::close(fd);
    throw TransportError("cannot switch " + path + " to raw mode: " + std::strerror(e));
  }
  // Whatever arrived before raw mode (the READY a Preloader queues at plug-in) went through the
  // cooked line discipline: possibly echoed to the device already, and not protocol bytes we
  // asked for. The handshake does not need it, so drop it rather than deliver it.
  ::tcflush(fd, TCIFLUSH);
  // Keeps other unprivileged openers (ModemManager probing) off the port while we use it.
  ::ioctl(fd, TIOCEXCL);
  return std::unique_ptr<TtyTransport>(new TtyTransport(fd, path, original));
}

TtyTransport::TtyTransport(int fd, const std::string& path, const termios& original)
    : stream_(fd, FdStream::Kind::tty, path, kTtyBuffer), original_(original) {}

TtyTransport::~TtyTransport() {
  // Best effort: a vanished ttyACM cannot be restored, and that is fine.
  ::ioctl(stream_.fd(), TIOCNXCL);
  ::tcsetattr(stream_.fd(), TCSANOW, &original_);
}

void TtyTransport::write_all(std::span<const std::uint8_t> data, Millis timeout) {
  stream_.write_all(data, timeout);
}

void TtyTransport::read_exact(std::span<std::uint8_t> out, Millis timeout) {
  stream_.read_exact(out, timeout);
}

void TtyTransport::discard_input() {
  ::tcflush(stream_.fd(), TCIFLUSH);
  stream_.discard_input(Millis{10}, Millis{250});
}

}  // namespace mtkfs::transport
