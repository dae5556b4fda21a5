#pragma once

// The partition parsers' byte access: common/little_endian.h's bounds-checked loads, and clipped spans.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/little_endian.h"

namespace mtkfs::partition::detail {

using little_endian::le16;
using little_endian::le32;
using little_endian::le64;
using little_endian::load_le;

// A sub-span clipped to what exists (empty if `offset` is past the end).
inline std::span<const std::uint8_t> clipped(std::span<const std::uint8_t> b, std::size_t offset, std::size_t length) {
  if (offset >= b.size()) return {};
  return b.subspan(offset, std::min(length, b.size() - offset));
}

}  // namespace mtkfs::partition::detail
