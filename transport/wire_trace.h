// `mtkfs --trace FILE`: every byte on the wire, both directions, one line per transfer, in the text
// format of docs/trace-format.md (which `mtkfs-sim --replay` reads back). The media record what they
// actually moved (each completed bulk transfer, each read()/write() result); the protocol layer only
// names the step it is in (Transport::note_step). Nothing here runs unless a trace was asked for.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

namespace mtkfs::transport {

enum class WireDirection { host_to_device, device_to_host };

// Thread-safe. Each line reaches the file with one write() as soon as it is recorded, so a trace
// of a killed process ends with complete lines (at worst a torn last one, which readers drop).
class WireTrace {
 public:
  // Creates or truncates `path` and writes the header. Throws TransportError.
  static std::shared_ptr<WireTrace> create(const std::string& path);
  ~WireTrace();
  WireTrace(const WireTrace&) = delete;
  WireTrace& operator=(const WireTrace&) = delete;

  // The protocol step that the following transfers belong to ("handshake byte A0", "D6 chunk").
  void set_step(std::string_view step);
  // One transfer: `bytes` is everything it moved (empty: a zero-length packet).
  void record(WireDirection direction, std::span<const std::uint8_t> bytes);
  // A session event (open, close, a failed read): a note line, ignored by replay.
  void note(std::string_view text);

  const std::string& path() const { return path_; }

 private:
  WireTrace(int fd, std::string path);
  void append_time(std::string& line) const;
  void write_line(const std::string& line);

  std::mutex mutex_;
  int fd_;
  std::string path_;
  std::chrono::steady_clock::time_point start_;
  std::string step_;
};

// The text pieces of a record line, shared with the tests.
namespace wire_text {
inline constexpr std::string_view kHeader = "# mtkfs wire trace 1";
inline constexpr std::string_view kHostToDevice = "H>D";
inline constexpr std::string_view kDeviceToHost = "D>H";
// "step" in double quotes; '"' and '\' escaped with '\', other control bytes as \xNN.
void append_quoted(std::string& out, std::string_view text);
// Lower-case hex without separators; "-" for no bytes.
void append_hex(std::string& out, std::span<const std::uint8_t> bytes);
}  // namespace wire_text

}  // namespace mtkfs::transport
