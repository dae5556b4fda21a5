#include "fsmap/reader.h"

#include <cstdio>
#include <numeric>

namespace mtkfs::fsmap::detail {

void refuse(std::string reason) { throw Refusal{std::move(reason)}; }

Reader::Reader(const ReadFn& read, std::uint64_t partition_size) : read_(read), size_(partition_size) {}

void Reader::allow_map(std::uint64_t bytes) {
  if (bytes > kMaxMapBytes)
    refuse("its allocation map (" + mib(static_cast<double>(bytes)) + ") is larger than " + mib(kMaxMapBytes));
  budget_ = kMaxFixedBytes + bytes;
}

void Reader::check(std::uint64_t offset, std::uint64_t length) const {
  if (offset > size_ || length > size_ - offset)
    refuse("metadata at byte " + std::to_string(offset) + " lies outside the partition");
  if (length > budget_ - spent_) refuse("more than " + mib(static_cast<double>(budget_)) + " of metadata to read");
}

void Reader::read(std::uint64_t offset, std::span<std::uint8_t> out) {
  check(offset, out.size());
  spent_ += out.size();
  read_(offset, out);
}

std::vector<std::uint8_t> Reader::read(std::uint64_t offset, std::uint64_t length) {
  check(offset, length);  // before the allocation: `length` may come straight from the disk
  std::vector<std::uint8_t> bytes(length);
  read(offset, bytes);
  return bytes;
}

Detection refused(std::string reason) {
  Detection d;
  d.reason = std::move(reason);
  d.recognised = true;
  return d;
}

Detection found(Kind kind, std::uint64_t block_size, std::vector<Range> free, std::uint64_t partition_size) {
  FreeMap map;
  map.kind = kind;
  map.block_size = block_size;
  map.free = std::move(free);
  map.used_bytes = partition_size - map.free_bytes();
  map.description = kind_name(kind) + ", " + std::to_string(block_size) + "-byte " +
                    (kind == Kind::ext4 ? "blocks" : "clusters") + ", " + mib(static_cast<double>(map.used_bytes)) +
                    " used, " + mib(static_cast<double>(map.free_bytes())) + " free";
  Detection d;
  d.map = std::move(map);
  d.recognised = true;
  return d;
}

std::string mib(double bytes) {
  char text[48];
  std::snprintf(text, sizeof text, "%.1f MiB", bytes / (1024.0 * 1024.0));
  return text;
}

}  // namespace mtkfs::fsmap::detail
