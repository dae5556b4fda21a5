#include "app/background.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

namespace mtkfs::cli {
namespace {

constexpr char kReady[] = "ok";
constexpr std::size_t kReadyLength = sizeof kReady - 1;

// Parent side: the child's "ok", or its end.
int wait_for_verdict(int fd, pid_t child) {
  std::string got;
  char buffer[16];
  while (got.size() < kReadyLength) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (got == kReady) return 0;  // the child serves on; it is not ours to wait for any more

  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      std::fprintf(stderr, "mtkfs: lost track of the mount process: %s\n", std::strerror(errno));
      return 1;
    }
  }
  if (WIFEXITED(status)) {
    // The child printed its own error; a 0 here would mean it ended without mounting or saying so.
    if (WEXITSTATUS(status) == 0) std::fprintf(stderr, "mtkfs: the mount process ended without mounting\n");
    return WEXITSTATUS(status) == 0 ? 1 : WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status))
    std::fprintf(stderr, "mtkfs: the mount process was killed by signal %d (%s)\n", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
  return 1;
}

}  // namespace

StartupReport::~StartupReport() {
  if (fd_ >= 0) ::close(fd_);  // the parent reads EOF: failure
}

void StartupReport::detach() {
  if (fd_ < 0) throw std::logic_error("StartupReport::detach without fork_into_background");
  // From here on the mount must outlive the parent.
  ::prctl(PR_SET_PDEATHSIG, 0);
  // A parent that is gone must surface as an error of write(), not kill us with SIGPIPE (libfuse
  // ignores SIGPIPE later anyway).
  ::signal(SIGPIPE, SIG_IGN);
  ssize_t n;
  do {
    n = ::write(fd_, kReady, kReadyLength);
  } while (n < 0 && errno == EINTR);
  ::close(fd_);
  fd_ = -1;
  if (n != static_cast<ssize_t>(kReadyLength))
    throw std::runtime_error("the mtkfs process that started this mount is gone; unmounting");

  ::setsid();
  if (::chdir("/") != 0) {
    // Only keeps a directory busy; not a reason to fail a working mount.
  }
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    if (null > STDERR_FILENO) ::close(null);
  }
  detached_ = true;
}

std::optional<int> fork_into_background(StartupReport& child) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("cannot create a pipe: ") + std::strerror(errno));
  std::fflush(nullptr);  // buffered output would otherwise be written twice
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(std::string("cannot fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    ::close(fds[0]);
    child.fd_ = fds[1];
    // Ctrl-C reaches both processes, a kill of the waiting parent does not: then stop starting up
    // (until detach() the child has nothing that needs an orderly end, except in the moment between
    // mounting and detaching).
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    return std::nullopt;
  }
  ::close(fds[1]);
  return wait_for_verdict(fds[0], pid);
}

}  // namespace mtkfs::cli
