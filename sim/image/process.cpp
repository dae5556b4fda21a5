#include "sim/image/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace mtkfs::sim::image::detail {
namespace {

bool is_executable(const std::filesystem::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

// The child's output goes to an unlinked temporary file: a pipe would need a reader thread to
// avoid blocking a chatty child, a file cannot fill up that way.
class OutputCapture {
 public:
  OutputCapture() {
    const char* tmp = std::getenv("TMPDIR");
    std::string name = std::string(tmp && *tmp ? tmp : "/tmp") + "/mtkfs-sim-tool-XXXXXX";
    fd_ = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error(std::string("cannot create a temporary file: ") + std::strerror(errno));
    ::unlink(name.c_str());
  }
  OutputCapture(const OutputCapture&) = delete;
  OutputCapture& operator=(const OutputCapture&) = delete;
  ~OutputCapture() { ::close(fd_); }
  int fd() const { return fd_; }
  std::string text() const {
    std::string out;
    char buf[4096];
    off_t off = 0;
    ssize_t n;
    while (out.size() < 16384 && (n = ::pread(fd_, buf, sizeof buf, off)) > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      off += n;
    }
    return out;
  }

 private:
  int fd_;
};

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace

std::filesystem::path find_program(const std::string& program, const std::string& package) {
  std::string search = "/usr/sbin:/sbin";
  if (const char* path = std::getenv("PATH"); path && *path) search = std::string(path) + ":" + search;
  std::istringstream dirs(search);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    std::filesystem::path candidate = std::filesystem::path(dir) / program;
    if (is_executable(candidate)) return candidate;
  }
  throw std::runtime_error(program + " not found in PATH, /usr/sbin or /sbin (install the " + package +
                           " package)");
}

void run_program(const std::filesystem::path& program, const std::vector<std::string>& args,
                 std::chrono::seconds timeout) {
  std::string command_line = program.string();
  std::vector<char*> argv{const_cast<char*>(program.c_str())};
  for (const auto& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
    command_line += " " + a;
  }
  argv.push_back(nullptr);

  OutputCapture output;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, output.fd(), 1);
  posix_spawn_file_actions_adddup2(&actions, output.fd(), 2);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + command_line + ": " + std::strerror(rc));

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR)
      throw std::runtime_error("waiting for " + command_line + " failed: " + std::strerror(errno));
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      throw std::runtime_error(command_line + " did not finish within " + std::to_string(timeout.count()) +
                               " s and was killed; output:\n" + output.text());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(command_line + " failed (" + describe_status(status) + "); output:\n" +
                             output.text());
}

}  // namespace mtkfs::sim::image::detail
