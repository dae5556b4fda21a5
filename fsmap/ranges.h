#pragma once

// Free ranges built from allocation maps: bits in, merged byte ranges out.

#include <cstdint>
#include <span>
#include <vector>

#include "fsmap/free_map.h"

namespace mtkfs::fsmap {

// Collects free byte ranges given in increasing order and merges the ones that touch.
class RangeBuilder {
 public:
  // Ranges before the end of the previous one are a reader bug; they are dropped, never merged
  // into something larger.
  void add(std::uint64_t offset, std::uint64_t size);

  // Each clear bit i in [first_bit, first_bit + count) of `bitmap` (bit 0 = least significant bit
  // of byte 0) is a free unit at base + (i - first_bit) * unit. Bits past the end of `bitmap` are
  // taken as set (used).
  void add_clear_bits(std::span<const std::uint8_t> bitmap, std::uint64_t first_bit, std::uint64_t count,
                      std::uint64_t base, std::uint64_t unit);

  std::uint64_t free_bytes() const { return total_; }
  std::vector<Range> take() { return std::move(ranges_); }

 private:
  std::vector<Range> ranges_;
  std::uint64_t total_ = 0;
};

// The number of clear bits in [first_bit, first_bit + count) (bits past the end count as set).
std::uint64_t count_clear_bits(std::span<const std::uint8_t> bitmap, std::uint64_t first_bit, std::uint64_t count);

// Whether `ranges` keep the promises of free_map.h: sorted, disjoint, not touching, non-empty,
// 512-aligned, inside [0, partition_size).
bool well_formed(std::span<const Range> ranges, std::uint64_t partition_size);

}  // namespace mtkfs::fsmap
