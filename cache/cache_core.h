// Internals of Cache (see cache.h for the thread model). Not part of the public API.
#pragma once

#include <algorithm>
#include <array>
#include <compare>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cache/block_pool.h"
#include "cache/cache.h"
#include "cache/readahead.h"
#include "cache/sector_bitmap.h"
#include "cache/throughput.h"

namespace mtkfs::cache::detail {

// The unit of every dirty/valid bit and of every device transfer the cache makes.
inline constexpr std::uint64_t kSector = wire::kSectorSize;

struct BlockKey {
  HwPartition part;
  std::uint64_t index;
  auto operator<=>(const BlockKey&) const = default;
};

// One cache block's share of a byte range: where it lies in the block and in the caller's buffer.
struct BlockPiece {
  BlockKey key;
  std::size_t in_block;  // offset inside the block
  std::size_t length;
  std::size_t at;  // offset inside the caller's range
  std::size_t first_sector() const { return in_block / kSector; }
  std::size_t end_sector() const { return (in_block + length + kSector - 1) / kSector; }
};

// A block's bytes: one slot of the cache's BlockPool.
struct BlockBytes {
  std::uint8_t* bytes = nullptr;
  std::size_t length = 0;
  std::size_t slot = 0;
  std::uint8_t* data() const { return bytes; }
  std::size_t size() const { return length; }
};

struct Block {
  BlockBytes data;                 // the block's bytes; only sectors marked `valid` mean anything
  SectorBitmap valid;
  SectorBitmap dirty;              // always a subset of `valid`
  bool load_queued = false;        // a whole-block load is queued or in flight
  std::uint32_t pins = 0;          // callers using the block right now (never evicted while > 0)
  std::uint32_t writes_in_flight = 0;
  bool loading_in_place = false;   // the I/O thread is reading the device straight into `data` (no mutex)
  std::uint32_t viewers = 0;       // read_in_place callers using `data` without the mutex
  std::uint64_t load_seq = 0;      // bumped whenever a load ends, so waiters see "my load finished"
  std::string load_error;          // why the last load failed, empty if it succeeded
  std::list<BlockKey>::iterator lru_pos;
};

// Arbitrary device work run on the I/O thread (read-modify-write sector reads, describe()).
struct DeviceJob {
  std::function<void(da::BlockDevice&)> work;
  bool done = false;
  std::exception_ptr error;
};

// Write-back of the dirty sectors of a fixed set of blocks, one coalesced device write at a time.
struct FlushJob {
  std::vector<BlockKey> keys;
  std::size_t key_cursor = 0;
  std::size_t sector_cursor = 0;
  bool done = false;
  bool failed = false;
};

struct WriteFailure {
  HwPartition part;
  std::uint64_t begin;
  std::uint64_t end;
  std::string message;
  std::uint64_t seq = 0;  // failures are numbered in the order they happen
  bool reported = false;  // thrown to a flush already; kept while an older flush may still need it
};

// Releases a pin when a caller leaves a block, also on exceptions (always with the cache's mutex held).
class PinGuard {
 public:
  PinGuard(Block& block, std::condition_variable& cv) : block_(block), cv_(cv) {}
  ~PinGuard() {
    if (--block_.pins == 0) cv_.notify_all();  // the block may now be evicted by someone short of memory
  }
  PinGuard(const PinGuard&) = delete;
  PinGuard& operator=(const PinGuard&) = delete;

 private:
  Block& block_;
  std::condition_variable& cv_;
};

class CacheCore {
 public:
  CacheCore(da::BlockDevice& device, const CacheOptions& options);
  ~CacheCore();

  std::uint64_t size(HwPartition part) const;
  const CacheOptions& options() const { return options_; }
  void set_readahead_skip(Cache::ReadaheadSkip skip);
  StreamId open_stream();
  void close_stream(StreamId stream);
  void read(HwPartition part, std::uint64_t offset, std::span<std::uint8_t> out, StreamId stream);
  void read_in_place(HwPartition part, std::uint64_t offset, std::size_t length, StreamId stream,
                     const std::function<void(std::span<const std::uint8_t>)>& consume);
  void write(HwPartition part, std::uint64_t offset, std::span<const std::uint8_t> data);
  void flush_range(HwPartition part, std::uint64_t offset, std::uint64_t length);
  void flush_all();
  std::string describe_device();
  CacheStats stats() const;
  // Stops the I/O thread; queued work fails. Called by the destructor after the final flush.
  void stop();

 private:
  using Lock = std::unique_lock<std::mutex>;
  using BlockMap = std::map<BlockKey, Block>;

