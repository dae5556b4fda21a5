#include "sim/replay/trace_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace mtkfs::sim::replay {
namespace {

constexpr std::string_view kHeader = "# mtkfs wire trace 1";
constexpr std::string_view kHeaderPrefix = "# mtkfs wire trace ";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

std::uint64_t to_number(std::string_view digits) {
  std::uint64_t value = 0;
  for (const char c : digits) value = value * 10 + static_cast<std::uint64_t>(c - '0');
  return value;
}

// One line, taken apart left to right; every complaint names the line.
class LineParser {
 public:
  LineParser(std::string_view text, std::size_t line) : rest_(text), line_(line) {}

  [[noreturn]] void fail(const std::string& message) const { throw TraceFormatError(line_, message); }

  // Up to the next space (or the end); the space is consumed.
  std::string_view word(const char* what) {
    const std::size_t space = rest_.find(' ');
    const std::string_view w = rest_.substr(0, space);
    if (w.empty()) fail(std::string("missing ") + what);
    rest_.remove_prefix(space == std::string_view::npos ? rest_.size() : space + 1);
    return w;
  }

  // "SECONDS.MICROS" (the fraction may be shorter or absent).
  std::uint64_t time() {
    const std::string_view w = word("time");
    const std::size_t dot = w.find('.');
    const std::string_view whole = w.substr(0, dot);
    const std::string_view fraction = dot == std::string_view::npos ? std::string_view() : w.substr(dot + 1);
    if (!all_digits(whole) || whole.size() > 12 || (dot != std::string_view::npos && !all_digits(fraction)) ||
        fraction.size() > 6)
      fail("bad time '" + std::string(w) + "' (expected seconds like 12.000345)");
    std::uint64_t micros = to_number(fraction);
    for (std::size_t i = fraction.size(); i < 6; ++i) micros *= 10;
    return to_number(whole) * 1'000'000 + micros;
  }

  std::size_t length() {
    const std::string_view w = word("length");
    if (!all_digits(w) || w.size() > 9 || to_number(w) > kMaxRecordBytes)
      fail("bad length '" + std::string(w) + "'");
    return static_cast<std::size_t>(to_number(w));
  }

  std::string quoted() {
    if (rest_.empty() || rest_[0] != '"') fail("missing the quoted step");
    std::string out;
    std::size_t i = 1;
    for (;; ++i) {
      if (i >= rest_.size()) fail("unterminated step (no closing '\"')");
      const char c = rest_[i];
      if (c == '"') break;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i + 1 >= rest_.size()) fail("unterminated escape in the step");
      const char e = rest_[++i];
      if (e == '"' || e == '\\') {
        out += e;
      } else if (e == 'x' && i + 2 < rest_.size() && hex_digit(rest_[i + 1]) >= 0 && hex_digit(rest_[i + 2]) >= 0) {
        out += static_cast<char>(hex_digit(rest_[i + 1]) * 16 + hex_digit(rest_[i + 2]));
        i += 2;
      } else {
        fail("bad escape in the step (only \\\", \\\\ and \\xNN)");
      }
    }
    rest_.remove_prefix(i + 1);
    if (rest_.empty() || rest_[0] != ' ') fail("missing the bytes after the step");
    rest_.remove_prefix(1);
    return out;
  }

  std::vector<std::uint8_t> bytes(std::size_t length) {
    const std::string_view w = rest_;
    rest_ = {};
    if (length == 0) {
      if (w != "-") fail("a zero-length record has '-' for its bytes");
      return {};
    }
    if (w.size() != 2 * length)
      fail("the record says " + std::to_string(length) + " bytes but holds " + std::to_string(w.size()) +
           " hex digits");
    std::vector<std::uint8_t> out(length);
    for (std::size_t i = 0; i < length; ++i) {
      const int hi = hex_digit(w[2 * i]);
      const int lo = hex_digit(w[2 * i + 1]);
      if (hi < 0 || lo < 0) fail("not a hex digit in byte " + std::to_string(i));
      out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    return out;
  }

  std::string_view rest() {
    const std::string_view r = rest_;
    rest_ = {};
    return r;
  }

 private:
  std::string_view rest_;
  std::size_t line_;
};

void check_header(std::string_view first, std::size_t line) {
  if (first == kHeader) return;
  if (first.substr(0, kHeaderPrefix.size()) == kHeaderPrefix)
    throw TraceFormatError(line, "format version '" + std::string(first.substr(kHeaderPrefix.size())) +
                                     "' is not supported (this reader knows version 1)");
  throw TraceFormatError(line, "not an mtkfs wire trace (the first line must be '" + std::string(kHeader) + "')");
}

TraceEntry parse_line(std::string_view text, std::size_t line) {
  LineParser p(text, line);
  TraceEntry entry;
  entry.line = line;
  const std::string_view kind = p.word("record kind");
  if (kind == "@") {
    entry.kind = TraceEntry::Kind::note;
    entry.micros = p.time();
    entry.text = std::string(p.rest());
    return entry;
  }
  if (kind == "H>D") {
    entry.kind = TraceEntry::Kind::host_bytes;
  } else if (kind == "D>H") {
    entry.kind = TraceEntry::Kind::device_bytes;
  } else {
    p.fail("unknown line kind '" + std::string(kind.substr(0, 16)) + "' (expected H>D, D>H, @ or #)");
  }
  entry.micros = p.time();
  const std::size_t length = p.length();
  entry.text = p.quoted();
  entry.bytes = p.bytes(length);
  return entry;
}

}  // namespace

ParsedTrace parse_trace(std::string_view text) {
  ParsedTrace trace;
  std::size_t line = 0;
  while (!text.empty()) {
    ++line;
    const std::size_t newline = text.find('\n');
    const bool torn = newline == std::string_view::npos;
    std::string_view current = text.substr(0, newline);
    text.remove_prefix(torn ? text.size() : newline + 1);
    while (!current.empty() && current.back() == '\r') current.remove_suffix(1);
    try {
      if (line == 1) {
        check_header(current, line);
        continue;
      }
      if (current.empty() || current[0] == '#') continue;
      trace.entries.push_back(parse_line(current, line));
    } catch (const TraceFormatError& e) {
      if (!torn || line == 1) throw;
      trace.warnings.push_back(std::string("dropped the torn last line: ") + e.what());
    }
  }
  if (line == 0) throw TraceFormatError(1, "empty file, not an mtkfs wire trace");
  return trace;
}

ParsedTrace load_trace(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open trace " + path.string() + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read trace " + path.string());
  try {
    return parse_trace(text.view());
  } catch (const TraceFormatError& e) {
    throw std::runtime_error(path.string() + ": " + e.what());
  }
}

}  // namespace mtkfs::sim::replay
