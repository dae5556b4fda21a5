#include "fsmap/ranges.h"

namespace mtkfs::fsmap {
namespace {

bool bit_set(std::span<const std::uint8_t> bitmap, std::uint64_t bit) {
  return bit / 8 >= bitmap.size() || (bitmap[bit / 8] >> (bit % 8)) & 1;
}

}  // namespace

void RangeBuilder::add(std::uint64_t offset, std::uint64_t size) {
  if (size == 0) return;
  if (!ranges_.empty()) {
    Range& last = ranges_.back();
    if (offset < last.offset + last.size) return;
    if (offset == last.offset + last.size) {
      last.size += size;
      total_ += size;
      return;
    }
  }
  ranges_.push_back(Range{offset, size});
  total_ += size;
}

void RangeBuilder::add_clear_bits(std::span<const std::uint8_t> bitmap, std::uint64_t first_bit, std::uint64_t count,
                                  std::uint64_t base, std::uint64_t unit) {
  const std::uint64_t end = first_bit + count;
  std::uint64_t bit = first_bit;
  while (bit < end) {
    // Whole bytes at once: bitmaps of mostly empty filesystems are long runs of 0x00 and 0xFF.
    if (bit % 8 == 0 && end - bit >= 8 && bit / 8 < bitmap.size() && bitmap[bit / 8] == 0xFF) {
      bit += 8;
      continue;
    }
    if (bit_set(bitmap, bit)) {
      ++bit;
      continue;
    }
    std::uint64_t run_end = bit + 1;
    while (run_end < end) {
      if (run_end % 8 == 0 && end - run_end >= 8 && run_end / 8 < bitmap.size() && bitmap[run_end / 8] == 0) {
        run_end += 8;
      } else if (!bit_set(bitmap, run_end)) {
        ++run_end;
      } else {
        break;
      }
    }
    add(base + (bit - first_bit) * unit, (run_end - bit) * unit);
    bit = run_end;
  }
}

std::uint64_t count_clear_bits(std::span<const std::uint8_t> bitmap, std::uint64_t first_bit, std::uint64_t count) {
  std::uint64_t clear = 0;
  for (std::uint64_t bit = first_bit; bit < first_bit + count; ++bit) clear += bit_set(bitmap, bit) ? 0 : 1;
  return clear;
}

bool well_formed(std::span<const Range> ranges, std::uint64_t partition_size) {
  std::uint64_t previous_end = 0;
  bool first = true;
  for (const Range& r : ranges) {
    if (r.size == 0 || r.offset % kSectorSize != 0 || r.size % kSectorSize != 0) return false;
    if (r.offset > partition_size || r.size > partition_size - r.offset) return false;
    if (!first && r.offset <= previous_end) return false;
    previous_end = r.offset + r.size;
    first = false;
  }
  return true;
}

}  // namespace mtkfs::fsmap
