#include "app/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stop_token>
#include <thread>

namespace mtkfs::cli {
namespace {

constexpr auto kSpinnerDelay = std::chrono::seconds(1);
constexpr auto kSpinnerFrame = std::chrono::milliseconds(125);
constexpr char kSpinnerChars[] = {'|', '/', '-', '\\'};

}  // namespace

std::string upload_bar(const da::UploadProgress& p, std::size_t width) {
  // A total of 0 would divide by zero; an empty stage is simply complete.
  const std::uint64_t total = p.total == 0 ? 1 : p.total;
  const std::uint64_t sent = p.total == 0 ? 1 : std::min(p.sent, p.total);
  const std::size_t filled = static_cast<std::size_t>(sent * width / total);
  const unsigned percent = static_cast<unsigned>(sent * 100 / total);
  std::string line = "DA stage " + std::to_string(p.stage) + "/2 [";
  line.append(filled, '#');
  line.append(width - filled, '-');
  char tail[64];
  std::snprintf(tail, sizeof tail, "] %3u%%  %llu/%llu bytes", percent,
                static_cast<unsigned long long>(std::min(p.sent, p.total)),
                static_cast<unsigned long long>(p.total));
  return line + tail;
}

std::string spinner_line(unsigned frame, unsigned seconds) {
  return std::string(1, kSpinnerChars[frame % sizeof kSpinnerChars]) + " waiting for the device (" +
         std::to_string(seconds) + " s)";
}

bool feedback_wanted(bool quiet, int fd) { return !quiet && ::isatty(fd) == 1; }

ConnectFeedback::~ConnectFeedback() {
  std::lock_guard lock(mutex_);
  clear();
}

std::unique_ptr<transport::Transport> ConnectFeedback::wait_for_device(const OpenFn& open) {
  const auto start = std::chrono::steady_clock::now();
  std::condition_variable_any wake;
  std::jthread spinner([this, start, &wake](std::stop_token stop) {
    std::unique_lock lock(mutex_);
    if (wake.wait_for(lock, stop, kSpinnerDelay, [] { return false; }) || stop.stop_requested()) return;
    for (unsigned frame = 0; !stop.stop_requested(); ++frame) {
      const auto elapsed = std::chrono::steady_clock::now() - start;
      draw(spinner_line(
          frame, static_cast<unsigned>(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count())));
      wake.wait_for(lock, stop, kSpinnerFrame, [] { return false; });
    }
  });
  struct StopSpinner {
    std::jthread& thread;
    ConnectFeedback& self;
    ~StopSpinner() {
      thread.request_stop();
      thread.join();
      std::lock_guard lock(self.mutex_);
      self.clear();
    }
  } stop_spinner{spinner, *this};
  return open();
}

void ConnectFeedback::upload(const da::UploadProgress& progress) {
  std::lock_guard lock(mutex_);
  if (progress.sent >= progress.total)
    clear();
  else
    draw(upload_bar(progress));
}

void ConnectFeedback::draw(const std::string& text) {
  // \033[K erases what a longer previous line left behind.
  std::fprintf(out_, "\r%s\033[K", text.c_str());
  std::fflush(out_);
  line_used_ = true;
}

void ConnectFeedback::clear() {
  if (!line_used_) return;
  std::fputs("\r\033[K", out_);
  std::fflush(out_);
  line_used_ = false;
}

}  // namespace mtkfs::cli
