// The simulator's own reader of `mtkfs --trace` files (docs/trace-format.md). It shares no code
// with the writer in transport/ (the simulator never links the host side): the format document is
// the contract, and tests/sim checks the two against each other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mtkfs::sim::replay {

struct TraceEntry {
  enum class Kind { host_bytes, device_bytes, note };
  Kind kind = Kind::note;
  std::size_t line = 0;             // 1-based line in the file
  std::uint64_t micros = 0;         // time since the trace was opened
  std::string text;                 // a record's protocol step, a note's text
  std::vector<std::uint8_t> bytes;  // a record's bytes (empty: a zero-length transfer)
};

struct ParsedTrace {
  std::vector<TraceEntry> entries;  // records and notes, in file order
  std::vector<std::string> warnings;
};

class TraceFormatError : public std::runtime_error {
 public:
  TraceFormatError(std::size_t line, const std::string& message)
      : std::runtime_error("trace line " + std::to_string(line) + ": " + message), line_(line) {}
  std::size_t line() const { return line_; }

 private:
  std::size_t line_;
};

// Largest record the reader accepts (the host reads 1 MiB chunks; a medium never moves more at once).
inline constexpr std::size_t kMaxRecordBytes = std::size_t{64} << 20;

// The whole text of a trace. Throws TraceFormatError for anything that is not the format, except a
// torn last line (no newline: the recording process was killed while writing it), which is dropped
// with a warning.
ParsedTrace parse_trace(std::string_view text);

// Reads and parses a file; std::runtime_error when it cannot be read.
ParsedTrace load_trace(const std::filesystem::path& path);

}  // namespace mtkfs::sim::replay
