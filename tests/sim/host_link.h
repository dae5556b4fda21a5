// Host side for the simulator tests: the same byte-level operations over a stream (socket/pty fd) or the
// in-process USB model, so that a conversation can be played against every endpoint. Expected bytes are
// always written out by the tests themselves from the spec.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sim/sim.h"

namespace mtkfs::simtest {

using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;
inline constexpr auto kReplyTimeout = std::chrono::milliseconds(5000);

inline Bytes be32(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
          static_cast<std::uint8_t>(v)};
}
inline Bytes be64(std::uint64_t v) {
  Bytes out;
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  return out;
}
inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
inline std::uint16_t sum16(const Bytes& data) {
  std::uint32_t s = 0;
  for (std::uint8_t b : data) s += b;
  return static_cast<std::uint16_t>(s);
}

class HostLink {
 public:
  virtual ~HostLink() = default;
  virtual void send(const Bytes& bytes) = 0;
  // Exactly n bytes, or fewer if the timeout expired / the device went away.
  virtual Bytes receive(std::size_t n, std::chrono::milliseconds timeout = kReplyTimeout) = 0;
  // One unit: over USB it must arrive as exactly one transfer; over a stream just these bytes.
  virtual void expect_unit(const Bytes& expected, const char* what = "") = 0;
  // True if no byte arrives within `window`.
  virtual bool silent_for(std::chrono::milliseconds window) = 0;
  // True if the device closed the link (EOF / off the bus) within `timeout`; other bytes are discarded.
  virtual bool closed_within(std::chrono::milliseconds timeout) = 0;

  void expect(const Bytes& expected, const char* what = "") {
    EXPECT_EQ(receive(expected.size()), expected) << what;
  }
  std::uint8_t receive_byte(std::chrono::milliseconds timeout = kReplyTimeout) {
    const Bytes b = receive(1, timeout);
    if (b.empty()) throw std::runtime_error("no byte from the device");
    return b[0];
  }
  void expect_units(std::initializer_list<Bytes> units, const char* what = "") {
    for (const Bytes& u : units) expect_unit(u, what);
  }
};

// A connected socket or an opened pty slave.
class StreamHost final : public HostLink {
 public:
  explicit StreamHost(int fd) : fd_(fd) {}
  ~StreamHost() override { close(); }

  static std::unique_ptr<StreamHost> connect(const std::filesystem::path& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    for (int attempt = 0; attempt < 200; ++attempt) {
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return std::make_unique<StreamHost>(fd);
      std::this_thread::sleep_for(10ms);
    }
    ::close(fd);
    throw std::runtime_error("cannot connect to " + path.string());
  }

  static std::unique_ptr<StreamHost> open_tty(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
    termios t{};
    ::tcgetattr(fd, &t);
    ::cfmakeraw(&t);
    ::tcsetattr(fd, TCSANOW, &t);
    return std::make_unique<StreamHost>(fd);
  }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  void send(const Bytes& bytes) override {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n <= 0) throw std::runtime_error("write to the device failed");
      done += static_cast<std::size_t>(n);
    }
  }

  Bytes receive(std::size_t n, std::chrono::milliseconds timeout = kReplyTimeout) override {
    Bytes out(n);
    std::size_t done = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (done < n) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      const ssize_t r = ::read(fd_, out.data() + done, n - done);
      if (r <= 0) break;
      done += static_cast<std::size_t>(r);
    }
    out.resize(done);
    return out;
  }

  void expect_unit(const Bytes& expected, const char* what = "") override {
    EXPECT_EQ(receive(expected.size()), expected) << what;
  }

  bool silent_for(std::chrono::milliseconds window) override {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(window.count())) == 0) return true;
    char c;
    return ::read(fd_, &c, 1) <= 0 ? true : false;  // EOF counts as silence; a byte does not
  }

  bool closed_within(std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::uint8_t sink[4096];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      if (::read(fd_, sink, sizeof sink) <= 0) return true;
    }
  }

  int fd() const { return fd_; }

 private:
  int fd_;
};

// Host side of the in-process USB model.
class UsbHost final : public HostLink {
 public:
  explicit UsbHost(sim::UsbDeviceModel& model) : model_(model) {}

  void set_line_coding() {
    const Bytes coding = {0x00, 0x10, 0x0E, 0x00, 0x00, 0x00, 0x08};  // 921600 8N1 (docs/protocol/usb.md §4.2)
    ASSERT_EQ(model_.control_out(0x21, 0x20, 0, 0, coding), sim::UsbStatus::ok);
    ASSERT_EQ(model_.control_out(0x21, 0x22, 2, 0, {}), sim::UsbStatus::ok);
  }

  void send(const Bytes& bytes) override {
    const auto r = model_.bulk_out(bytes, 1000ms);
    if (r.status != sim::UsbStatus::ok || r.transferred != bytes.size()) throw std::runtime_error("bulk OUT failed");
  }

  // Packet-sized reads with the surplus kept, as a careful host does (docs/protocol/usb.md §5.2).
  Bytes receive(std::size_t n, std::chrono::milliseconds timeout = kReplyTimeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (surplus_.size() < n) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      Bytes buf((n - surplus_.size() + 511) / 512 * 512);
      const auto r = model_.bulk_in(buf, left);
      surplus_.insert(surplus_.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.transferred));
      if (r.status == sim::UsbStatus::no_device || r.status == sim::UsbStatus::overflow) break;
    }
    const std::size_t take = std::min(n, surplus_.size());
    Bytes out(surplus_.begin(), surplus_.begin() + static_cast<std::ptrdiff_t>(take));
    surplus_.erase(surplus_.begin(), surplus_.begin() + static_cast<std::ptrdiff_t>(take));
    return out;
  }

  void expect_unit(const Bytes& expected, const char* what = "") override {
    if (units_as_stream) return expect(expected, what);
    ASSERT_TRUE(surplus_.empty()) << "bytes left over before a unit: " << what;
    Bytes buf((expected.size() + 511) / 512 * 512);
    const auto r = model_.bulk_in(buf, kReplyTimeout);
    EXPECT_EQ(r.status, sim::UsbStatus::ok) << what;
    buf.resize(r.transferred);
    EXPECT_EQ(buf, expected) << what;
  }

  // One transfer with a 512-byte buffer.
  sim::UsbTransfer packet(Bytes& out, std::chrono::milliseconds timeout = kReplyTimeout) {
    out.assign(512, 0);
    const auto r = model_.bulk_in(out, timeout);
    out.resize(r.transferred);
    return r;
  }

  bool silent_for(std::chrono::milliseconds window) override {
    Bytes buf(512);
    const auto r = model_.bulk_in(buf, window);
    return r.transferred == 0;
  }

  bool closed_within(std::chrono::milliseconds timeout) override { return model_.wait_disconnected(timeout); }

  void drain(std::chrono::milliseconds quiet = 60ms) {
    surplus_.clear();
    while (!silent_for(quiet)) {
    }
  }

  sim::UsbDeviceModel& model() { return model_; }
  // For unit faults (split/merge): compare bytes only, not transfer boundaries.
  bool units_as_stream = false;

 private:
  sim::UsbDeviceModel& model_;
  Bytes surplus_;
};

}  // namespace mtkfs::simtest
