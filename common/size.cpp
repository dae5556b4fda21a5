#include "common/size.h"

#include <cctype>
#include <charconv>
#include <limits>
#include <stdexcept>
#include <string>

namespace mtkfs {

std::uint64_t parse_size(std::string_view text, std::string_view what) {
  const std::string bad = "bad " + std::string(what) + " '" + std::string(text) +
                          "': use a byte count, 0x followed by hex digits, or a number with K, M, G or T "
                          "(binary multiples), e.g. 256M";
  std::string_view digits = text;
  int base = 10;
  if (digits.size() > 1 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    digits.remove_prefix(2);
    base = 16;
  }
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (error != std::errc() || end == digits.data()) throw std::invalid_argument(bad);
  std::string suffix(end, digits.data() + digits.size());
  for (auto& c : suffix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (suffix.size() == 3 && suffix.substr(1) == "IB") suffix.resize(1);
  if (suffix.size() == 2 && suffix[1] == 'B') suffix.resize(1);
  unsigned shift = 0;
  if (suffix.empty() || suffix == "B")
    shift = 0;
  else if (suffix == "K")
    shift = 10;
  else if (suffix == "M")
    shift = 20;
  else if (suffix == "G")
    shift = 30;
  else if (suffix == "T")
    shift = 40;
  else
    throw std::invalid_argument(bad);
  // A hex number is an exact byte count (an address or a region size as a datasheet gives it).
  if (base == 16 && shift != 0) throw std::invalid_argument(bad);
  if (value > (std::numeric_limits<std::uint64_t>::max() >> shift)) throw std::invalid_argument(bad);
  return value << shift;
}

}  // namespace mtkfs
