// The device side of a pseudo-terminal: tests hold the master, TtyTransport opens the slave.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace mtkfs::transport::testing {

class PtyDevice {
 public:
  PtyDevice() {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0) {
      throw std::runtime_error("cannot create a pseudo-terminal");
    }
    char name[128];
    if (::ptsname_r(master_, name, sizeof name) != 0) throw std::runtime_error("ptsname_r");
    slave_path_ = name;
  }
  ~PtyDevice() { hang_up(); }
  PtyDevice(const PtyDevice&) = delete;
  PtyDevice& operator=(const PtyDevice&) = delete;

  const std::string& slave_path() const { return slave_path_; }
  int master() const { return master_; }

  void send(const std::vector<std::uint8_t>& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(master_, bytes.data() + done, bytes.size() - done);
      if (n <= 0) throw std::runtime_error("pty master write failed");
      done += static_cast<std::size_t>(n);
    }
  }

  // Exactly n bytes, or fewer if nothing more arrives within `quiet`.
  std::vector<std::uint8_t> receive(std::size_t n, std::chrono::milliseconds quiet) {
    std::vector<std::uint8_t> out;
    std::uint8_t buf[65536];
    while (out.size() < n) {
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(quiet.count())) <= 0) break;
      const std::size_t want = std::min(sizeof buf, n - out.size());
      const ssize_t got = ::read(master_, buf, want);
      if (got <= 0) break;
      out.insert(out.end(), buf, buf + got);
    }
    return out;
  }

  void hang_up() {
    if (master_ >= 0) ::close(master_);
    master_ = -1;
  }

 private:
  int master_ = -1;
  std::string slave_path_;
};

}  // namespace mtkfs::transport::testing
