// The connection feedback of app/progress.h: what it draws, and that mtkfs draws it on a terminal
// only (and never with -q).
#include "app/progress.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include "tests/support/run_program.h"
#include "tests/install/programs.h"
#include "tests/support/sim_process.h"
#include "tests/support/temp_dir.h"

namespace mtkfs::testing {
namespace {

using namespace std::chrono_literals;

// A pipe whose write end is a FILE* for ConnectFeedback and whose read end the test reads.
class Pipe {
 public:
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    read_fd_ = fds[0];
    write_ = ::fdopen(fds[1], "w");
    if (!write_) throw std::runtime_error("fdopen failed");
  }
  ~Pipe() {
    close_write();
    ::close(read_fd_);
  }
  std::FILE* out() { return write_; }
  void close_write() {
    if (write_) std::fclose(write_);
    write_ = nullptr;
  }
  // Reads until `needle` has arrived, EOF, or the (generous) deadline; returns all read so far.
  std::string read_until(const std::string& needle, std::chrono::seconds limit = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (text_.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{read_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[512];
      const ssize_t n = ::read(read_fd_, buf, sizeof buf);
      if (n <= 0) break;
      text_.append(buf, static_cast<std::size_t>(n));
    }
    return text_;
  }
  std::string read_to_end() { return read_until(std::string(1, '\0')); }

 private:
  int read_fd_ = -1;
  std::FILE* write_ = nullptr;
  std::string text_;
};

TEST(UploadBar, ShowsStageFractionPercentAndBytes) {
  EXPECT_EQ(cli::upload_bar({2, 0, 4096}, 10), "DA stage 2/2 [----------]   0%  0/4096 bytes");
  EXPECT_EQ(cli::upload_bar({1, 2048, 4096}, 10), "DA stage 1/2 [#####-----]  50%  2048/4096 bytes");
  EXPECT_EQ(cli::upload_bar({2, 4096, 4096}, 10), "DA stage 2/2 [##########] 100%  4096/4096 bytes");
}

TEST(UploadBar, NeverOverflowsOnOddInput) {
  EXPECT_EQ(cli::upload_bar({1, 0, 0}, 4), "DA stage 1/2 [####] 100%  0/0 bytes");
  EXPECT_EQ(cli::upload_bar({1, 9000, 4096}, 4), "DA stage 1/2 [####] 100%  4096/4096 bytes");
}

TEST(SpinnerLine, TurnsAndCountsSeconds) {
  EXPECT_EQ(cli::spinner_line(0, 3), "| waiting for the device (3 s)");
  EXPECT_EQ(cli::spinner_line(1, 3), "/ waiting for the device (3 s)");
  EXPECT_EQ(cli::spinner_line(4, 12), "| waiting for the device (12 s)");
}

TEST(ConnectFeedback, DrawsTheBarInPlaceAndClearsItWhenAStageIsDone) {
  Pipe pipe;
  {
    cli::ConnectFeedback feedback(pipe.out());
    feedback.upload({2, 0, 8192});
    feedback.upload({2, 4096, 8192});
    feedback.upload({2, 8192, 8192});
  }
  pipe.close_write();
  const std::string text = pipe.read_to_end();
  EXPECT_EQ(text, "\r" + cli::upload_bar({2, 0, 8192}) + "\033[K" + "\r" + cli::upload_bar({2, 4096, 8192}) +
                      "\033[K" + "\r\033[K");
}

TEST(ConnectFeedback, SpinsWhileTheDeviceIsAwaitedAndClearsTheLineAfterwards) {
  Pipe pipe;
  std::string seen;
  {
    cli::ConnectFeedback feedback(pipe.out());
    // The "device" appears once the spinner has been seen: no sleeps, no timing assumptions.
    auto link = feedback.wait_for_device([&]() -> std::unique_ptr<transport::Transport> {
      seen = pipe.read_until("waiting for the device");
      return nullptr;
    });
    EXPECT_EQ(link, nullptr);
  }
  EXPECT_NE(seen.find("| waiting for the device ("), std::string::npos) << seen;
  pipe.close_write();
  const std::string text = pipe.read_to_end();
  EXPECT_EQ(text.substr(text.size() - 4), "\r\033[K") << "the spinner line is erased";
}

TEST(ConnectFeedback, AFailedWaitStopsTheSpinnerAndPassesTheErrorOn) {
  Pipe pipe;
  cli::ConnectFeedback feedback(pipe.out());
  EXPECT_THROW(feedback.wait_for_device([]() -> std::unique_ptr<transport::Transport> {
    throw transport::TimeoutError("no device");
  }),
               transport::TimeoutError);
}

// Runs mtkfs with stderr on a pseudo-terminal and returns what appeared there.
std::string run_on_terminal(const std::vector<std::string>& args, int& exit_code) {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) throw std::runtime_error("no pty");
  const std::string slave_name = ::ptsname(master);
  const std::string program = mtkfs_program();
  const ExecArgs argv(program, args);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int slave = ::open(slave_name.c_str(), O_RDWR | O_NOCTTY);
    const int null = ::open("/dev/null", O_WRONLY);
    if (slave < 0 || null < 0) ::_exit(126);
    ::dup2(slave, STDERR_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::execv(program.c_str(), argv.argv());
    ::_exit(127);
  }
  std::string text;
  int status = 0;
  bool exited = false;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0 && (p.revents & POLLIN)) {
      char buf[1024];
      const ssize_t n = ::read(master, buf, sizeof buf);
      if (n > 0) text.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (exited) break;  // exited and nothing more to read
    exited = ::waitpid(pid, &status, WNOHANG) == pid;
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  ::close(master);
  exit_code = exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return text;
}

class FeedbackOnATerminal : public ::testing::Test {
 protected:
  TempDir dir;
  std::string da = (dir / "da.bin").string();

  void SetUp() override {
    ASSERT_EQ(run_program(mtkfs_sim_program(), {"make-da", da}).exit_code, 0);
    ASSERT_EQ(
        run_program(mtkfs_sim_program(), {"init", (dir / "img").string(), "--layout", "none"}).exit_code, 0);
  }
  SimProcess start_sim() {
    return SimProcess({"--dir", (dir / "img").string(), "--socket", (dir / "sim.sock").string()});
  }
};

TEST_F(FeedbackOnATerminal, MtkfsDrawsBothUploadStages) {
  SimProcess sim = start_sim();
  int exit_code = -1;
  const std::string text = run_on_terminal({"--info", "--socket", sim.socket_path(), "--da", da}, exit_code);
  EXPECT_EQ(exit_code, 0) << text;
  EXPECT_NE(text.find("DA stage 1/2 ["), std::string::npos) << text;
  EXPECT_NE(text.find("DA stage 2/2 ["), std::string::npos) << text;
  EXPECT_EQ(text.substr(text.size() - 4), "\r\033[K") << "the last bar is erased";
}

TEST_F(FeedbackOnATerminal, QuietMeansNothingOnTheTerminal) {
  SimProcess sim = start_sim();
  int exit_code = -1;
  const std::string text =
      run_on_terminal({"--info", "-q", "--socket", sim.socket_path(), "--da", da}, exit_code);
  EXPECT_EQ(exit_code, 0) << text;
  EXPECT_EQ(text, "");
}

}  // namespace
}  // namespace mtkfs::testing
