#include "fsmap/checksum.h"

#include <algorithm>
#include <array>

namespace mtkfs::fsmap {
namespace {

template <class T, T kPolynomial>
constexpr std::array<T, 256> reflected_table() {
  std::array<T, 256> table{};
  for (unsigned i = 0; i < 256; ++i) {
    T value = static_cast<T>(i);
    for (int bit = 0; bit < 8; ++bit) value = static_cast<T>((value & 1) ? (value >> 1) ^ kPolynomial : value >> 1);
    table[i] = value;
  }
  return table;
}

constexpr auto kCrc32cTable = reflected_table<std::uint32_t, 0x82F63B78u>();
constexpr auto kCrc16Table = reflected_table<std::uint16_t, 0xA001u>();

}  // namespace

std::uint32_t crc32c(std::uint32_t crc, std::span<const std::uint8_t> data) {
  for (const std::uint8_t byte : data) crc = kCrc32cTable[(crc ^ byte) & 0xFF] ^ (crc >> 8);
  return crc;
}

std::uint16_t crc16(std::uint16_t crc, std::span<const std::uint8_t> data) {
  for (const std::uint8_t byte : data) crc = static_cast<std::uint16_t>(kCrc16Table[(crc ^ byte) & 0xFF] ^ (crc >> 8));
  return crc;
}

std::uint32_t exfat_boot_checksum(std::span<const std::uint8_t> sectors, std::uint64_t bytes_per_sector) {
  const std::uint64_t length = std::min<std::uint64_t>(sectors.size(), 11 * bytes_per_sector);
  std::uint32_t sum = 0;
  for (std::uint64_t i = 0; i < length; ++i) {
    if (i == 106 || i == 107 || i == 112) continue;
    sum = ((sum & 1) ? 0x80000000u : 0u) + (sum >> 1) + sectors[i];
  }
  return sum;
}

}  // namespace mtkfs::fsmap
