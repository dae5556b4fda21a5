#pragma once

// Bounds-checked little-endian loads for the on-disk parsers (partition tables, filesystem maps): an
// out-of-range field reads as zero instead of UB, so a parser bug on truncated input can only produce a
// rejected structure, never a memory error. Header only: the parsers stay free of link dependencies.

#include <cstddef>
#include <cstdint>
#include <span>

namespace mtkfs::little_endian {

template <class T>
inline T load_le(std::span<const std::uint8_t> bytes, std::size_t offset) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return 0;
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) value |= static_cast<T>(static_cast<T>(bytes[offset + i]) << (8 * i));
  return value;
}

inline std::uint8_t le8(std::span<const std::uint8_t> b, std::size_t off) { return load_le<std::uint8_t>(b, off); }
inline std::uint16_t le16(std::span<const std::uint8_t> b, std::size_t off) { return load_le<std::uint16_t>(b, off); }
inline std::uint32_t le32(std::span<const std::uint8_t> b, std::size_t off) { return load_le<std::uint32_t>(b, off); }
inline std::uint64_t le64(std::span<const std::uint8_t> b, std::size_t off) { return load_le<std::uint64_t>(b, off); }

}  // namespace mtkfs::little_endian
