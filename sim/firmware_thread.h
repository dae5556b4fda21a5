// The simulated device's firmware on a thread of its own, as every endpoint (socket, pty, USB model)
// runs it: Device::run until the link stops, an unexpected error logged, and "finished" told to
// whoever waits for a `--once` session to end.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "sim/device.h"

namespace mtkfs::sim {

class FirmwareThread {
 public:
  // Starts at once; `device` and `link` must outlive the thread (call join() first in a destructor).
  FirmwareThread(Device& device, DeviceLink& link, std::string name)
      : thread_([this, &device, &link, name = std::move(name)] { run(device, link, name); }) {}
  ~FirmwareThread() { join(); }
  FirmwareThread(const FirmwareThread&) = delete;
  FirmwareThread& operator=(const FirmwareThread&) = delete;

  // The owner makes the link stop first (LinkStopped unwinds the firmware).
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  bool finished() const {
    std::lock_guard lock(mutex_);
    return done_;
  }
  void wait_finished(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    done_cv_.wait_for(lock, timeout, [&] { return done_; });
  }

 private:
  void run(Device& device, DeviceLink& link, const std::string& name) {
    try {
      device.run(link);
    } catch (const std::exception& e) {
      spdlog::critical("{}: {}", name, e.what());
    }
    std::lock_guard lock(mutex_);
    done_ = true;
    done_cv_.notify_all();
  }

  mutable std::mutex mutex_;
  mutable std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;  // last: starts after the members above exist
};

}  // namespace mtkfs::sim
