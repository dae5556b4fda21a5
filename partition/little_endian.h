#pragma once

// Bounds-checked little-endian loads: an out-of-range field reads as zero instead of UB, so a
// parser bug on truncated input can only produce a rejected table, never a memory error.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace mtkfs::partition::detail {

template <class T>
inline T load_le(std::span<const std::uint8_t> bytes, std::size_t offset) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return 0;
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) value |= static_cast<T>(bytes[offset + i]) << (8 * i);
  return value;
}

inline std::uint16_t le16(std::span<const std::uint8_t> b, std::size_t off) { return load_le<std::uint16_t>(b, off); }
inline std::uint32_t le32(std::span<const std::uint8_t> b, std::size_t off) { return load_le<std::uint32_t>(b, off); }
inline std::uint64_t le64(std::span<const std::uint8_t> b, std::size_t off) { return load_le<std::uint64_t>(b, off); }

// A sub-span clipped to what exists (empty if `offset` is past the end).
inline std::span<const std::uint8_t> clipped(std::span<const std::uint8_t> b, std::size_t offset, std::size_t length) {
  if (offset >= b.size()) return {};
  return b.subspan(offset, std::min(length, b.size() - offset));
}

}  // namespace mtkfs::partition::detail
