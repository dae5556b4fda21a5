#include "fuse/free_space.h"

#include <algorithm>
#include <mutex>

namespace mtkfs::fusefs {

void FreeSpace::add(std::uint64_t offset, std::uint64_t length) {
  if (length == 0) return;
  std::unique_lock lock(mutex_);
  std::uint64_t start = offset, end = offset + length;
  auto it = free_.upper_bound(start);
  if (it != free_.begin() && std::prev(it)->second >= start) --it;
  while (it != free_.end() && it->first <= end) {
    start = std::min(start, it->first);
    end = std::max(end, it->second);
    it = free_.erase(it);
  }
  free_.emplace(start, end);
}

void FreeSpace::mark_used(std::uint64_t offset, std::uint64_t length) {
  if (length == 0) return;
  std::unique_lock lock(mutex_);
  const std::uint64_t end = offset + length;
  auto it = free_.upper_bound(offset);
  if (it != free_.begin() && std::prev(it)->second > offset) --it;
  while (it != free_.end() && it->first < end) {
    const auto [start, stop] = *it;
    it = free_.erase(it);
    if (start < offset) free_.emplace(start, offset);
    if (stop > end) free_.emplace(end, stop);
  }
}

std::vector<FreeSpace::Piece> FreeSpace::pieces(std::uint64_t offset, std::uint64_t length) const {
  std::vector<Piece> out;
  const std::uint64_t end = offset + length;
  std::shared_lock lock(mutex_);
  auto it = free_.upper_bound(offset);
  if (it != free_.begin() && std::prev(it)->second > offset) --it;
  std::uint64_t at = offset;
  for (; it != free_.end() && it->first < end; ++it) {
    const std::uint64_t start = std::max(it->first, offset), stop = std::min(it->second, end);
    if (start > at) out.push_back({at, start - at, false});
    out.push_back({start, stop - start, true});
    at = stop;
  }
  if (at < end) out.push_back({at, end - at, false});
  return out;
}

std::uint64_t FreeSpace::free_bytes(std::uint64_t offset, std::uint64_t length) const {
  const std::uint64_t end = offset + length;
  std::shared_lock lock(mutex_);
  auto it = free_.upper_bound(offset);
  if (it != free_.begin() && std::prev(it)->second > offset) --it;
  std::uint64_t bytes = 0;
  for (; it != free_.end() && it->first < end; ++it) bytes += std::min(it->second, end) - std::max(it->first, offset);
  return bytes;
}

// Free ranges never touch, so the end of the one holding `from` is data.
std::optional<std::uint64_t> FreeSpace::next_data(std::uint64_t from, std::uint64_t end) const {
  std::shared_lock lock(mutex_);
  auto it = free_.upper_bound(from);
  std::uint64_t data = from;
  if (it != free_.begin() && std::prev(it)->second > from) data = std::prev(it)->second;
  if (data >= end) return std::nullopt;
  return data;
}

std::uint64_t FreeSpace::next_hole(std::uint64_t from, std::uint64_t end) const {
  if (from >= end) return end;
  std::shared_lock lock(mutex_);
  auto it = free_.upper_bound(from);
  if (it != free_.begin() && std::prev(it)->second > from) return from;
  return it != free_.end() && it->first < end ? it->first : end;
}

bool FreeSpace::empty() const {
  std::shared_lock lock(mutex_);
  return free_.empty();
}

}  // namespace mtkfs::fusefs
