#include "transport/wire_trace.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "transport/transport.h"

namespace mtkfs::transport {

namespace wire_text {

void append_quoted(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
}

void append_hex(std::string& out, std::span<const std::uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  if (bytes.empty()) {
    out += '-';
    return;
  }
  const std::size_t at = out.size();
  out.resize(at + 2 * bytes.size());
  char* p = out.data() + at;
  for (const std::uint8_t b : bytes) {
    *p++ = kHex[b >> 4];
    *p++ = kHex[b & 0xF];
  }
}

}  // namespace wire_text

namespace {

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

std::shared_ptr<WireTrace> WireTrace::create(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw TransportError("cannot create trace file " + path + ": " + std::strerror(errno));
  std::shared_ptr<WireTrace> trace(new WireTrace(fd, path));
  std::string header(wire_text::kHeader);
  header += "\n# format: docs/trace-format.md; times: seconds since " + utc_now() + " (monotonic)\n";
  trace->write_line(header);
  return trace;
}

WireTrace::WireTrace(int fd, std::string path)
    : fd_(fd), path_(std::move(path)), start_(std::chrono::steady_clock::now()) {}

WireTrace::~WireTrace() { ::close(fd_); }

void WireTrace::set_step(std::string_view step) {
  std::lock_guard lock(mutex_);
  step_.assign(step);
}

void WireTrace::append_time(std::string& line) const {
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::steady_clock::now() - start_).count();
  char text[32];
  std::snprintf(text, sizeof text, "%lld.%06lld", static_cast<long long>(elapsed / 1'000'000),
                static_cast<long long>(elapsed % 1'000'000));
  line += text;
}

void WireTrace::record(WireDirection direction, std::span<const std::uint8_t> bytes) {
  std::lock_guard lock(mutex_);
  std::string line;
  line.reserve(64 + step_.size() + 2 * bytes.size());
  line += direction == WireDirection::host_to_device ? wire_text::kHostToDevice : wire_text::kDeviceToHost;
  line += ' ';
  append_time(line);
  line += ' ';
  line += std::to_string(bytes.size());
  line += ' ';
  wire_text::append_quoted(line, step_);
  line += ' ';
  wire_text::append_hex(line, bytes);
  line += '\n';
  write_line(line);
}

void WireTrace::note(std::string_view text) {
  std::lock_guard lock(mutex_);
  std::string line = "@ ";
  append_time(line);
  line += ' ';
  for (const char c : text) line += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  line += '\n';
  write_line(line);
}

// A trace is a diagnostic: a full disk must not end the session, so write errors are dropped.
void WireTrace::write_line(const std::string& line) {
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace mtkfs::transport
