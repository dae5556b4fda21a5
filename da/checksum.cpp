#include "da/checksum.h"

namespace mtkfs::da {

void SendDaChecksum::update(std::span<const std::uint8_t> data) {
  for (std::uint8_t byte : data) {
    value_ ^= odd_ ? static_cast<std::uint16_t>(byte << 8) : byte;
    odd_ = !odd_;
  }
}

std::uint16_t send_da_checksum(std::span<const std::uint8_t> data) {
  SendDaChecksum sum;
  sum.update(data);
  return sum.value();
}

std::uint16_t chunk_checksum(std::span<const std::uint8_t> data) {
  std::uint32_t sum = 0;
  for (std::uint8_t byte : data) sum += byte;
  return static_cast<std::uint16_t>(sum);
}

}  // namespace mtkfs::da
