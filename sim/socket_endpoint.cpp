// `--socket PATH`: a UNIX stream socket carrying the byte protocol; one host connection at a time.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "sim/device.h"
#include "sim/firmware_thread.h"
#include "sim/sim.h"
#include "sim/stop_signal.h"

namespace mtkfs::sim {
namespace {

class SocketLink final : public DeviceLink {
 public:
  SocketLink(int listen_fd, StopSignal& stop, bool reset_on_close, bool ready)
      : listen_fd_(listen_fd), stop_(stop), reset_on_close_(reset_on_close), ready_(ready) {}
  ~SocketLink() override { close_connection(); }

  std::size_t read_some(std::span<std::uint8_t> buffer, Clock::time_point deadline) override {
    for (;;) {
      stop_.throw_if_requested();
      if (conn_ < 0 && !accept_until(deadline)) return 0;
      pollfd p[2] = {{conn_, POLLIN, 0}, {stop_.fd(), POLLIN, 0}};
      const int r = ::poll(p, 2, poll_timeout(deadline));
      stop_.throw_if_requested();
      if (r == 0) return 0;
      if (r < 0) continue;  // EINTR
      const ssize_t n = ::recv(conn_, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n > 0) return static_cast<std::size_t>(n);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      host_left();
    }
  }

  void send_unit(std::span<const std::uint8_t> unit) override {
    std::size_t done = 0;
    while (done < unit.size()) {
      stop_.throw_if_requested();
      if (conn_ < 0) return;  // nobody listening: the bytes are lost
      // Blocking send: a 1 MiB chunk goes out in one call; SO_SNDTIMEO brings it back to look at stop.
      const ssize_t n = ::send(conn_, unit.data() + done, unit.size() - done, MSG_NOSIGNAL);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      host_left();
    }
  }

  bool tool_present() const override { return ready_ && conn_ >= 0; }

  void disconnect(bool) override {
    spdlog::info("socket: device closes the connection");
    close_connection();
  }
  // Off the bus: hosts that connect meanwhile are accepted and closed at once (EOF), as a port with
  // nothing behind it; the listening socket stays, so the path never disappears.
  void drop(std::optional<std::chrono::milliseconds> off_time) override {
    disconnect(false);
    if (!off_time) return;
    spdlog::info("socket: device off the bus for {} ms", off_time->count());
    const auto until = Clock::now() + *off_time;
    while (Clock::now() < until) {
      pollfd p[2] = {{listen_fd_, POLLIN, 0}, {stop_.fd(), POLLIN, 0}};
      const int r = ::poll(p, 2, poll_timeout(until));
      stop_.throw_if_requested();
      if (r <= 0 || !(p[0].revents & POLLIN)) continue;
      const int refused = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (refused >= 0) ::close(refused);
    }
    spdlog::info("socket: device back");
  }
  void set_muted(bool muted) override { muted_ = muted; }
  void sleep_for(std::chrono::milliseconds duration) override { stop_.sleep_for(duration); }

 private:
  bool accept_until(Clock::time_point deadline) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {stop_.fd(), POLLIN, 0}};
    const int r = ::poll(p, 2, poll_timeout(deadline));
    stop_.throw_if_requested();
    if (r <= 0 || !(p[0].revents & POLLIN)) return false;
    conn_ = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn_ < 0) return false;
    tune(conn_);
    spdlog::info("socket: host connected");
    return true;
  }

  // Read chunks of up to 16 MiB: a big send buffer saves the device most of its wake-ups per chunk (the
  // kernel caps it at net.core.wmem_max unless forcing is allowed).
  static void tune(int fd) {
    const int buffer = 4 << 20;
    if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buffer, sizeof buffer) != 0) {
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
    }
    const timeval timeout{0, 100'000};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  }

  void host_left() {
    spdlog::info("socket: host closed the connection");
    close_connection();
    if (reset_on_close_ || muted_) throw HostGone();
  }

  void close_connection() {
    if (conn_ >= 0) ::close(conn_);
    conn_ = -1;
  }

  int listen_fd_;
  int conn_ = -1;
  StopSignal& stop_;
  bool reset_on_close_;
  bool ready_;
  bool muted_ = false;
};

int listen_on(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string text = path.string();
  if (text.empty() || text.size() >= sizeof addr.sun_path) {
    throw std::runtime_error("socket path '" + text + "' is empty or longer than " +
                             std::to_string(sizeof addr.sun_path - 1) + " bytes");
  }
  std::memcpy(addr.sun_path, text.c_str(), text.size() + 1);
  struct stat st {};
  if (::lstat(text.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) throw std::runtime_error(text + " exists and is not a socket");
    ::unlink(text.c_str());  // a stale socket of an earlier run
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 4) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("cannot listen on " + text + ": " + why);
  }
  return fd;
}

}  // namespace

struct SocketServer::Impl {
  Impl(SimConfig config, std::filesystem::path path)
      : device(std::move(config), Transport::stream), socket_path(std::move(path)),
        listen_fd(listen_on(socket_path)),
        link(listen_fd, stop, device.reset_on_host_close(), device.config().ready.value_or(false)),
        firmware(device, link, "socket server") {}

  ~Impl() {
    stop.request();
    firmware.join();
    ::close(listen_fd);
    ::unlink(socket_path.c_str());
  }

  Device device;
  std::filesystem::path socket_path;
  StopSignal stop;
  int listen_fd;
  SocketLink link;
  FirmwareThread firmware;
};

SocketServer::SocketServer(SimConfig config, std::filesystem::path socket_path)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(socket_path))) {}
SocketServer::~SocketServer() = default;
const std::filesystem::path& SocketServer::socket_path() const { return impl_->socket_path; }
bool SocketServer::finished() const { return impl_->firmware.finished(); }
void SocketServer::wait_finished(std::chrono::milliseconds timeout) const { impl_->firmware.wait_finished(timeout); }

}  // namespace mtkfs::sim
