// `--trace FILE`: both directions with timestamps, one line per unit sent / per protocol read.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <span>
#include <string_view>

namespace mtkfs::sim {

class Trace {
 public:
  explicit Trace(const std::filesystem::path& file);  // throws std::runtime_error
  ~Trace();
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;

  enum class Direction { host_to_device, device_to_host };
  void record(Direction direction, std::string_view what, std::span<const std::uint8_t> bytes);
  void note(std::string_view text);

 private:
  void write_line(std::string_view line);

  std::mutex mutex_;
  std::FILE* file_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace mtkfs::sim
