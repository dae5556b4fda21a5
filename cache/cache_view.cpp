// Zero-copy reads: a caller uses a block's bytes in place, outside the mutex (see Cache::read_in_place).
#include <stdexcept>

#include "cache/cache_core.h"

namespace mtkfs::cache::detail {

void CacheCore::wait_until_writable(Lock& lk, Block& block) {
  state_cv_.wait(lk, [&] { return (!block.loading_in_place && block.viewers == 0) || link_lost_ || stopping_; });
  throw_if_link_lost();
}

void CacheCore::read_in_place(HwPartition part, std::uint64_t offset, std::size_t length, StreamId stream,
                              const std::function<void(std::span<const std::uint8_t>)>& consume) {
  check_range(part, offset, length);
  const BlockKey key = key_of(part, offset);
  if (length == 0 || key_of(part, offset + length - 1).index != key.index)
    throw std::invalid_argument("read_in_place: the range must be inside one cache block");
  Lock lk(mu_);
  throw_if_link_lost();
  const ByteRange ahead = readahead_.on_read(stream, part, offset, length, size(part));
  // Like read(), for one block; a single pin while waiting for memory, so readers cannot block each other.
  Block& block = pin_block(lk, key);
  PinGuard pin(block, state_cv_);
  const BlockPiece p{key, static_cast<std::size_t>(offset - key.index * options_.block_size), length, 0};
  count_and_queue_load(key, block, p.first_sector(), p.end_sector());
  queue_readahead(part, {offset, offset + length});
  queue_readahead(part, ahead);
  io_cv_.notify_one();
  wait_valid(lk, key, block, p.first_sector(), p.end_sector());
  touch(block);

  // Valid sectors are never loaded over, and writers wait for viewers == 0: the bytes hold still.
  ++block.viewers;
  lk.unlock();
  std::exception_ptr error;
  try {
    consume(std::span<const std::uint8_t>(block.data.data() + p.in_block, length));
  } catch (...) {
    error = std::current_exception();
  }
  lk.lock();
  if (--block.viewers == 0) state_cv_.notify_all();
  if (error) std::rethrow_exception(error);
}

}  // namespace mtkfs::cache::detail
