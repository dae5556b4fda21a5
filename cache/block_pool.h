// Memory for the cache's blocks: one anonymous mapping of `slots` x block_size bytes, handed out a slot at a
// time. Compared with one heap allocation per block it
//   * bounds the process: the pages of at most cache_size bytes are ever touched, whatever the order of
//     allocations and frees (the heap kept freed 1 MiB blocks in per-thread arenas: 572 MB peak for a
//     256 MiB cache);
//   * costs no zero-filling and no page faults when a block is reused;
//   * gives blocks created one after the other consecutive slots (next-fit from the last one), so the I/O
//     thread can read a run of blocks from the device straight into the cache with one command.
// Not thread-safe: CacheCore calls it with its mutex held.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mtkfs::cache::detail {

class BlockPool {
 public:
  // Throws std::bad_alloc when the address space cannot be reserved.
  BlockPool(std::size_t block_size, std::size_t slots);
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  std::size_t slots() const { return used_.size(); }
  bool has_free() const { return in_use_ < used_.size(); }
  // The first free slot after the one handed out last (wrapping). Precondition: has_free().
  std::size_t acquire();
  void release(std::size_t slot);
  // release() and give the slot's pages back to the system (after the link is lost nothing is reused).
  void discard(std::size_t slot);
  std::uint8_t* data(std::size_t slot) const { return base_ + slot * block_size_; }

 private:
  std::size_t block_size_;
  std::uint8_t* base_ = nullptr;
  std::vector<bool> used_;
  std::size_t in_use_ = 0;
  std::size_t next_ = 0;
};

}  // namespace mtkfs::cache::detail
