// `--pty`: a pseudo-terminal in raw mode. Hosts opening and closing the slave are counted from inotify
// open/close events on the slave node: unlike the master's level-triggered POLLHUP, these still show a
// close when the next host reopens the port before the device looks.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "sim/device.h"
#include "sim/firmware_thread.h"
#include "sim/sim.h"
#include "sim/stop_signal.h"

namespace mtkfs::sim {
namespace {

// The close event precedes the master's POLLHUP; should the hang-up be seen first, look again after this.
constexpr auto kHangupRecheck = std::chrono::milliseconds(2);

class PtyLink final : public DeviceLink {
 public:
  PtyLink(StopSignal& stop, bool reset_on_close, bool ready, std::optional<std::filesystem::path> link_path)
      : stop_(stop), reset_on_close_(reset_on_close), ready_(ready), link_path_(std::move(link_path)) {
    open_pty();
  }
  ~PtyLink() override {
    close_pty();
    if (link_path_) ::unlink(link_path_->c_str());
  }

  std::string slave_path() const {
    std::lock_guard lock(path_mutex_);
    return slave_path_;
  }
  std::uint64_t generation() const {
    std::lock_guard lock(path_mutex_);
    return generation_;
  }

  std::size_t read_some(std::span<std::uint8_t> buffer, Clock::time_point deadline) override {
    for (;;) {
      stop_.throw_if_requested();
      take_events();
      // Without a host the master reports POLLHUP continuously: then only events and stop are waited for.
      pollfd p[3] = {{stop_.fd(), POLLIN, 0}, {inotify_, POLLIN, 0}, {opens_ > 0 ? master_ : -1, POLLIN, 0}};
      const int r = ::poll(p, 3, poll_timeout(deadline));
      stop_.throw_if_requested();
      if (r == 0) return 0;
      if (r < 0 || p[1].revents) continue;  // events first: a close must be seen before later data
      if (p[2].revents & POLLIN) {
        const ssize_t n = ::read(master_, buffer.data(), buffer.size());
        if (n > 0) return static_cast<std::size_t>(n);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      }
      if (p[2].revents) stop_.sleep_for(kHangupRecheck);  // EIO/POLLHUP: the close event is on its way
    }
  }

  void send_unit(std::span<const std::uint8_t> unit) override {
    std::size_t done = 0;
    while (done < unit.size()) {
      stop_.throw_if_requested();
      take_events();
      if (opens_ == 0) return;  // nobody has the port open: the bytes are lost
      const ssize_t n = ::write(master_, unit.data() + done, unit.size() - done);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) {
        pollfd p[3] = {{stop_.fd(), POLLIN, 0}, {inotify_, POLLIN, 0}, {master_, POLLOUT, 0}};
        ::poll(p, 3, -1);
        continue;
      }
      stop_.sleep_for(kHangupRecheck);
    }
  }

  bool tool_present() const override { return ready_ && opens_ > 0; }

  // As a ttyACM node disappears and comes back: the old pty goes away, a new one takes its place.
  void disconnect(bool) override {
    close_pty();
    open_pty();
    spdlog::info("pty: device re-enumerated; new port {}", slave_path());
  }
  // Off the bus: no pty at all (the slave node is gone and --link removed) until the device is back.
  void drop(std::optional<std::chrono::milliseconds> off_time) override {
    if (!off_time) return disconnect(false);
    close_pty();
    if (link_path_) ::unlink(link_path_->c_str());
    spdlog::info("pty: device off the bus for {} ms", off_time->count());
    stop_.sleep_for(*off_time);
    open_pty();
    spdlog::info("pty: device back; new port {}", slave_path());
  }
  void set_muted(bool muted) override { muted_ = muted; }
  void sleep_for(std::chrono::milliseconds duration) override { stop_.sleep_for(duration); }

