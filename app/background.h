// Going into the background without losing error messages and without carrying threads or libusb
// state across fork(): the process forks FIRST, while it is still single-threaded and has no USB
// context. The parent only waits for the child's verdict; the child connects, mounts, reports
// "ready", and only then leaves the terminal. A child that fails prints its error on the
// terminal's stderr (still its own) and exits; the parent exits with the same status.
#pragma once

#include <optional>

namespace mtkfs::cli {

// The child's end of the startup pipe.
class StartupReport {
 public:
  StartupReport() = default;
  ~StartupReport();
  StartupReport(const StartupReport&) = delete;
  StartupReport& operator=(const StartupReport&) = delete;

  // Mounted and serving: tell the parent, start a new session (no controlling terminal), change to
  // "/" and put /dev/null on stdin/stdout/stderr. Throws std::runtime_error if the parent is gone
  // (killed while waiting): the caller then unmounts instead of serving a mount nobody asked for.
  void detach();
  bool detached() const { return detached_; }

 private:
  friend std::optional<int> fork_into_background(StartupReport& child);
  int fd_ = -1;
  bool detached_ = false;
};

// Forks. Returns in both processes: in the parent with the exit status it must exit with (0 once
// the child detached, the child's status if it failed before), in the child with nullopt and
// `child` set up. Must be called while the process has exactly one thread.
std::optional<int> fork_into_background(StartupReport& child);

}  // namespace mtkfs::cli
