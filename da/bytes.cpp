#include "da/bytes.h"

#include <cstdio>

namespace mtkfs::da::bytes {

std::string hex(std::span<const std::uint8_t> data, std::size_t limit) {
  std::string out;
  const std::size_t shown = data.size() < limit ? data.size() : limit;
  for (std::size_t i = 0; i < shown; ++i) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%02X", data[i]);
    if (i) out += ' ';
    out += buf;
  }
  if (shown < data.size()) out += " …(" + std::to_string(data.size()) + " bytes)";
  if (data.empty()) out = "(nothing)";
  return out;
}

std::string hex_number(std::uint64_t value, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%0*llX", digits, static_cast<unsigned long long>(value));
  return buf;
}

}  // namespace mtkfs::da::bytes
