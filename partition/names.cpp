#include "partition/names.h"

#include <set>

#include "partition/little_endian.h"

namespace mtkfs::partition {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_high_surrogate(char32_t u) { return u >= 0xD800 && u <= 0xDBFF; }
bool is_low_surrogate(char32_t u) { return u >= 0xDC00 && u <= 0xDFFF; }

// Length of the valid UTF-8 sequence at `s[i]`, or 0 if it is malformed (overlong, surrogate,
// beyond U+10FFFF or truncated).
std::size_t valid_utf8_length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  std::size_t len;
  char32_t min_cp;
  char32_t cp;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, min_cp = 0x80, cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, min_cp = 0x800, cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, min_cp = 0x10000, cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool is_safe_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '+' || c == '-';
}

}  // namespace

std::string utf16le_to_utf8(std::span<const std::uint8_t> bytes) {
  std::string out;
  const std::size_t units = bytes.size() / 2;
  for (std::size_t i = 0; i < units; ++i) {
    const char32_t unit = detail::le16(bytes, 2 * i);
    if (unit == 0) break;
    if (is_high_surrogate(unit) && i + 1 < units) {
      const char32_t next = detail::le16(bytes, 2 * (i + 1));
      if (is_low_surrogate(next)) {
        append_utf8(out, 0x10000 + ((unit - 0xD800) << 10) + (next - 0xDC00));
        ++i;
        continue;
      }
    }
    append_utf8(out, is_high_surrogate(unit) || is_low_surrogate(unit) ? kReplacement : unit);
  }
  return out;
}

std::string sanitize_utf8(std::span<const std::uint8_t> bytes) {
  std::size_t end = 0;
  while (end < bytes.size() && bytes[end] != 0) ++end;
  const std::string_view raw(reinterpret_cast<const char*>(bytes.data()), end);
  std::string out;
  for (std::size_t i = 0; i < raw.size();) {
    if (const std::size_t len = valid_utf8_length(raw, i)) {
      out.append(raw.substr(i, len));
      i += len;
    } else {
      append_utf8(out, kReplacement);
      ++i;
    }
  }
  return out;
}

std::string safe_file_name(std::string_view label) {
  std::string out;
  for (std::size_t i = 0; i < label.size();) {
    const char c = label[i];
    if (is_safe_char(c)) {
      out += c;
      ++i;
      continue;
    }
    out += '_';
    // One '_' per code point, so "ü" gives "_" and not "__".
    const std::size_t len = valid_utf8_length(label, i);
    i += len == 0 ? 1 : len;
  }
  if (!out.empty() && out.front() == '.') out.front() = '_';
  return out;
}

void assign_file_names(std::vector<Extent>& extents) {
  std::set<std::string> used;
  for (Extent& extent : extents) {
    std::string base = safe_file_name(extent.label);
    if (base.empty()) base = "p" + std::to_string(extent.number);
    std::string name = base;
    for (int suffix = 2; used.count(name) != 0; ++suffix) name = base + "_" + std::to_string(suffix);
    used.insert(name);
    extent.name = std::move(name);
  }
}

}  // namespace mtkfs::partition