  // --- bookkeeping (cache_core.cpp), all with mu_ held ---
  void check_range(HwPartition part, std::uint64_t offset, std::uint64_t length) const;
  std::size_t block_length(const BlockKey& key) const;
  BlockKey key_of(HwPartition part, std::uint64_t offset) const;
  // Calls fn(const BlockPiece&) for each block the range touches, in order.
  template <class Fn>
  void for_each_piece(HwPartition part, std::uint64_t offset, std::uint64_t length, Fn&& fn) const {
    for (std::uint64_t pos = offset; pos < offset + length;) {
      const BlockKey key = key_of(part, pos);
      const auto in_block = static_cast<std::size_t>(pos - key.index * options_.block_size);
      const auto piece =
          static_cast<std::size_t>(std::min<std::uint64_t>(offset + length - pos, block_length(key) - in_block));
      fn(BlockPiece{key, in_block, piece, static_cast<std::size_t>(pos - offset)});
      pos += piece;
    }
  }
  void throw_if_link_lost() const;
  Block& pin_block(Lock& lk, const BlockKey& key);
  void touch(Block& block);
  bool evict_one();
  bool evict_until_fits(std::size_t bytes);
  // Waits (lock released) until `bytes` more fit, writing dirty data back if that is what it takes.
  void make_room(Lock& lk, std::size_t bytes);
  Block& create_block(const BlockKey& key);
  void queue_load(const BlockKey& key, Block& block);
  // A read of sectors [first, last) of a pinned block: counts the hit or miss and queues the load a miss needs.
  void count_and_queue_load(const BlockKey& key, Block& block, std::size_t first, std::size_t last);
  void queue_readahead(HwPartition part, ByteRange range);
  void wait_for_load(Lock& lk, Block& block);
  void wait_valid(Lock& lk, const BlockKey& key, Block& block, std::size_t first, std::size_t last);
  // Before a caller writes into a block's bytes: an in-place load would overwrite them, and read_in_place
  // callers must see them unchanged (cache_view.cpp).
  void wait_until_writable(Lock& lk, Block& block);
  void fill_partial_sectors(Lock& lk, const BlockKey& key, Block& block, std::size_t first_sector,
                            std::size_t last_sector);
  void run_job(Lock& lk, std::function<void(da::BlockDevice&)> work);

  // --- write-back (cache_flush.cpp) ---
  std::shared_ptr<FlushJob> queue_flush(std::vector<BlockKey> keys);
  std::shared_ptr<FlushJob> start_background_writeback();
  std::vector<BlockKey> dirty_keys(HwPartition part, std::uint64_t begin, std::uint64_t end) const;
  bool writes_in_flight(HwPartition part, std::uint64_t begin, std::uint64_t end) const;
  void report_failures(HwPartition part, std::uint64_t begin, std::uint64_t end, std::uint64_t since);
  void forget_reported_failures();
  void flush_step(Lock& lk);

  // --- I/O thread (io_thread.cpp) ---
  // What one device call ended with: empty error = success.
  struct DeviceOutcome {
    std::string error;
    bool link_lost = false;
  };
  // Runs `call` with the mutex released (the device is never called with it held) and relocks.
  DeviceOutcome call_device(Lock& lk, const std::function<void()>& call);
  // Ends every queued job and flush with `error` (shutdown, link loss).
  void fail_queued_work(const std::exception_ptr& error);
  void io_loop();
  bool has_io_work() const;
  bool load_step(Lock& lk, bool demand_only);
  std::size_t in_place_prefix(const std::vector<BlockKey>& run) const;
  void job_step(Lock& lk);
  void enter_link_lost(const std::string& reason);

  da::BlockDevice& device_;
  const CacheOptions options_;
  std::array<std::uint64_t, 9> sizes_{};  // indexed by HwPartition value

  mutable std::mutex mu_;
  std::condition_variable io_cv_;     // wakes the I/O thread
  std::condition_variable state_cv_;  // wakes callers: a load/job/flush finished, memory was freed

  BlockPool pool_;  // the memory of blocks_ (declared first: blocks point into it)
  BlockMap blocks_;
  std::list<BlockKey> lru_;  // front = least recently used
  std::uint64_t resident_ = 0;
  std::uint64_t dirty_bytes_ = 0;
  std::uint64_t writing_bytes_ = 0;  // the dirty bytes flush_step's device write in flight carries
  Cache::ReadaheadSkip readahead_skip_;  // guarded by mu_
  ReadaheadTracker readahead_;

  std::set<BlockKey> pending_loads_;
  std::deque<std::shared_ptr<DeviceJob>> jobs_;
  std::deque<std::shared_ptr<FlushJob>> flush_jobs_;
  std::shared_ptr<FlushJob> background_job_;
  std::vector<WriteFailure> failures_;
  std::uint64_t next_failure_seq_ = 0;
  std::multiset<std::uint64_t> flushes_since_;  // next_failure_seq_ when each running flush_range started
  std::vector<std::uint8_t> io_buffer_;  // owned by the I/O thread between lock releases

  bool stopping_ = false;
  bool link_lost_ = false;
  std::string link_lost_reason_;
  CacheStats stats_;
  ThroughputMeter throughput_;  // fed where stats_ counts device bytes
  std::thread io_thread_;
};

}  // namespace mtkfs::cache::detail
