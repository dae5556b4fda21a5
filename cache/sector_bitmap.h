// One bit per 512-byte sector of a cache block: which sectors hold known bytes, which must be written.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace mtkfs::cache {

class SectorBitmap {
 public:
  explicit SectorBitmap(std::size_t sectors = 0) : size_(sectors), words_((sectors + 63) / 64, 0) {}

  std::size_t size() const { return size_; }
  bool test(std::size_t i) const { return (words_[i / 64] >> (i % 64)) & 1U; }

  // Sets bits [first, last); returns how many were not set before (callers keep byte counters exact).
  std::size_t set(std::size_t first, std::size_t last) { return change(first, last, true); }
  // Clears bits [first, last); returns how many were set before.
  std::size_t clear(std::size_t first, std::size_t last) { return change(first, last, false); }
  void clear_all() {
    for (auto& w : words_) w = 0;
  }

  bool all(std::size_t first, std::size_t last) const {
    for (std::size_t i = first; i < last; ++i) {
      if (i % 64 == 0 && last - i >= 64) {
        if (words_[i / 64] != ~std::uint64_t{0}) return false;
        i += 63;
        continue;
      }
      if (!test(i)) return false;
    }
    return true;
  }
  bool any() const {
    for (auto w : words_)
      if (w) return true;
    return false;
  }
  std::size_t count() const {
    std::size_t n = 0;
    for (auto w : words_) n += static_cast<std::size_t>(std::popcount(w));
    return n;
  }

  // The first run of bits equal to `value` starting at or after `from`, as [begin, end); {size, size} if none.
  std::pair<std::size_t, std::size_t> next_run(std::size_t from, bool value = true) const {
    std::size_t begin = from;
    while (begin < size_ && test(begin) != value) {
      if (begin % 64 == 0 && words_[begin / 64] == (value ? 0 : ~std::uint64_t{0})) {
        begin += 64;
        continue;
      }
      ++begin;
    }
    if (begin >= size_) return {size_, size_};
    std::size_t end = begin;
    while (end < size_ && test(end) == value) ++end;
    return {begin, end};
  }

 private:
  std::size_t change(std::size_t first, std::size_t last, bool value) {
    std::size_t changed = 0;
    for (std::size_t i = first; i < last; ++i) {
      auto& w = words_[i / 64];
      const std::uint64_t bit = std::uint64_t{1} << (i % 64);
      if (((w & bit) != 0) != value) {
        ++changed;
        w ^= bit;
      }
    }
    return changed;
  }

  std::size_t size_;
  std::vector<std::uint64_t> words_;
};

}  // namespace mtkfs::cache
