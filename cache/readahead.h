// Sequential-read detection per stream (one stream = one open file) and the read-ahead window that
// grows while a stream keeps reading forward. Pure bookkeeping: the cache decides what to load.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "da/wire.h"

namespace mtkfs::cache {

using StreamId = std::uint64_t;
inline constexpr StreamId kNoStream = 0;  // reads that never trigger read-ahead

struct ByteRange {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  bool empty() const { return begin >= end; }
};

struct ReadaheadConfig {
  std::uint64_t block_size = 1 << 20;
  std::uint64_t initial_window = 1 << 20;
  std::uint64_t max_window = 64 << 20;
};

class ReadaheadTracker {
 public:
  explicit ReadaheadTracker(ReadaheadConfig config) : config_(config) {}

  StreamId open();
  void close(StreamId stream);
  std::size_t open_streams() const { return streams_.size(); }

  // Records a read of [offset, offset + length) of `part` by `stream` and returns the block-aligned range
  // the cache should start loading now (possibly empty). Never extends past part_size.
  ByteRange on_read(StreamId stream, wire::HwPartition part, std::uint64_t offset, std::uint64_t length,
                    std::uint64_t part_size);

 private:
  struct Stream {
    wire::HwPartition part = wire::HwPartition::user;
    bool seen = false;
    std::uint64_t next = 0;    // end of the furthest read so far
    std::uint64_t window = 0;  // 0: not sequential (no read-ahead)
    std::uint64_t ahead_end = 0;  // everything below was requested already
  };

  std::uint64_t align_down(std::uint64_t v) const { return v - v % config_.block_size; }
  std::uint64_t align_up(std::uint64_t v) const { return align_down(v + config_.block_size - 1); }

  ReadaheadConfig config_;
  StreamId next_id_ = 1;
  std::unordered_map<StreamId, Stream> streams_;
};

}  // namespace mtkfs::cache
