#include "sim/trace.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace mtkfs::sim {
namespace {
// Large data (read chunks) would make traces unusable; its head and length are enough to follow a run.
constexpr std::size_t kMaxTracedBytes = 32;
}  // namespace

Trace::Trace(const std::filesystem::path& file)
    : file_(std::fopen(file.c_str(), "w")), start_(std::chrono::steady_clock::now()) {
  if (!file_) {
    throw std::runtime_error("cannot open trace file " + file.string() + ": " + std::strerror(errno));
  }
}

Trace::~Trace() { std::fclose(file_); }

void Trace::record(Direction direction, std::string_view what, std::span<const std::uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string line = direction == Direction::host_to_device ? "H>D " : "D>H ";
  line.append(what);
  line += ' ';
  line += std::to_string(bytes.size());
  line += ':';
  const std::size_t shown = bytes.size() > kMaxTracedBytes ? kMaxTracedBytes : bytes.size();
  for (std::size_t i = 0; i < shown; ++i) {
    line += ' ';
    line += kHex[bytes[i] >> 4];
    line += kHex[bytes[i] & 0xF];
  }
  if (shown < bytes.size()) line += " ... (" + std::to_string(bytes.size()) + " bytes)";
  write_line(line);
}

void Trace::note(std::string_view text) { write_line(std::string("--- ").append(text)); }

void Trace::write_line(std::string_view line) {
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::lock_guard lock(mutex_);
  std::fprintf(file_, "%12.6f %.*s\n", elapsed, static_cast<int>(line.size()), line.data());
  // Flushed per line so a trace is complete even when the process is killed.
  std::fflush(file_);
}

}  // namespace mtkfs::sim
