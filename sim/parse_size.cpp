#include <cctype>
#include <stdexcept>
#include <string>

#include "sim/sim.h"

namespace mtkfs::sim {

std::uint64_t parse_size(std::string_view text) {
  const std::string original(text);
  auto fail = [&](const char* why) -> std::uint64_t {
    throw std::invalid_argument("invalid size '" + original + "': " + why);
  };
  if (text.empty()) return fail("empty");
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  std::uint64_t value = 0;
  std::size_t i = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    int digit;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if (base == 16 && std::isxdigit(static_cast<unsigned char>(c))) digit = std::tolower(c) - 'a' + 10;
    else break;
    if (value > (UINT64_MAX - static_cast<std::uint64_t>(digit)) / static_cast<std::uint64_t>(base)) {
      return fail("too large");
    }
    value = value * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(digit);
  }
  if (i == 0) return fail("no digits");
  std::string suffix(text.substr(i));
  for (char& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Binary multiples only: device sizes are powers of two, and "256M" meaning 256 MiB is what users expect.
  unsigned shift = 0;
  if (suffix.empty() || suffix == "b") shift = 0;
  else if (suffix == "k" || suffix == "kb" || suffix == "kib") shift = 10;
  else if (suffix == "m" || suffix == "mb" || suffix == "mib") shift = 20;
  else if (suffix == "g" || suffix == "gb" || suffix == "gib") shift = 30;
  else if (suffix == "t" || suffix == "tb" || suffix == "tib") shift = 40;
  else return fail("unknown suffix (use k, M, G, T)");
  if (shift && value > (UINT64_MAX >> shift)) return fail("too large");
  return value << shift;
}

}  // namespace mtkfs::sim
