#include "transport/socket_transport.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

namespace mtkfs::transport {

namespace {

// One attempt; returns the connected fd, or -1 with errno set.
int try_connect(const sockaddr_un& address) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw TransportError(std::string("socket() failed: ") + std::strerror(errno));
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

bool worth_retrying(int e) {
  // Not there yet, or there but not accepting yet (listen backlog full).
  return e == ENOENT || e == ECONNREFUSED || e == EAGAIN;
}

}  // namespace

std::unique_ptr<SocketTransport> SocketTransport::connect(const std::string& path,
                                                          WaitLimit limit, const NoticeFn& notice) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof address.sun_path) {
    throw TransportError("socket path '" + path + "' is empty or longer than " +
                         std::to_string(sizeof address.sun_path - 1) + " bytes");
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);

  bool hinted = false;
  for (;;) {
    const int fd = try_connect(address);
    if (fd >= 0) {
      const int flags = ::fcntl(fd, F_GETFL);
      if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        const int e = errno;
        ::close(fd);
        throw TransportError("cannot make socket " + path + " non-blocking: " + std::strerror(e));
      }
      return std::unique_ptr<SocketTransport>(new SocketTransport(fd, path));
    }
    const int e = errno;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode)) {
      throw TransportError(path + " exists but is not a socket");
    }
    if (!worth_retrying(e)) {
      throw TransportError("cannot connect to socket " + path + ": " + std::strerror(e));
    }
    if (limit.expired()) {
      throw TimeoutError("gave up waiting for a listener on socket " + path + " (" +
                         std::strerror(e) + "); is mtkfs-sim running?");
    }
    if (notice && !hinted) notice("Waiting for the simulator to listen on " + path + "...");
    hinted = true;
    std::this_thread::sleep_for(limit.step(Millis{50}));
  }
}

SocketTransport::SocketTransport(int fd, const std::string& path)
    : stream_(fd, FdStream::Kind::socket, "socket " + path, kReadBuffer) {
  // A whole 1 MiB write chunk (62) fits in the socket at once: one send() instead of a wake-up per
  // ~200 KiB, and the simulator reads it in one piece (its usb2-hs link model charges per read;
  // docs/performance.md). The kernel caps the size for unprivileged users; best effort.
  const int buffer = 4 << 20;
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buffer, sizeof buffer) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
}

void SocketTransport::write_all(std::span<const std::uint8_t> data, Millis timeout) {
  stream_.write_all(data, timeout);
}

void SocketTransport::read_exact(std::span<std::uint8_t> out, Millis timeout) {
  stream_.read_exact(out, timeout);
}

void SocketTransport::discard_input() { stream_.discard_input(Millis{10}, Millis{250}); }

}  // namespace mtkfs::transport
