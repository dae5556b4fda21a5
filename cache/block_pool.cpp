#include "cache/block_pool.h"

#include <sys/mman.h>

#include <cassert>
#include <new>

namespace mtkfs::cache::detail {

BlockPool::BlockPool(std::size_t block_size, std::size_t slots) : block_size_(block_size), used_(slots, false) {
  // Address space only: pages are backed when a block first receives data.
  void* p = ::mmap(nullptr, block_size * slots, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  base_ = static_cast<std::uint8_t*>(p);
}

BlockPool::~BlockPool() { ::munmap(base_, block_size_ * used_.size()); }

std::size_t BlockPool::acquire() {
  assert(has_free());
  for (std::size_t n = 0; n < used_.size(); ++n) {
    const std::size_t slot = (next_ + n) % used_.size();
    if (used_[slot]) continue;
    used_[slot] = true;
    ++in_use_;
    next_ = (slot + 1) % used_.size();
    return slot;
  }
  throw std::bad_alloc();  // unreachable when the precondition holds
}

void BlockPool::release(std::size_t slot) {
  if (!used_[slot]) return;
  used_[slot] = false;
  --in_use_;
}

void BlockPool::discard(std::size_t slot) {
  release(slot);
  ::madvise(data(slot), block_size_, MADV_DONTNEED);
}

}  // namespace mtkfs::cache::detail
