// Little-endian field access for on-disk structures (everything stored on flash is LE).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string_view>

namespace mtkfs::sim::image::detail {

inline void require_room(std::span<const std::uint8_t> buf, std::size_t off, std::size_t len) {
  if (off > buf.size() || len > buf.size() - off)
    throw std::logic_error("on-disk structure field outside its buffer");
}

template <typename T>
void put_le(std::span<std::uint8_t> buf, std::size_t off, T value) {
  require_room(buf, off, sizeof(T));
  for (std::size_t i = 0; i < sizeof(T); ++i)
    buf[off + i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(value) >> (8 * i));
}

inline void put_le16(std::span<std::uint8_t> b, std::size_t off, std::uint16_t v) { put_le(b, off, v); }
inline void put_le32(std::span<std::uint8_t> b, std::size_t off, std::uint32_t v) { put_le(b, off, v); }
inline void put_le64(std::span<std::uint8_t> b, std::size_t off, std::uint64_t v) { put_le(b, off, v); }

inline void put_bytes(std::span<std::uint8_t> buf, std::size_t off, std::span<const std::uint8_t> src) {
  require_room(buf, off, src.size());
  for (std::size_t i = 0; i < src.size(); ++i) buf[off + i] = src[i];
}

// Copies ASCII text without a terminator; the caller's zeroed buffer provides the NUL padding.
inline void put_text(std::span<std::uint8_t> buf, std::size_t off, std::string_view text) {
  require_room(buf, off, text.size());
  for (std::size_t i = 0; i < text.size(); ++i) buf[off + i] = static_cast<std::uint8_t>(text[i]);
}

}  // namespace mtkfs::sim::image::detail