 private:
  void open_pty() {
    const int fd = ::posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(std::string("posix_openpt: ") + std::strerror(errno));
    char name[128];
    if (::grantpt(fd) != 0 || ::ptsname_r(fd, name, sizeof name) != 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      throw std::runtime_error("cannot set up the pty: " + why);
    }
    master_ = fd;
    make_raw();
    // Watched before it is unlocked: a host may open the node (a reused /dev/pts number looks new to
    // it) the moment unlockpt() returns, and an open nobody saw would leave the device deaf.
    inotify_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotify_ < 0 || ::inotify_add_watch(inotify_, name, IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE) < 0) {
      throw std::runtime_error(std::string("cannot watch the pty: ") + std::strerror(errno));
    }
    if (::unlockpt(fd) != 0) throw std::runtime_error(std::string("cannot unlock the pty: ") + std::strerror(errno));
    // The slave is never opened here: inotify merges identical consecutive events, so our own open
    // would swallow a host's that came at the same moment, and the device would stay deaf. Until a
    // host first opens it the master simply reads nothing, which read_some() never asks for.
    opens_ = 0;
    events_.clear();
    if (link_path_) {
      // Replaced atomically, so that the link never dangles between two ptys.
      const std::string temp = link_path_->string() + ".new";
      ::unlink(temp.c_str());
      if (::symlink(name, temp.c_str()) != 0 || ::rename(temp.c_str(), link_path_->c_str()) != 0) {
        throw std::runtime_error("cannot create link " + link_path_->string() + ": " + std::strerror(errno));
      }
    }
    // Last: a grown generation tells hosts that the new port, link included, is ready to open.
    std::lock_guard lock(path_mutex_);
    slave_path_ = name;
    ++generation_;
  }

  void close_pty() {
    if (master_ >= 0) ::close(master_);
    if (inotify_ >= 0) ::close(inotify_);
    master_ = inotify_ = -1;
    opens_ = 0;
  }

  // Termios set through the master apply to the slave; a host that left may have changed them.
  void make_raw() {
    termios t{};
    if (::tcgetattr(master_, &t) == 0) {
      ::cfmakeraw(&t);
      ::tcsetattr(master_, TCSANOW, &t);
    }
    ::tcflush(master_, TCIOFLUSH);
  }

  // Applies queued open (+1) / close (-1) events in order; the last close of a session ends it.
  void read_events() {
    alignas(inotify_event) char buffer[4096];
    for (;;) {
      const ssize_t n = ::read(inotify_, buffer, sizeof buffer);
      if (n <= 0) break;
      for (ssize_t at = 0; at < n;) {
        const auto* e = reinterpret_cast<const inotify_event*>(buffer + at);
        if (e->mask & IN_OPEN) events_.push_back(+1);
        if (e->mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE)) events_.push_back(-1);
        at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      }
    }
  }

  void take_events() {
    read_events();
    while (!events_.empty()) {
      const int delta = events_.front();
      events_.pop_front();
      if (delta > 0) {
        if (opens_++ == 0) spdlog::info("pty: host opened {}", slave_path());
      } else if (opens_ > 0 && --opens_ == 0) {
        host_left();  // may throw; later events stay queued for the next session
      }
    }
  }

  void host_left() {
    spdlog::info("pty: host closed {}", slave_path());
    make_raw();
    if (reset_on_close_ || muted_) throw HostGone();
  }

  StopSignal& stop_;
  bool reset_on_close_;
  bool ready_;
  std::optional<std::filesystem::path> link_path_;
  int master_ = -1;
  int inotify_ = -1;
  int opens_ = 0;
  std::deque<int> events_;
  bool muted_ = false;
  mutable std::mutex path_mutex_;
  std::string slave_path_;
  std::uint64_t generation_ = 0;
};

}  // namespace

struct PtyServer::Impl {
  Impl(SimConfig config, std::optional<std::filesystem::path> link_path)
      : device(std::move(config), Transport::stream),
        link(stop, device.reset_on_host_close(), device.config().ready.value_or(false), std::move(link_path)),
        firmware(device, link, "pty server") {}

  ~Impl() {
    stop.request();
    firmware.join();
  }

  Device device;
  StopSignal stop;
  PtyLink link;
  FirmwareThread firmware;
};

PtyServer::PtyServer(SimConfig config, std::optional<std::filesystem::path> link_path)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(link_path))) {}
PtyServer::~PtyServer() = default;
std::string PtyServer::slave_path() const { return impl_->link.slave_path(); }
std::uint64_t PtyServer::generation() const { return impl_->link.generation(); }
bool PtyServer::finished() const { return impl_->firmware.finished(); }
void PtyServer::wait_finished(std::chrono::milliseconds timeout) const { impl_->firmware.wait_finished(timeout); }

}  // namespace mtkfs::sim
