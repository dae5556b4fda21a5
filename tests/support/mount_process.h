// RAII runner for the real `mtkfs` program mounting in the foreground (-f) in tests: the test process is
// its parent, so it knows the pid, can SIGKILL it and reads its exit status. stdout and stderr (where a
// foreground mount logs) go to a file the test can read at any time. Every wait is bounded.
//
// Program path: mtkfs_program() (tests/support/program_paths.h).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/exec_args.h"
#include "tests/support/program_paths.h"

namespace mtkfs::testing {

// True if `mountpoint` (absolute, no spaces) is currently a FUSE mount of mtkfs.
inline bool is_mtkfs_mount(const std::filesystem::path& mountpoint) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER"
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    if (point != mountpoint.string()) continue;
    const auto dash = line.find(" - ");
    if (dash != std::string::npos && line.compare(dash + 3, 10, "fuse.mtkfs") == 0) return true;
  }
  return false;
}

class MountProcess {
 public:
  enum class Start { mounted, exited, timed_out };

  // Runs `mtkfs -f ARGS... MOUNTPOINT` with its output in `log_file` and waits (bounded) until the mount
  // appears or the program exits. Never throws for a failing mount: see start_result(). With a zero
  // startup_timeout it returns right after the fork; call wait_started() then.
  // With a `launcher` (a program and its arguments, e.g. `mtkfs-sim usb ... --`), that program is run
  // with the mtkfs command line after its own arguments, and pid() and the exit status are the launcher's.
  MountProcess(const std::vector<std::string>& args, std::filesystem::path mountpoint,
               std::filesystem::path log_file,
               std::chrono::milliseconds startup_timeout = std::chrono::seconds(30),
               const std::vector<std::string>& launcher = {})
      : mountpoint_(std::move(mountpoint)), log_file_(std::move(log_file)) {
    std::string bin = mtkfs_program();
    std::vector<std::string> all{"-f"};
    all.insert(all.end(), args.begin(), args.end());
    all.push_back(mountpoint_.string());
    if (!launcher.empty()) {
      all.insert(all.begin(), bin);
      all.insert(all.begin(), launcher.begin() + 1, launcher.end());
      bin = launcher.front();
    }
    const ExecArgs argv(bin, all);
    const int log_fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::runtime_error("cannot create " + log_file_.string());
    pid_ = ::fork();
    if (pid_ < 0) {
      ::close(log_fd);
      throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
      const int null_fd = ::open("/dev/null", O_RDONLY);
      if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
      ::execv(bin.c_str(), argv.argv());
      ::_exit(127);
    }
    ::close(log_fd);
    if (startup_timeout.count() > 0) wait_started(startup_timeout);
  }

  ~MountProcess() {
    if (pid_ <= 0) return;
    if (is_mtkfs_mount(mountpoint_)) unmount(std::chrono::seconds(20));
    if (pid_ > 0) kill_hard();
  }
  MountProcess(const MountProcess&) = delete;
  MountProcess& operator=(const MountProcess&) = delete;

  Start start_result() const { return start_; }
  bool mounted_at_start() const { return start_ == Start::mounted; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& mountpoint() const { return mountpoint_; }
  std::string path(const std::string& relative) const { return (mountpoint_ / relative).string(); }

  // Everything the program printed so far.
  std::string log() const {
    std::ifstream in(log_file_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // True while the process has not exited (reaps it if it has).
  bool alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      status_ = status;
      return false;
    }
    return true;
  }

  // Wait status after exit (-1 while running / unknown).
  int wait_status() const { return status_; }
  // Exit code after a normal exit, -1 otherwise (still running, killed by a signal).
  int exit_code() const { return status_ != -1 && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1; }

  // Waits (bounded) for the process to exit by itself; true if it did.
  bool wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (alive()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  // A normal unmount (what `umount`/`fusermount3 -u` do; EBUSY is retried while files are still being
  // closed), then waits for the program to write everything back and exit. Returns true if it exited in
  // time; exit_code() says how.
  bool unmount(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (is_mtkfs_mount(mountpoint_)) {
      if (::umount2(mountpoint_.c_str(), 0) == 0) break;
      if (errno != EBUSY || std::chrono::steady_clock::now() >= deadline) {
        ::umount2(mountpoint_.c_str(), MNT_DETACH);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return wait_exit(std::max(left, std::chrono::milliseconds(1000)));
  }

  // SIGKILL, then the lazy unmount a dead FUSE server needs (`umount -l`), and reap.
  void kill_hard() {
    if (pid_ > 0) ::kill(pid_, SIGKILL);
    lazy_unmount();
    if (pid_ > 0) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
      status_ = status;
      pid_ = -1;
    }
  }

  void lazy_unmount() {
    if (is_mtkfs_mount(mountpoint_)) ::umount2(mountpoint_.c_str(), MNT_DETACH);
  }

  // Waits (bounded) until the mount appears or the program exits; the result is also start_result().
  Start wait_started(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (is_mtkfs_mount(mountpoint_)) return start_ = Start::mounted;
      if (!alive()) return start_ = Start::exited;
      if (std::chrono::steady_clock::now() >= deadline) return start_ = Start::timed_out;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

 private:

  std::filesystem::path mountpoint_;
  std::filesystem::path log_file_;
  pid_t pid_ = -1;
  int status_ = -1;
  Start start_ = Start::timed_out;
};

}  // namespace mtkfs::testing
