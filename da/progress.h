// Progress of the two DA uploads, for a program that wants to draw it (mtkfs' progress bar).
#pragma once

#include <cstdint>
#include <functional>

namespace mtkfs::da {

struct UploadProgress {
  int stage = 1;            // 1: stage 1 through the Preloader (SEND_DA), 2: stage 2 through DA1
  std::uint64_t sent = 0;   // bytes the device has taken so far
  std::uint64_t total = 0;  // bytes of this stage
};

// Called once with sent == 0 and after every piece. It runs in the middle of an upload, so it
// must not throw: an exception would leave the device with half an image.
using UploadProgressFn = std::function<void(const UploadProgress&)>;

}  // namespace mtkfs::da
