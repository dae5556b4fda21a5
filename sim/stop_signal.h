// Wakes the firmware thread out of any blocking wait when a server shuts down (an eventfd that every
// poll() of the stream endpoints includes).
#pragma once

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>

#include "sim/link.h"

namespace mtkfs::sim {

class StopSignal {
 public:
  StopSignal() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (fd_ < 0) throw std::runtime_error("eventfd failed");
  }
  ~StopSignal() { ::close(fd_); }
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  void request() {
    stopped_ = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t ignored = ::write(fd_, &one, sizeof one);
  }
  bool requested() const { return stopped_; }
  int fd() const { return fd_; }
  void throw_if_requested() const {
    if (stopped_) throw LinkStopped();
  }
  // Sleeps for `duration`; LinkStopped if a stop arrives meanwhile.
  void sleep_for(std::chrono::milliseconds duration) const {
    const auto deadline = Clock::now() + duration;
    for (;;) {
      throw_if_requested();
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return;
      pollfd p{fd_, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count() + 1, 1000)));
    }
  }

 private:
  int fd_;
  std::atomic<bool> stopped_{false};
};

// poll() timeout in ms for a deadline (never overflowing for kForever; -1 = wait indefinitely).
inline int poll_timeout(Clock::time_point deadline) {
  if (deadline == kForever) return -1;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return static_cast<int>(std::min<long long>(left, 60'000));
}

}  // namespace mtkfs::sim
