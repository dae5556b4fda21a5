// The protocol's integers are big-endian on the wire; the simulator reads and writes them with these
// (its own, not da/'s: the oracle shares no logic with the host side).
#pragma once

#include <cstdint>

namespace mtkfs::sim {

inline std::uint64_t load_be(const std::uint8_t* at, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = value << 8 | at[i];
  return value;
}

inline void store_be(std::uint8_t* at, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i, value >>= 8) at[i] = static_cast<std::uint8_t>(value);
}

inline std::uint32_t be32(const std::uint8_t* at) { return static_cast<std::uint32_t>(load_be(at, 4)); }
inline std::uint64_t be64(const std::uint8_t* at) { return load_be(at, 8); }

}  // namespace mtkfs::sim
