// What a user watching a long backup needs to know about the link: is the device there, is mtkfs
// waiting for it to come back, how often did it come back. Read by status.txt from any thread
// (BlockDevice::link_status), written by the device's own thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace mtkfs::da {

struct LinkStatus {
  using Clock = std::chrono::steady_clock;
  enum class State {
    connected,
    reconnecting,  // lost; waiting for the device until `deadline`, I/O held meanwhile
    lost,          // gone for good: every later I/O fails
  };

  State state = State::connected;
  int reconnects = 0;                 // sessions resumed after a lost link
  std::string reason;                 // why the link was last lost (empty if never)
  Clock::time_point deadline{};       // while reconnecting: when mtkfs gives up
  double last_outage_seconds = 0;     // last resumed loss: from the loss until I/O flowed again
  double last_resume_seconds = 0;     // of which: from the device answering again until I/O flowed
};

}  // namespace mtkfs::da
