#pragma once

// What every filesystem reader shares: bounds-checked little-endian loads, the refusal that ends a
// reader with its reason, and the one door to the partition that keeps reads inside it and within
// budget.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/little_endian.h"
#include "fsmap/free_map.h"

namespace mtkfs::fsmap::detail {

// An out-of-range field reads as zero (common/little_endian.h); the plausibility checks then refuse it.
using little_endian::le16;
using little_endian::le32;
using little_endian::le64;
using little_endian::le8;
using little_endian::load_le;

inline bool is_power_of_two(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Thrown inside a reader only; its entry point turns it into Detection::reason.
struct Refusal {
  std::string reason;
};
[[noreturn]] void refuse(std::string reason);

// Reads that would leave the partition or exceed the budget are refused, not performed: a reader's
// own checks should have stopped them earlier, this makes sure.
class Reader {
 public:
  Reader(const ReadFn& read, std::uint64_t partition_size);

  std::uint64_t partition_size() const { return size_; }
  // Raises the budget once for the allocation map, after the reader checked its size.
  void allow_map(std::uint64_t bytes);

  void read(std::uint64_t offset, std::span<std::uint8_t> out);
  std::vector<std::uint8_t> read(std::uint64_t offset, std::uint64_t length);

 private:
  void check(std::uint64_t offset, std::uint64_t length) const;

  const ReadFn& read_;
  std::uint64_t size_;
  std::uint64_t budget_ = kMaxFixedBytes;
  std::uint64_t spent_ = 0;
};

// A Detection for a recognised filesystem that is read in full.
Detection refused(std::string reason);
// The finished map: totals and the description line.
Detection found(Kind kind, std::uint64_t block_size, std::vector<Range> free, std::uint64_t partition_size);

// "61.2 MiB"; a double, so that sizes read from a damaged disk cannot overflow on the way.
std::string mib(double bytes);

}  // namespace mtkfs::fsmap::detail
