#include "cache/readahead.h"

#include <algorithm>

namespace mtkfs::cache {

StreamId ReadaheadTracker::open() {
  const StreamId id = next_id_++;
  streams_.emplace(id, Stream{});
  return id;
}

void ReadaheadTracker::close(StreamId stream) { streams_.erase(stream); }

ByteRange ReadaheadTracker::on_read(StreamId stream, wire::HwPartition part, std::uint64_t offset,
                                    std::uint64_t length, std::uint64_t part_size) {
  auto it = streams_.find(stream);
  if (it == streams_.end() || length == 0) return {};
  Stream& s = it->second;
  const std::uint64_t end = offset + length;

  // The kernel issues a file's read-ahead as several requests that different FUSE threads may hand us
  // slightly out of order, so "sequential" tolerates a small jump either way.
  const std::uint64_t tolerance = std::max<std::uint64_t>(2 * length, 2 * config_.block_size);
  const bool first = !s.seen;
  const bool sequential =
      first || (s.part == part && offset <= s.next + tolerance && offset + tolerance >= s.next);
  if (!sequential) {
    s = Stream{part, true, end, 0, 0};
    return {};
  }
  s.part = part;
  s.seen = true;
  s.next = std::max(s.next, end);

  if (s.window == 0) {
    // First sequential read: start with the initial window right behind this request.
    s.window = config_.initial_window;
    ByteRange r{align_down(offset), std::min(align_up(end + s.window), part_size)};
    s.ahead_end = std::max(r.end, s.ahead_end);
    return r;
  }
  // Top up only when less than half a window is left in flight, and then by half a (doubled) window:
  // the loads come in big, evenly sized pieces instead of one block per request.
  if (s.ahead_end >= end && s.ahead_end - end >= s.window / 2) return {};
  s.window = std::min(s.window * 2, config_.max_window);
  const std::uint64_t begin = std::max(s.ahead_end, align_down(offset));
  const std::uint64_t step = std::max(s.window / 2, config_.block_size);
  const std::uint64_t new_end = std::min(std::max(begin + step, align_up(end)), part_size);
  s.ahead_end = std::max(s.ahead_end, new_end);
  if (begin >= new_end) return {};
  return {begin, new_end};
}

}  // namespace mtkfs::cache
