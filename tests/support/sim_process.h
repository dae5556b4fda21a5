// RAII runner for the real mtkfs-sim program in tests: starts it (mtkfs_sim_program()) with the given
// arguments, waits (bounded) for its first stdout line, and on destruction sends SIGTERM, then SIGKILL
// after a grace period, and reaps it.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/exec_args.h"
#include "tests/support/program_paths.h"

namespace mtkfs::testing {

class SimProcess {
 public:
  explicit SimProcess(const std::vector<std::string>& args,
                      std::chrono::milliseconds startup_timeout = std::chrono::seconds(20)) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    const std::string bin = mtkfs_sim_program();
    const ExecArgs argv(bin, args);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::execv(bin.c_str(), argv.argv());
      ::_exit(127);
    }
    ::close(out[1]);
    stdout_fd_ = out[0];
    first_line_ = read_line(startup_timeout);
  }

  ~SimProcess() {
    stop();
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
  }
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& first_line() const { return first_line_; }

  // "mtkfs-sim: listening on socket PATH" -> PATH
  std::string socket_path() const { return after_prefix("mtkfs-sim: listening on socket "); }
  // "mtkfs-sim: pty PATH" -> PATH
  std::string pty_path() const { return after_prefix("mtkfs-sim: pty "); }

  // Waits (bounded) for the program to exit by itself; returns its wait status, or -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        exit_status_ = status;
        return status;
      }
      if (std::chrono::steady_clock::now() >= deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return exit_status_;
  }

  // SIGTERM, up to 5 s grace, then SIGKILL; returns the wait status.
  int stop() {
    if (pid_ <= 0) return exit_status_;
    ::kill(pid_, SIGTERM);
    if (wait_exit(std::chrono::seconds(5)) != -1) return exit_status_;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    exit_status_ = status;
    return status;
  }

 private:
  std::string read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        stop();
        throw std::runtime_error("mtkfs-sim printed no first line in time (got '" + line + "')");
      }
      pollfd p{stdout_fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char c;
      const ssize_t n = ::read(stdout_fd_, &c, 1);
      if (n == 1) {
        if (c == '\n') return line;
        line += c;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      const int status = stop();
      throw std::runtime_error("mtkfs-sim exited before its first line (status " + std::to_string(status) +
                               ", got '" + line + "')");
    }
  }

  std::string after_prefix(const std::string& prefix) const {
    if (first_line_.rfind(prefix, 0) != 0) {
      throw std::runtime_error("unexpected first line from mtkfs-sim: '" + first_line_ + "'");
    }
    return first_line_.substr(prefix.size());
  }

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int exit_status_ = -1;
  std::string first_line_;
};

}  // namespace mtkfs::testing
