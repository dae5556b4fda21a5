// The two checksums of the protocol, in the shape the device needs them: incremental, plain loops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace mtkfs::sim {

// SEND_DA checksum (docs/protocol/preloader.md §5.7): XOR of the data as little-endian 16-bit words; an odd
// last byte counts as a word with high byte 0. Incremental because the data arrives in arbitrary pieces.
class Xor16 {
 public:
  void update(std::span<const std::uint8_t> data) {
    for (std::uint8_t byte : data) {
      value_ ^= odd_ ? static_cast<std::uint16_t>(byte << 8) : byte;
      odd_ = !odd_;
    }
  }
  std::uint16_t value() const { return value_; }

 private:
  std::uint16_t value_ = 0;
  bool odd_ = false;
};

// D6/62 chunk checksum (docs/protocol/legacy-da.md §9): sum of the bytes modulo 0x10000. The plain byte loop
// on purpose: the simulator is the oracle the client is tested against, so it does not share the client's SSE2 code.
inline std::uint16_t byte_sum16(std::span<const std::uint8_t> data) {
  std::uint16_t sum = 0;
  for (std::uint8_t byte : data) sum = static_cast<std::uint16_t>(sum + byte);
  return sum;
}

}  // namespace mtkfs::sim
