// What a user sees on the terminal while mtkfs connects: a spinner while it waits for the device
// and a bar for each DA upload stage. Drawn only on a terminal and never with -q: scripts and the
// tests read stderr and expect it empty on success, and a log file has no use for \r animations.
#pragma once

#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "da/progress.h"
#include "transport/transport.h"

namespace mtkfs::cli {

// "DA stage 2/2 [##########----------]  50%  131072/262144 bytes"; `width` is the bar's inside.
std::string upload_bar(const da::UploadProgress& progress, std::size_t width = 30);

// "| waiting for the device (3 s)", the spinner character chosen by `frame`.
std::string spinner_line(unsigned frame, unsigned seconds);

// True when feedback goes to `fd`: not -q, and `fd` is a terminal.
bool feedback_wanted(bool quiet, int fd);

class ConnectFeedback {
 public:
  using OpenFn = std::function<std::unique_ptr<transport::Transport>()>;

  explicit ConnectFeedback(std::FILE* out) : out_(out) {}
  ~ConnectFeedback();  // leaves the terminal line empty for whatever is printed next
  ConnectFeedback(const ConnectFeedback&) = delete;
  ConnectFeedback& operator=(const ConnectFeedback&) = delete;

  // Runs `open` (which may wait for the device for a long time) with a spinner on the line. The
  // spinner starts after a second, so that a device already present gets no flicker and the
  // transport's one-time hint line ("Plug in the device...") comes first.
  std::unique_ptr<transport::Transport> wait_for_device(const OpenFn& open);

  // Draws the bar; the line is cleared when a stage is complete.
  void upload(const da::UploadProgress& progress);

 private:
  void draw(const std::string& text);  // callers hold mutex_
  void clear();                        // callers hold mutex_

  std::FILE* out_;
  std::mutex mutex_;
  bool line_used_ = false;
};

}  // namespace mtkfs::cli
