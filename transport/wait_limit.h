// "Give up after N seconds, or never" — the --wait semantics shared by every medium.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>

#include "transport/transport.h"

namespace mtkfs::transport {

class WaitLimit {
 public:
  using Clock = std::chrono::steady_clock;

  static WaitLimit forever() { return WaitLimit(std::nullopt); }
  static WaitLimit after(Millis span) { return WaitLimit(Clock::now() + span); }
  // The --wait convention: 0 (or less) = wait forever.
  static WaitLimit from_seconds(int seconds) {
    return seconds > 0 ? after(std::chrono::seconds(seconds)) : forever();
  }

  bool expired() const { return deadline_ && Clock::now() >= *deadline_; }
  bool is_forever() const { return !deadline_; }

  // How long one step may sleep: `step`, shortened so that the limit is not overshot.
  Millis step(Millis step) const {
    if (!deadline_) return step;
    const auto left = std::chrono::duration_cast<Millis>(*deadline_ - Clock::now());
    return std::clamp(left, Millis{0}, step);
  }

 private:
  explicit WaitLimit(std::optional<Clock::time_point> deadline) : deadline_(deadline) {}
  std::optional<Clock::time_point> deadline_;
};

}  // namespace mtkfs::transport
